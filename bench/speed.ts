/**
 * Fused-kernel speed benchmark (issue 9; not a test: it prints figures and asserts nothing but its own
 * plumbing):
 *
 *   npm run bench:speed   (builds, then node dist/bench/speed.js [--quick] [--model a,b] [--reps N] [--no-torch])
 *
 * On the stacked regressor (bench/specs/regressor.lstm: 4 × LSTM(50) + Dropout(0.2), input [60, 1], dense(1),
 * adam, mse, batch 32) and the six reference specs (specs/*.lstm), in one run on this machine:
 *
 *   - training samples/s of
 *       fused:    `train(model, { backend: 'wasm', fused: true })` — the in-process runtime API `lstmc train` uses;
 *       unfused:  the same with `fused: false` (tfjs's own recurrent layers on wasm);
 *       torch ×1, torch ×2: `lstmc train SPEC --engine torch` (the project's PyTorch target) with 1 and 2
 *                 intra-op threads (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS); "torch best" is the better one;
 *   - prediction samples/s: fused vs unfused (`model.predict` of the trained model, batches of the spec's
 *     batch size, after `fuseRecurrentLayers` / `unfuseRecurrentLayers` of runtime/fused), and PyTorch
 *     inference of the generated module (bench/speed_torch.py, eval mode, inference_mode, 1 and 2 threads);
 *   - achieved GFLOP/s: per-sample FLOPs from compiler/flops.ts (2 × params × timesteps for recurrent layers,
 *     forward; training 3 × forward) times samples/s;
 *   - peak RSS (max resident set) of the fused and of the unfused training process;
 *   - ratios: fused / torch best (training), fused / unfused (prediction);
 *   - the orthogonal initializer: one recurrent kernel with tfjs's Orthogonal vs runtime/orthogonal.ts
 *     ([256, 1024] on wasm, [64, 256] on cpu, where tfjs's takes minutes for the larger one).
 *
 * Each tfjs side runs in its own child process (`speed.js --child`: fresh heap, its own max RSS, no kernel
 * state shared between sides); fused and unfused children alternate (rep 1 fused first, rep 2 unfused first,
 * ...), and so do the two PyTorch thread counts. Every figure is the median over the epochs after the first
 * (warm-up) of all reps (prediction: over passes after a warm-up pass). Validation is off in the tfjs runs
 * (the PyTorch figure is its batch loop alone). The child checks, during training, which recurrent layers
 * actually run fused: an unfused run with a fused layer aborts the benchmark (the option did not reach
 * `train`), and the table says how many layers ran fused on each side.
 *
 * The npm script unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (as bench:torch does): both sides see the same
 * environment.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSource } from '../compiler/index.js';
import { modelFlops } from '../compiler/flops.js';
import type { IRModel } from '../compiler/ir.js';
import { findTorchPython, TorchUnavailableError, type TorchPython } from '../runtime/python.js';
import { afterWarmup, BENCH_PROBLEMS, fmt, MAIN, median, ratio, renderTable, ROOT, run } from './common.js';

const SELF = fileURLToPath(import.meta.url);
const TORCH_HELPER = path.join(ROOT, 'bench', 'speed_torch.py');
const CHILD_MARK = 'LSTMC-SPEED ';

/** Run sizes: training samples and epochs (the first is warm-up) per side, prediction passes. */
interface Sizes {
  tfjs: { samples: number; epochs: number };
  torch: { samples: number; epochs: number };
  predictReps: number;
}

const FULL: Record<string, Sizes> = {
  regressor: { tfjs: { samples: 256, epochs: 3 }, torch: { samples: 512, epochs: 3 }, predictReps: 3 },
  echo: { tfjs: { samples: 256, epochs: 3 }, torch: { samples: 384, epochs: 3 }, predictReps: 3 },
  sine: { tfjs: { samples: 512, epochs: 3 }, torch: { samples: 768, epochs: 3 }, predictReps: 3 },
  cumsum: { tfjs: { samples: 500, epochs: 3 }, torch: { samples: 1000, epochs: 3 }, predictReps: 3 },
  addition: { tfjs: { samples: 1024, epochs: 3 }, torch: { samples: 2048, epochs: 3 }, predictReps: 3 },
  chars: { tfjs: { samples: 1024, epochs: 3 }, torch: { samples: 2048, epochs: 3 }, predictReps: 3 },
  square: { tfjs: { samples: 256, epochs: 3 }, torch: { samples: 512, epochs: 3 }, predictReps: 3 },
};

/** --quick: a third of the samples, two epochs (one measured), one prediction pass. */
function quick(s: Sizes): Sizes {
  const third = (n: number) => Math.max(32, Math.round(n / 3));
  return {
    tfjs: { samples: third(s.tfjs.samples), epochs: 2 },
    torch: { samples: third(s.torch.samples), epochs: 2 },
    predictReps: 1,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The child: one tfjs training run + prediction, in this process.

interface ChildRequest {
  file: string;
  fused: boolean;
  samples: number;
  epochs: number;
  batchSize: number;
  predictReps: number;
}

interface ChildResult {
  fused: boolean;
  backend: string;
  /** Recurrent layers seen running fused during training (own `call` patched on the layer). */
  trainFusedLayers: string[];
  /** Recurrent layers running fused in the prediction passes; fuseRecurrentLayers's reasons for the others. */
  predictFused: string[];
  predictSkipped: { layer: string; reason: string }[];
  fusedModule: string | null;
  samples: number;
  /** Samples/s of every epoch (epoch 1 from `fit` start). */
  trainPerEpoch: number[];
  predictPerPass: number[];
  /** process.resourceUsage().maxRSS right after training, in MiB. */
  maxRssMiB: number;
}

interface FusedModule {
  fuseRecurrentLayers(model: unknown): { fused: string[]; skipped: { layer: string; reason: string }[] };
  unfuseRecurrentLayers?(model: unknown): void;
}

/** Names of the recurrent layers (a bidirectional's directions too) whose `call` is patched on the instance. */
function patchedLayers(model: { layers: unknown[] }): string[] {
  const out: string[] = [];
  const visit = (l: unknown, name: string): void => {
    if (typeof l !== 'object' || l === null) return;
    const o = l as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(o, 'call') || Symbol.for('lstmc.fused.originalCall') in o) out.push(name);
    for (const k of ['forwardLayer', 'backwardLayer', 'layer']) if (o[k]) visit(o[k], `${name}/${k}`);
  };
  for (const l of model.layers) visit(l, (l as { name: string }).name);
  return out;
}

async function child(req: ChildRequest): Promise<void> {
  const rt = await import('../runtime/index.js');
  const tf = await import('@tensorflow/tfjs');
  // runtime/fused's entry point (index.js; layer.js before it existed); null when neither is built.
  let fusedMod: FusedModule | null = null;
  for (const candidate of ['../runtime/fused/index.js', '../runtime/fused/layer.js']) {
    try {
      fusedMod = (await import(candidate)) as FusedModule;
      break;
    } catch {
      fusedMod = null;
    }
  }
  const file = path.join(ROOT, req.file);
  const { models } = checkSource(readFileSync(file, 'utf8'), file);
  const model = models[0]!;
  if (!model.data) throw new Error(`${req.file} has no data block`);
  const dataset = rt.loadData(model.data, { samples: req.samples, testSamples: 16, baseDir: path.dirname(file) });
  const spec = rt.toTfModelSpec(model);
  spec.train.validationSplit = 0;
  const marks: number[] = [];
  let trainFused: string[] | null = null;
  const options = {
    backend: 'wasm' as const,
    epochs: req.epochs,
    batchSize: req.batchSize,
    dataset,
    spec,
    progress: 'none' as const,
    evaluate: false,
    fused: req.fused,
    onEpochEnd: (_e: number, _l: Record<string, number>, m: { layers: unknown[] }) => {
      marks.push(performance.now());
      trainFused ??= patchedLayers(m);
    },
  };
  const r = await rt.train(model, options);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  const n = dataset.train.x.shape[0]!;
  // Epoch i ends at marks[i]; epoch 1 starts where fit started (fitMs covers fit alone, not train's setup).
  const fitStart = marks.length > 0 ? marks[marks.length - 1]! - r.fitMs : 0;
  const trainPerEpoch = marks.map((m, i) => n / ((m - (i === 0 ? fitStart : marks[i - 1]!)) / 1000));

  let predictSkipped: { layer: string; reason: string }[] = [];
  if (fusedMod) {
    if (req.fused) predictSkipped = fusedMod.fuseRecurrentLayers(r.model).skipped;
    else fusedMod.unfuseRecurrentLayers?.(r.model);
  }
  // What actually runs fused in the prediction passes (whatever train() left and the calls above did).
  const predictFused = patchedLayers(r.model);
  const x = tf.tensor(dataset.train.x.values, dataset.train.x.shape, 'float32');
  const predictPerPass: number[] = [];
  for (let rep = 0; rep <= req.predictReps; rep++) {
    const t = performance.now();
    const y = r.model.predict(x, { batchSize: req.batchSize });
    const ys = Array.isArray(y) ? y : [y];
    for (const t1 of ys) await t1.data();
    tf.dispose(ys);
    if (rep > 0) predictPerPass.push(n / ((performance.now() - t) / 1000));
  }
  x.dispose();
  const result: ChildResult = {
    fused: req.fused,
    backend: r.backend.name,
    trainFusedLayers: trainFused ?? [],
    predictFused,
    predictSkipped,
    fusedModule: fusedMod ? 'runtime/fused' : null,
    samples: n,
    trainPerEpoch,
    predictPerPass,
    maxRssMiB,
  };
  process.stdout.write(`${CHILD_MARK}${JSON.stringify(result)}\n`);
}

/** One orthogonal-initializer timing: tfjs's own vs runtime/orthogonal.ts, on one backend and shape. */
interface InitCase {
  backend: 'wasm' | 'cpu';
  shape: [number, number];
}
interface InitResult extends InitCase {
  stockMs: number[];
  fastMs: number[];
}

/** Times both initializers on `c.shape` (alternating, `reps` each) in this process. */
async function childInit(c: InitCase & { reps: number }): Promise<void> {
  const rt = await import('../runtime/index.js');
  const { stockOrthogonal } = await import('../runtime/orthogonal.js');
  await rt.setupBackend(c.backend);
  const warn = console.warn;
  console.warn = () => {}; // tfjs's "Slowness may result" line, once per stock call
  const time = (init: { apply(shape: number[]): { dataSync(): unknown; dispose(): void } }) => {
    const t = performance.now();
    const w = init.apply(c.shape);
    w.dataSync();
    w.dispose();
    return performance.now() - t;
  };
  const res: InitResult = { backend: c.backend, shape: c.shape, stockMs: [], fastMs: [] };
  for (let rep = 0; rep < c.reps; rep++) {
    res.stockMs.push(time(stockOrthogonal({})));
    res.fastMs.push(time(new rt.FastOrthogonal({})));
  }
  console.warn = warn;
  process.stdout.write(`${CHILD_MARK}${JSON.stringify(res)}\n`);
}

function childJson<T>(flag: string, req: unknown, cwd: string): T {
  const r = run(process.execPath, [SELF, flag, JSON.stringify(req)], { ...process.env, NO_COLOR: '1' }, cwd);
  const line = r.stdout.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (!line) throw new Error(`speed.js ${flag} printed no result:\n${r.stdout.slice(-1000)}\n${r.stderr.slice(-1000)}`);
  return JSON.parse(line.slice(CHILD_MARK.length)) as T;
}

function runChild(req: ChildRequest, cwd: string): ChildResult {
  const res = childJson<ChildResult>('--child', req, cwd);
  if (!req.fused && (res.trainFusedLayers.length > 0 || res.predictFused.length > 0)) {
    throw new Error(
      `${req.file}: the run with fused: false ran ${res.trainFusedLayers.join(', ')} fused — the option did not reach train()`,
    );
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------------
// The parent: alternating runs, tables.

interface Side {
  train: number[];
  predict: number[];
  rss: number[];
  fusedLayers: number;
  predictFusedLayers: number;
  skipped: string[];
}

interface Row {
  key: string;
  title: string;
  flops: { forward: number; train: number };
  fused: Side;
  unfused: Side;
  torchTrain: Record<number, number[]>;
  torchPredict: Record<number, number[]>;
}

const THREADS = [1, 2] as const;

function emptySide(): Side {
  return { train: [], predict: [], rss: [], fusedLayers: 0, predictFusedLayers: 0, skipped: [] };
}

/** `a/b` with a mark for the issue's target: ✓ when `met(a / b)`, ✗ when not, nothing when a side is missing. */
function ratioAgainst(a: number, b: number, met: (r: number) => boolean): string {
  const r = a / b;
  return `${ratio(a, b)}${Number.isFinite(r) ? (met(r) ? ' ✓' : ' ✗') : ''}`;
}

function gflops(flopsPerSample: number, samplesPerSec: number): string {
  const g = (flopsPerSample * samplesPerSec) / 1e9;
  return Number.isFinite(g) ? (g >= 10 ? g.toFixed(1) : g.toFixed(2)) : '—';
}

interface Args {
  only: Set<string> | null;
  reps: number;
  quick: boolean;
  torch: boolean;
}

function parseArgs(argv: string[]): Args {
  const keys = BENCH_PROBLEMS.map((p) => p.key);
  const usage = `usage: node dist/bench/speed.js [--quick] [--model ${keys.join(',')}] [--reps N] [--no-torch]`;
  const a: Args = { only: null, reps: 2, quick: false, torch: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if ((x === '--model' || x === '--only') && argv[i + 1] !== undefined) a.only = new Set(argv[++i]!.split(','));
    else if (x === '--reps' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) a.reps = Number(argv[++i]);
    else if (x === '--quick') a.quick = true;
    else if (x === '--no-torch') a.torch = false;
    else {
      console.error(usage);
      process.exit(2);
    }
  }
  for (const k of a.only ?? []) {
    if (!keys.includes(k)) {
      console.error(`unknown model ${k}\n${usage}`);
      process.exit(2);
    }
  }
  if (a.quick && !argv.includes('--reps')) a.reps = 1;
  return a;
}

function loadModel(file: string): IRModel {
  const abs = path.join(ROOT, file);
  const r = checkSource(readFileSync(abs, 'utf8'), abs);
  const m = r.models[0];
  if (!m) throw new Error(`${file}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return m;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(JSON.parse(argv[1] ?? '{}') as ChildRequest);
    return;
  }
  if (argv[0] === '--child-init') {
    await childInit(JSON.parse(argv[1] ?? '{}') as InitCase & { reps: number });
    return;
  }
  const args = parseArgs(argv);
  let py: TorchPython | null = null;
  let torchNote = '';
  if (args.torch) {
    try {
      py = findTorchPython();
    } catch (e) {
      if (!(e instanceof TorchUnavailableError)) throw e;
      torchNote = `PyTorch columns skipped: ${e.message}`;
    }
  } else torchNote = 'PyTorch columns skipped (--no-torch)';
  console.log(
    `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; Node ${process.versions.node}; ` +
      (py ? `PyTorch ${py.torch} (${py.python}); ` : '') +
      `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'}; ` +
      `${args.reps} alternating rep(s) per side${args.quick ? ' (--quick)' : ''}`,
  );
  if (torchNote) console.log(torchNote);
  const work = mkdtempSync(path.join(tmpdir(), 'lstmc-bench-speed-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...(py ? { LSTMC_PYTHON: py.python } : {}) };
  const rows: Row[] = [];
  const inits: InitResult[] = [];
  const t0 = performance.now();
  try {
    for (const p of BENCH_PROBLEMS.filter((q) => args.only === null || args.only.has(q.key))) {
      const sizes = args.quick ? quick(FULL[p.key]!) : FULL[p.key]!;
      const flops = modelFlops(loadModel(p.file));
      const row: Row = {
        key: p.key,
        title: p.title,
        flops,
        fused: emptySide(),
        unfused: emptySide(),
        torchTrain: { 1: [], 2: [] },
        torchPredict: { 1: [], 2: [] },
      };
      // tfjs: fused and unfused children, alternating.
      const tfjsSide = (fused: boolean) => {
        const res = runChild(
          { file: p.file, fused, ...sizes.tfjs, batchSize: p.batchSize, predictReps: sizes.predictReps },
          work,
        );
        const side = fused ? row.fused : row.unfused;
        side.train.push(...afterWarmup(res.trainPerEpoch));
        side.predict.push(...res.predictPerPass);
        side.rss.push(res.maxRssMiB);
        side.fusedLayers = res.trainFusedLayers.length;
        side.predictFusedLayers = res.predictFused.length;
        side.skipped = res.predictSkipped.map((s) => `${s.layer}: ${s.reason}`);
        if (res.fusedModule === null) side.skipped = ['runtime/fused is not built'];
      };
      for (let rep = 0; rep < args.reps; rep++) {
        const order = rep % 2 === 0 ? [true, false] : [false, true];
        for (const f of order) tfjsSide(f);
      }
      // PyTorch: the generated module, 1 and 2 threads, alternating.
      if (py) {
        const spec = path.join(ROOT, p.file);
        const data = path.join(work, `data-${p.key}`);
        const mod = path.join(work, `torch-${p.key}`);
        run(process.execPath, [MAIN, 'data', spec, '--out', data, '--samples', String(sizes.torch.samples)], env, work);
        run(process.execPath, [MAIN, 'compile', spec, '--target', 'pytorch', '--out', mod], env, work);
        const pyFile = path.join(
          mod,
          readdirSync(mod).find((f) => f.endsWith('.py'))!,
        );
        const torchSide = (threads: number, rep: number) => {
          const tenv = { ...env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
          const out = path.join(work, `run-${p.key}-${threads}-${rep}`);
          const common = ['--epochs', String(sizes.torch.epochs), '--samples', String(sizes.torch.samples)];
          const tr = run(
            process.execPath,
            [MAIN, 'train', spec, '--engine', 'torch', ...common, '--out', out, '--json'],
            tenv,
            work,
          );
          const j = JSON.parse(tr.stdout) as { perEpoch: { samplesPerSec: number | null }[] };
          row.torchTrain[threads]!.push(...afterWarmup(j.perEpoch.map((e) => e.samplesPerSec ?? NaN)));
          rmSync(out, { recursive: true, force: true });
          const inf = run(
            py!.python,
            [TORCH_HELPER, '--module', pyFile, '--data', data, '--batch-size', String(p.batchSize)].concat([
              '--threads',
              String(threads),
              '--reps',
              String(sizes.predictReps),
            ]),
            tenv,
            work,
          );
          row.torchPredict[threads]!.push(...(JSON.parse(inf.stdout) as { samples_per_s: number[] }).samples_per_s);
        };
        for (let rep = 0; rep < args.reps; rep++) {
          const order = rep % 2 === 0 ? THREADS : [...THREADS].reverse();
          for (const t of order) torchSide(t, rep);
        }
      }
      rows.push(row);
      const tb = Math.max(median(row.torchTrain[1]!), median(row.torchTrain[2]!));
      console.log(
        `  ${p.title}: train fused ${fmt(median(row.fused.train))}, unfused ${fmt(median(row.unfused.train))}, ` +
          `torch best ${fmt(tb)}; predict fused ${fmt(median(row.fused.predict))}, unfused ` +
          `${fmt(median(row.unfused.predict))} samples/s (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
    // The orthogonal initializer (issue 9, item 4): tfjs's QR in tf ops vs runtime/orthogonal.ts. The cpu
    // backend takes minutes for a [256, 1024] kernel with tfjs's, hence a smaller shape there.
    const cases: InitCase[] = args.quick
      ? [
          { backend: 'wasm', shape: [128, 512] },
          { backend: 'cpu', shape: [32, 128] },
        ]
      : [
          { backend: 'wasm', shape: [256, 1024] },
          { backend: 'cpu', shape: [64, 256] },
        ];
    for (const c of cases) inits.push(childJson<InitResult>('--child-init', { ...c, reps: args.quick ? 1 : 2 }, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTables(rows, py !== null);
  if (inits.length) {
    console.log(`\nOrthogonal initializer (one recurrent kernel, ms; median over reps):\n`);
    console.log(
      renderTable(
        ['backend', 'shape', 'tfjs Orthogonal', 'runtime/orthogonal.ts', 'speed-up'],
        inits.map((i) => {
          const a = median(i.stockMs);
          const b = median(i.fastMs);
          return [i.backend, `[${i.shape.join(', ')}]`, a.toFixed(0), b.toFixed(1), `${ratio(a, b)}×`];
        }),
      ),
    );
  }
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s in all.`);
}

function printTables(rows: Row[], torch: boolean): void {
  const torchBest = (r: Record<number, number[]>) => Math.max(...THREADS.map((t) => median(r[t]!)));
  console.log(`\nTraining, samples/s (median epoch after the first), and achieved GFLOP/s:\n`);
  console.log(
    renderTable(
      [
        'problem',
        'fused',
        'unfused',
        'torch ×1',
        'torch ×2',
        'fused/torch best',
        'fused/unfused',
        'MFLOP/sample',
        'GFLOP/s fused',
        'unfused',
        'torch best',
        'fused layers',
      ],
      rows.map((r) => {
        const f = median(r.fused.train);
        const u = median(r.unfused.train);
        const tb = torch ? torchBest(r.torchTrain) : NaN;
        return [
          r.title,
          fmt(f),
          fmt(u),
          fmt(median(r.torchTrain[1]!)),
          fmt(median(r.torchTrain[2]!)),
          ratioAgainst(f, tb, (r) => r >= 1),
          ratio(f, u),
          (r.flops.train / 1e6).toFixed(2),
          gflops(r.flops.train, f),
          gflops(r.flops.train, u),
          gflops(r.flops.train, tb),
          String(r.fused.fusedLayers),
        ];
      }),
    ),
  );
  console.log(`\nPrediction, samples/s (median pass after a warm-up pass; batches of the spec's batch size):\n`);
  console.log(
    renderTable(
      [
        'problem',
        'fused',
        'unfused',
        'fused/unfused',
        'torch ×1',
        'torch ×2',
        'fused/torch best',
        'GFLOP/s fused',
        'unfused',
        'fused layers',
      ],
      rows.map((r) => {
        const f = median(r.fused.predict);
        const u = median(r.unfused.predict);
        const tb = torch ? torchBest(r.torchPredict) : NaN;
        return [
          r.title,
          fmt(f),
          fmt(u),
          ratioAgainst(f, u, (r) => r >= 10),
          fmt(median(r.torchPredict[1]!)),
          fmt(median(r.torchPredict[2]!)),
          ratio(f, tb),
          gflops(r.flops.forward, f),
          gflops(r.flops.forward, u),
          String(r.fused.predictFusedLayers),
        ];
      }),
    ),
  );
  console.log(`\nPeak RSS of the training process, MiB (median over reps):\n`);
  console.log(
    renderTable(
      ['problem', 'fused', 'unfused', 'fused/unfused'],
      rows.map((r) => {
        const f = median(r.fused.rss);
        const u = median(r.unfused.rss);
        return [r.title, f.toFixed(0), u.toFixed(0), ratioAgainst(f, u, (r) => r <= 1)];
      }),
    ),
  );
  const skipped = rows.flatMap((r) => r.fused.skipped.map((s) => `${r.key}: ${s}`));
  if (skipped.length) console.log(`\nNot fused: ${[...new Set(skipped)].join('; ')}`);
  console.log(
    `\nTargets (issue 9): training fused/torch best ≥ 1.0 on the regressor; prediction fused/unfused ≥ 10; ` +
      `peak RSS fused ≤ unfused. "fused layers": recurrent layers seen running on the fused kernels (training: ` +
      `during fit; prediction: during the passes). FLOPs: compiler/flops.ts (matrix work of ` +
      `layers with weights, 2·params·timesteps for recurrent layers; training = 3 × forward).`,
  );
}

main().catch((e: unknown) => {
  console.error(`bench:speed: ${(e as Error).message}`);
  process.exit(1);
});
