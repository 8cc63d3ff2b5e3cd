"""PyTorch inference throughput for `npm run bench:speed` (bench/speed.ts).

Imports a module written by `lstmc compile SPEC --target pytorch` (the project's PyTorch target), builds its
model with the TF.js initial weights, and runs forward passes in eval mode under torch.inference_mode() over
the training inputs of an `lstmc data` directory, batch by batch:

    python3 bench/speed_torch.py --module OUT/Model.py --data DATA_DIR --batch-size 32 --threads 1 --reps 5

prints one JSON line: {"threads", "torch", "samples", "samples_per_s": [one figure per pass after a warm-up
pass]}. The timed part of a pass is the batch loop (the outputs are computed, not copied anywhere).
"""
import argparse
import importlib.util
import json
import sys
import time

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location('lstmc_bench_model', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def model_class(module):
    """The generated model: the nn.Module subclass of the module with a MODEL_NAME."""
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, torch.nn.Module)
            and getattr(value, 'MODEL_NAME', '')
            and value.__module__ == module.__name__
        ):
            return value
    raise SystemExit('speed_torch.py: %s defines no lstmc model class' % module.__file__)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--module', required=True)
    p.add_argument('--data', required=True)
    p.add_argument('--batch-size', type=int, required=True)
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--reps', type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    module = load_module(args.module)
    cls = model_class(module)
    _, data = module.lstmc_load_data(args.data)
    x = torch.from_numpy(data['train_x'])
    n = x.shape[0]
    model = cls()
    model.eval()
    rates = []
    with torch.inference_mode():
        for rep in range(args.reps + 1):
            t0 = time.perf_counter()
            for i in range(0, n, args.batch_size):
                model(x[i:i + args.batch_size])
            seconds = time.perf_counter() - t0
            if rep > 0:
                rates.append(n / seconds)
    print(json.dumps({'threads': torch.get_num_threads(), 'torch': torch.__version__, 'samples': n, 'samples_per_s': rates}))


if __name__ == '__main__':
    main()
