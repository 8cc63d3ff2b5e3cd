/**
 * PyTorch engine benchmark (not a test; it prints figures and asserts nothing):
 *
 *   npm run bench:torch          (builds, then node dist/bench/torch.js [--only a,b] [--reps N])
 *
 * On the issue's stacked regressor (4 × LSTM(50) + Dropout(0.2), input [60, 1], dense(1), adam, mse,
 * batch 32, damped-sine data) and on the six reference specs (specs/*.lstm, with small sample and epoch
 * overrides so the whole run takes a few minutes), in one run:
 *
 *   - lstmc torch: samples/s of `lstmc train SPEC --engine torch` (the module's own per-epoch figures);
 *   - hand torch:  samples/s of a hand-written PyTorch script for the same model (bench/torch_hand.py:
 *                  nn.LSTM & co., torch.optim, on the same `lstmc data` arrays, the same batch size);
 *     their ratio is the generated code's overhead (target ≥ 0.9);
 *   - tfjs:        samples/s of `lstmc train SPEC` on tfjs (wasm backend; its figure covers every epoch);
 *   - DDP × 2:     samples/s (all processes together) of `lstmc train SPEC --engine torch --nproc 2`.
 *
 * lstmc torch and hand torch alternate (rep 1: lstmc first; rep 2: hand first; ...). Each side's figure
 * is the median of its epochs after the first (warm-up) over all reps; the ratio of the best epochs is
 * printed beside it (on a shared machine other processes slow some epochs down, and a process's
 * allocator state makes some epochs fast: neither figure alone is the whole story).
 * The npm script unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this command only (both sides see
 * the same environment).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  afterWarmup,
  BENCH_PROBLEMS,
  best,
  fmt,
  MAIN,
  median,
  ratio,
  renderTable,
  ROOT,
  run,
  type BenchProblem,
} from './common.js';
import { findTorchPython, TorchUnavailableError, type TorchPython } from '../runtime/python.js';

const HAND = path.join(ROOT, 'bench', 'torch_hand.py');

interface Problem extends BenchProblem {
  /** PyTorch runs (lstmc and hand): training samples and epochs (the first is warm-up). */
  torch: { samples: number; epochs: number };
  /** The tfjs run: a few samples (it is an order of magnitude slower). */
  tfjs: { samples: number; epochs: number };
}

/** Per problem: PyTorch and tfjs run sizes that fit the whole run in a few minutes. */
const SIZES: Record<string, Pick<Problem, 'torch' | 'tfjs'>> = {
  regressor: { torch: { samples: 512, epochs: 5 }, tfjs: { samples: 128, epochs: 2 } },
  echo: { torch: { samples: 768, epochs: 5 }, tfjs: { samples: 256, epochs: 2 } },
  sine: { torch: { samples: 1536, epochs: 5 }, tfjs: { samples: 256, epochs: 2 } },
  cumsum: { torch: { samples: 2048, epochs: 5 }, tfjs: { samples: 256, epochs: 2 } },
  addition: { torch: { samples: 4096, epochs: 5 }, tfjs: { samples: 512, epochs: 2 } },
  chars: { torch: { samples: 4096, epochs: 5 }, tfjs: { samples: 512, epochs: 2 } },
  square: { torch: { samples: 1024, epochs: 5 }, tfjs: { samples: 128, epochs: 2 } },
};

const PROBLEMS: Problem[] = BENCH_PROBLEMS.map((p) => ({ ...p, ...SIZES[p.key]! }));

interface TorchJson {
  perEpoch: { epoch: number; seconds: number | null; samplesPerSec: number | null }[];
  replicas?: { identical: boolean };
}

interface Row {
  problem: Problem;
  lstmc: number[];
  hand: number[];
  tfjs: number;
  ddp: number[];
  ddpIdentical: boolean;
  /** lstmc's own time per run: wall time minus the epochs (compile, data export, Python start, saves). */
  overhead: number[];
}

function table(rows: Row[]): string {
  const header = [
    'problem',
    'lstmc torch',
    'hand torch',
    'lstmc/hand',
    '(best epochs)',
    'tfjs (wasm)',
    'torch/tfjs',
    'DDP ×2',
    'DDP/1 proc',
    'lstmc setup s',
  ];
  const body = rows.map((r) => {
    const lstmc = median(r.lstmc);
    const hand = median(r.hand);
    const ddp = median(r.ddp);
    const q = hand > 0 ? lstmc / hand : NaN;
    return [
      r.problem.title,
      fmt(lstmc),
      fmt(hand),
      `${ratio(lstmc, hand)} ${Number.isFinite(q) ? (q >= 0.9 ? '✓' : '✗') : ''}`.trim(),
      ratio(best(r.lstmc), best(r.hand)),
      fmt(r.tfjs),
      ratio(lstmc, r.tfjs),
      `${fmt(ddp)}${r.ddpIdentical ? '' : ' (replicas differ!)'}`,
      ratio(ddp, lstmc),
      median(r.overhead).toFixed(1),
    ];
  });
  return renderTable(header, body);
}

function parseArgs(argv: string[]): { only: Set<string> | null; reps: number } {
  const usage = `usage: node dist/bench/torch.js [--only ${PROBLEMS.map((p) => p.key).join(',')}] [--reps N]`;
  let only: Set<string> | null = null;
  let reps = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--only' && argv[i + 1] !== undefined) only = new Set(argv[++i]!.split(','));
    else if (a === '--reps' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) reps = Number(argv[++i]);
    else {
      console.error(usage);
      process.exit(2);
    }
  }
  for (const k of only ?? []) {
    if (!PROBLEMS.some((p) => p.key === k)) {
      console.error(`unknown problem ${k}\n${usage}`);
      process.exit(2);
    }
  }
  return { only, reps };
}

async function main(): Promise<void> {
  const { only, reps } = parseArgs(process.argv.slice(2));
  let py: TorchPython;
  try {
    py = findTorchPython();
  } catch (e) {
    if (e instanceof TorchUnavailableError) {
      console.error(`bench:torch: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'lstmc-bench-torch-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LSTMC_PYTHON: py.python, NO_COLOR: '1' };
  const threads = spawnSync(py.python, ['-c', 'import torch; print(torch.get_num_threads())'], {
    encoding: 'utf8',
    env,
  }).stdout.trim();
  console.log(
    `PyTorch ${py.torch} (${py.python}, Python ${py.pythonVersion}, ${threads} intra-op thread(s), ` +
      `${py.cuda ? 'CUDA available' : 'CPU only'}); ${cpus().length} CPUs, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} ` +
      `OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'}; ${reps} alternating reps per side`,
  );
  const rows: Row[] = [];
  const t0 = performance.now();
  try {
    for (const p of PROBLEMS.filter((q) => only === null || only.has(q.key))) {
      const spec = path.join(ROOT, p.file);
      const data = path.join(work, `data-${p.key}`);
      run(process.execPath, [MAIN, 'data', spec, '--out', data, '--samples', String(p.torch.samples)], env, work);
      const row: Row = { problem: p, lstmc: [], hand: [], tfjs: NaN, ddp: [], ddpIdentical: true, overhead: [] };
      const lstmcTorch = (nproc: number, rep: number): TorchJson => {
        const out = path.join(work, `run-${p.key}-${nproc}-${rep}`);
        // The DDP run is there for its throughput: a warm-up epoch and two more.
        const epochs = nproc === 1 ? p.torch.epochs : Math.min(3, p.torch.epochs);
        const common = ['--epochs', String(epochs), '--samples', String(p.torch.samples)];
        const r = run(
          process.execPath,
          [MAIN, 'train', spec, '--engine', 'torch', '--nproc', String(nproc), ...common, '--out', out, '--json'],
          env,
          work,
        );
        const j = JSON.parse(r.stdout) as TorchJson;
        if (nproc === 1) row.overhead.push(r.seconds - j.perEpoch.reduce((a, e) => a + (e.seconds ?? 0), 0));
        rmSync(out, { recursive: true, force: true });
        return j;
      };
      const sides = {
        lstmc: (rep: number) => {
          const j = lstmcTorch(1, rep);
          row.lstmc.push(...afterWarmup(j.perEpoch.map((e) => e.samplesPerSec ?? NaN)));
        },
        hand: () => {
          const r = run(
            py.python,
            [HAND, '--problem', p.key, '--data', data, '--epochs', String(p.torch.epochs)].concat([
              '--batch-size',
              String(p.batchSize),
            ]),
            env,
            work,
          );
          const lines = r.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { samples_per_s: number });
          row.hand.push(...afterWarmup(lines.map((l) => l.samples_per_s)));
        },
      };
      for (let rep = 0; rep < reps; rep++) {
        if (rep % 2 === 0) {
          sides.lstmc(rep);
          sides.hand();
        } else {
          sides.hand();
          sides.lstmc(rep);
        }
      }
      const ddp = lstmcTorch(2, 0);
      row.ddp = afterWarmup(ddp.perEpoch.map((e) => e.samplesPerSec ?? NaN));
      row.ddpIdentical = ddp.replicas?.identical ?? false;
      const tfOut = path.join(work, `run-${p.key}-tfjs`);
      const tf = run(
        process.execPath,
        [MAIN, 'train', spec, '--backend', 'wasm', '--epochs', String(p.tfjs.epochs)].concat([
          '--samples',
          String(p.tfjs.samples),
          '--out',
          tfOut,
          '--json',
          '--progress',
          'none',
        ]),
        env,
        work,
      );
      row.tfjs = (JSON.parse(tf.stdout) as { samplesPerSec: number }).samplesPerSec;
      rmSync(tfOut, { recursive: true, force: true });
      rows.push(row);
      const both = (xs: number[]) => `${fmt(median(xs))} (best ${fmt(best(xs))})`;
      console.log(
        `  ${p.title}: lstmc torch ${both(row.lstmc)}, hand ${both(row.hand)}, tfjs ${fmt(row.tfjs)}, ` +
          `DDP ×2 ${both(row.ddp)} samples/s`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nsamples/s (training; the median epoch after the first):\n`);
  console.log(table(rows));
  console.log(
    `\nlstmc/hand: the generated module against hand-written PyTorch (target ≥ 0.9; (best epochs): the ` +
      `ratio of each side's best epoch). torch/tfjs: lstmc torch ` +
      `against \`lstmc train\` on tfjs-wasm (its figure includes the first epoch). DDP ×2: two processes on this ` +
      `machine (${cpus().length} CPUs), global throughput. lstmc setup: a run's wall time minus its epochs ` +
      `(compile, data export, Python start, checkpoints, test evaluation). ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`,
  );
}

main().catch((e: unknown) => {
  console.error(`bench:torch: ${(e as Error).message}`);
  process.exit(1);
});
