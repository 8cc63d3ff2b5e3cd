/**
 * `lstmc train | evaluate | predict | generate` — direct execution of specs.
 *
 * Startup stays cheap: nothing here imports tfjs; every action handler `import()`s the runtime.
 * Exit codes: 0 ok; 1 spec errors, data errors, NaN loss, missing model; 2 usage errors (a `--backend`
 * that cannot run here included).
 * Data problems print one located line (`file:line: message`), never a stack trace.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { IRModel } from '../compiler/ir.js';
import type { DataInfo } from '../runtime/data/types.js';
import { writeFileAtomic } from './atomic.js';
import { checkOneSpec, paramOption } from './check-command.js';
import { formatPredictions, PREDICT_FORMATS, type PredictFormat } from './predict-output.js';
import { UsageError } from './files.js';
import { lossSparkline, runDirSparkline } from './sparkline.js';

type Runtime = typeof import('../runtime/index.js');

const BACKENDS = ['auto', 'node', 'wasm', 'cpu'] as const;

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(v);
}
function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative number.');
  return n;
}

/** Default output directory of a model: ./models/<ModelName>. */
export function defaultOutDir(modelName: string): string {
  return join('models', modelName);
}

async function loadRuntime(): Promise<Runtime> {
  return import('../runtime/index.js');
}

/** A user-facing failure: printed as one line, exit code 1 (or the given one). */
class RunFailure extends Error {
  constructor(
    message: string,
    public exitCode = 1,
  ) {
    super(message);
  }
}

/** Runs an action, turning data / training / known runtime errors into a clean message and exit code. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const err = e as Error & { located?: () => string; exitCode?: number };
      // `--backend node` without tfjs-node (runtime/backend.ts): the user's choice, a usage error (exit 2).
      if (err?.name === 'BackendUnavailableError') throw new UsageError(err.message);
      if (err?.name === 'DataError' && typeof err.located === 'function') {
        process.stderr.write(`lstmc: error: ${err.located()}\n`);
        process.exitCode = 1;
        return;
      }
      if (e instanceof RunFailure || err?.name === 'TrainError') {
        process.stderr.write(`lstmc: error: ${err.message}\n`);
        process.exitCode = err.exitCode ?? 1;
        return;
      }
      throw e;
    }
  };
}

interface SpecOptions {
  model?: string;
  param?: Record<string, string>;
}

/** Reads and checks one spec file; prints diagnostics; returns the chosen model (or exits 1). */
async function checkedModel(input: string, opts: SpecOptions): Promise<{ model: IRModel; baseDir: string } | null> {
  const checked = await checkOneSpec(input, opts.param !== undefined ? { params: opts.param } : {});
  if (!checked) return null;
  const { file } = checked;
  const models = checked.result.models;
  let model: IRModel | undefined;
  if (opts.model !== undefined) {
    model = models.find((m) => m.name === opts.model);
    if (!model)
      throw new UsageError(
        `no model named "${opts.model}" in ${file.display}${models.length ? ` (models: ${models.map((m) => m.name).join(', ')})` : ''}`,
      );
  } else {
    if (models.length > 1)
      throw new UsageError(
        `${file.display} defines ${models.length} models (${models.map((m) => m.name).join(', ')}); choose one with --model NAME`,
      );
    model = models[0];
    if (!model) throw new RunFailure(`${file.display} has no model that checks cleanly`);
  }
  return { model, baseDir: file.stdin ? process.cwd() : dirname(file.absolute) };
}

/** The `--param` overrides recorded by the run in `dir` (none when there is no readable run). */
function readRunParams(rt: Runtime, dir: string): Record<string, string> | undefined {
  try {
    const p = rt.readTrainState(dir)?.run?.params;
    return p && Object.keys(p).length > 0 ? p : undefined;
  } catch {
    return undefined; // train() reports an unreadable lstmc.json
  }
}

/** A model directory from an argument that is a directory (with model.json) or a spec file. */
async function modelDir(arg: string, opts: SpecOptions & { dir?: string }): Promise<string> {
  if (opts.dir) return opts.dir;
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    if (!existsSync(join(arg, 'model.json')))
      throw new RunFailure(`${arg} has no model.json (train a model into it with \`lstmc train SPEC --out ${arg}\`)`);
    return arg;
  }
  const c = await checkedModel(arg, opts);
  if (!c) throw new RunFailure(`cannot find the model of ${arg}`);
  const dir = defaultOutDir(c.model.name);
  if (!existsSync(join(dir, 'model.json')))
    throw new RunFailure(`no trained model in ${dir} (run \`lstmc train ${arg}\` first, or pass --dir)`);
  return dir;
}

function readInputFile(path: string): { text: string; name: string } {
  if (path === '-') return { text: readFileSync(0, 'utf8'), name: '<stdin>' };
  try {
    return { text: readFileSync(path, 'utf8'), name: path };
  } catch (e) {
    throw new RunFailure(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

function looksLikeJson(text: string, name: string): boolean {
  const t = text.trim();
  return name.endsWith('.json') || t.startsWith('[') || t.startsWith('{') || t.startsWith('"');
}

/**
 * A CSV series for a model trained on a CSV column: the last window of its column (`--column`, else
 * the column the model trained on when the header has it, else the only column). Null when the input
 * is not a series (JSON, or rows of whole samples).
 */
async function seriesInput(
  text: string,
  name: string,
  info: DataInfo,
  column: string | undefined,
): Promise<{ window: number[][]; source: string; column: string } | null> {
  if (looksLikeJson(text, name)) return null;
  const csv = await import('../runtime/data/csv.js');
  const header = csv.csvHeader(text);
  const window = info.inputShape[0]!;
  let col: string | number | undefined;
  if (column !== undefined) col = /^\d+$/.test(column) && !header?.includes(column) ? Number(column) : column;
  else if (header && info.column !== undefined && header.includes(info.column)) col = info.column;
  else {
    const firstRow = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
    if (firstRow.split(/[,;\t]/).length !== 1) return null;
    col = 0;
  }
  let s: { values: number[]; lines: number[]; column: string };
  try {
    s = csv.parseCsvColumn(text, name, col, undefined);
  } catch (e) {
    const err = e as Error & { located?: () => string };
    if (err.name === 'DataError' && err.located) throw new RunFailure(err.located());
    throw e;
  }
  if (s.values.length < window)
    throw new RunFailure(
      `${name}: ${s.values.length} value(s) in column "${s.column}", but the model forecasts from a window of ${window}`,
    );
  const lines = s.lines.slice(-window);
  return {
    window: s.values.slice(-window).map((v) => [v]),
    column: s.column,
    source: `from the last ${window} values of "${s.column}" in ${name} (lines ${lines[0]}–${lines[lines.length - 1]})`,
  };
}

/** Samples from a JSON file (a sample, a list of samples, or strings) or a CSV file (one sample per row). */
function parseSamples(text: string, name: string, inputSize: number | null, seriesWindow: number | null): unknown {
  const trimmed = text.trim();
  if (name.endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{') || trimmed.startsWith('"')) {
    try {
      const v = JSON.parse(trimmed) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) && 'inputs' in (v as object)
        ? (v as { inputs: unknown }).inputs
        : v;
    } catch (e) {
      throw new RunFailure(`${name}: invalid JSON (${(e as Error).message})`);
    }
  }
  const rows = text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, cells: l.split(/[,;\t]/).map((c) => c.trim()) }))
    .filter((r) => r.cells.some((c) => c !== ''));
  const numeric = (c: string) => c !== '' && Number.isFinite(Number(c));
  const data = rows.filter((r, i) => !(i === 0 && !r.cells.every(numeric)));
  for (const r of data) {
    const bad = r.cells.find((c) => !numeric(c));
    if (bad !== undefined) throw new RunFailure(`${name}:${r.line}: non-numeric value "${bad}"`);
  }
  // A single column fed to a model trained on a CSV series: a series; forecast from its last window.
  if (seriesWindow !== null && data.every((r) => r.cells.length === 1) && data.length !== 1) {
    if (data.length < seriesWindow)
      throw new RunFailure(`${name}: ${data.length} value(s), but the model needs a window of ${seriesWindow}`);
    return [data.slice(-seriesWindow).map((r) => [Number(r.cells[0])])];
  }
  return data.map((r) => {
    if (inputSize !== null && r.cells.length !== inputSize)
      throw new RunFailure(
        `${name}:${r.line}: ${r.cells.length} value(s), but the model input needs ${inputSize} per row`,
      );
    return r.cells.map(Number);
  });
}

interface TrainCliOptions extends SpecOptions {
  epochs?: number;
  batchSize?: number;
  out?: string;
  backend: (typeof BACKENDS)[number];
  resume?: boolean;
  force?: boolean;
  verbose?: boolean;
  fused?: boolean;
  samples?: number;
  progress: 'auto' | 'bar' | 'lines' | 'none';
  json?: boolean;
  engine: 'tfjs' | 'torch';
  nproc?: number;
  device?: 'cpu' | 'cuda';
  python?: string;
}

export function registerRuntimeCommands(program: Command): Command {
  const backendOption = () =>
    new Option('--backend <name>', 'tfjs backend; auto picks the fastest with every kernel the model needs')
      .choices(BACKENDS)
      .default('auto');
  const fusedOption = () =>
    new Option('--no-fused', "run recurrent layers on tfjs's own layers instead of lstmc's fused kernels");

  program
    .command('train')
    .description(
      'train a model of a spec on its data block; save it (TF.js layers format) with a checkpoint every epoch',
    )
    .argument('<file>', 'a .lstm or YAML spec')
    .option('--model <name>', 'the model to train (when the file has several)')
    .option('--epochs <n>', 'override train.epochs', positiveInt)
    .option('--batch-size <n>', 'override train.batchSize', positiveInt)
    .addOption(paramOption())
    .option('--out <dir>', 'output directory (default: models/<ModelName>)')
    .addOption(backendOption())
    .addOption(fusedOption())
    .option(
      '--resume',
      "continue the run checkpointed in --out, with that run's epochs, batch size, samples and params",
    )
    .option('--force', 'replace a run already in --out (without it, training into a run refuses)')
    .option('--verbose', 'say more: why this backend')
    .option('--samples <n>', 'override the number of synthetic training samples', positiveInt)
    .addOption(
      new Option('--progress <mode>', 'progress display (auto: a bar on a terminal, one line per epoch otherwise)')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .option('--json', 'print the final result as JSON on stdout (progress goes to stderr)')
    .addOption(
      new Option('--engine <name>', 'tfjs: train in this process; torch: compile to PyTorch and train there')
        .choices(['tfjs', 'torch'])
        .default('tfjs'),
    )
    .option('--nproc <n>', 'torch: data-parallel processes on this machine (DDP)', positiveInt)
    .addOption(new Option('--device <device>', 'torch: where to train (default cpu)').choices(['cpu', 'cuda']))
    .option(
      '--python <path>',
      'torch: the Python interpreter (default: $LSTMC_PYTHON, else the first that imports torch)',
    )
    .action(
      guarded(async (input: string, opts: TrainCliOptions, cmd: Command) => {
        if (opts.engine === 'torch') {
          if (input === '-') throw new UsageError('--engine torch reads the spec from a file, not from stdin');
          if (cmd.getOptionValueSource('backend') === 'cli')
            throw new UsageError('--backend picks a tfjs backend; with --engine torch use --device cpu|cuda');
        } else {
          const torchOnly = (['nproc', 'device', 'python'] as const).find((k) => opts[k] !== undefined);
          if (torchOnly) throw new UsageError(`--${torchOnly} needs --engine torch`);
        }
        if (opts.resume && opts.force)
          throw new UsageError('--resume continues the run in --out and --force replaces it: choose one');
        let c = await checkedModel(input, opts);
        if (!c) return;
        if (opts.engine === 'torch') {
          // The same rule as the tfjs engine: never replace other files, a run only with --force.
          const { outDirProblem } = await import('../runtime/run-dir.js');
          const problem = outDirProblem(opts.out ?? defaultOutDir(c.model.name), opts);
          if (problem) throw new RunFailure(problem);
          const { trainWithTorch } = await import('./torch-train.js');
          await trainWithTorch({
            model: c.model,
            specFile: resolve(c.model.file),
            outDir: opts.out ?? defaultOutDir(c.model.name),
            nproc: opts.nproc ?? 1,
            device: opts.device ?? 'cpu',
            progress: opts.progress,
            ...(opts.param !== undefined ? { params: opts.param } : {}),
            ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
            ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
            ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
            ...(opts.resume ? { resume: true } : {}),
            ...(opts.python !== undefined ? { python: opts.python } : {}),
            ...(opts.json ? { json: true } : {}),
          });
          if (!opts.json && process.stdout.isTTY === true && opts.progress !== 'none' && !process.exitCode) {
            const spark = runDirSparkline(opts.out ?? defaultOutDir(c.model.name), process.stdout.columns ?? 80);
            if (spark !== '') process.stdout.write(`${spark}\n`);
          }
          return;
        }
        const rt = await loadRuntime();
        const outDir = opts.out ?? defaultOutDir(c.model.name);
        // --resume without --param: the spec as the run was started (its recorded --param overrides).
        let params = opts.param;
        let paramsFromRun = false;
        if (opts.resume && params === undefined) {
          const runParams = readRunParams(rt, outDir);
          if (runParams) {
            c = await checkedModel(input, { ...opts, param: runParams });
            if (!c) return;
            params = runParams;
            paramsFromRun = true;
          }
        }
        const stream = opts.json ? process.stderr : process.stdout;
        // Ctrl-C: stop after the current batch (that epoch is discarded), keep the last checkpoint, exit
        // 130. A second Ctrl-C exits at once (checkpoints are atomic, so nothing is lost either way).
        const abort = new AbortController();
        const onSignal = (sig: NodeJS.Signals) => {
          if (abort.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
          abort.abort();
          stream.write(`\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping after this batch (again to quit at once)\n`);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        let r: Awaited<ReturnType<Runtime['train']>>;
        try {
          r = await rt.train(c.model, {
            ...(cmd.getOptionValueSource('backend') === 'cli' ? { backend: opts.backend } : {}),
            outDir,
            progress: opts.progress,
            stream,
            data: { baseDir: c.baseDir, ...(opts.samples !== undefined ? { samples: opts.samples } : {}) },
            ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
            ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
            ...(opts.resume ? { resume: true } : {}),
            ...(opts.force ? { force: true } : {}),
            ...(opts.verbose ? { verbose: true } : {}),
            ...(opts.fused === false ? { fused: false } : {}),
            ...(params !== undefined ? { params } : {}),
            ...(paramsFromRun ? { paramsFromRun } : {}),
            signal: abort.signal,
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (r.stopReason === 'interrupted') {
          const again = `lstmc train ${input}${opts.model !== undefined ? ` --model ${opts.model}` : ''} --out ${outDir} --resume`;
          stream.write(
            r.epochs > 0
              ? `interrupted after epoch ${r.epochs}; continue with --resume (${again})\n`
              : `interrupted before the first epoch finished; nothing was saved\n`,
          );
        }
        // On a terminal: the run's loss curve in one line (cli/sparkline.ts).
        if (!opts.json && process.stdout.isTTY === true && opts.progress !== 'none') {
          const spark = lossSparkline(r.history, process.stdout.columns ?? 80);
          if (spark !== '') process.stdout.write(`${spark}\n`);
        }
        if (opts.json) {
          const last = Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v[v.length - 1]]));
          process.stdout.write(
            JSON.stringify({
              model: c.model.name,
              backend: r.backend.name,
              epochs: r.epochs,
              initialEpoch: r.initialEpoch,
              batchSize: r.batchSize,
              stopReason: r.stopReason,
              final: last,
              evaluation: r.evaluation,
              fitSeconds: r.fitMs / 1000,
              samplesPerSec: r.samplesPerSec,
              outDir,
            }) + '\n',
          );
        }
        r.model.dispose();
        process.exitCode = r.stopReason === 'nan' ? 1 : r.stopReason === 'interrupted' ? 130 : 0;
      }),
    );

  program
    .command('evaluate')
    .description(
      "evaluate a trained model on its spec's data block (test split; metrics in original units for CSV data)",
    )
    .argument('<file>', 'the spec the model was trained from')
    .option('--model <name>', 'the model (when the file has several)')
    .addOption(paramOption())
    .option('--dir <dir>', 'model directory (default: models/<ModelName>)')
    .addOption(backendOption())
    .addOption(fusedOption())
    .addOption(new Option('--split <which>', 'data split').choices(['test', 'train']).default('test'))
    .option('--json', 'print the metrics as JSON')
    .action(
      guarded(
        async (
          input: string,
          opts: SpecOptions & {
            dir?: string;
            backend: (typeof BACKENDS)[number];
            fused?: boolean;
            split: 'test' | 'train';
            json?: boolean;
          },
        ) => {
          const c = await checkedModel(input, opts);
          if (!c) return;
          const dir = opts.dir ?? defaultOutDir(c.model.name);
          if (!existsSync(join(dir, 'model.json')))
            throw new RunFailure(`no trained model in ${dir} (run \`lstmc train ${input}\` first, or pass --dir)`);
          const rt = await loadRuntime();
          const m = await rt.evaluate(c.model, dir, {
            backend: opts.backend,
            fused: opts.fused !== false,
            split: opts.split,
            data: { baseDir: c.baseDir },
          });
          if (opts.json)
            process.stdout.write(JSON.stringify({ model: c.model.name, split: opts.split, metrics: m }) + '\n');
          else
            process.stdout.write(
              Object.entries(m)
                .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
                .join('\n') + '\n',
            );
        },
      ),
    );

  program
    .command('predict')
    .description(
      'run a trained model and say what its outputs mean: class and label, or values in original units; ' +
        'a model trained on a CSV column forecasts from the last window of a series',
    )
    .argument('<model>', 'a model directory (with model.json) or the spec it was trained from')
    .requiredOption(
      '-i, --input <file>',
      'JSON samples, CSV rows (one sample per row), a CSV series (CSV models), or lines of text (text models); - for stdin',
    )
    .option(
      '--column <name>',
      'CSV models: the series column of the input (default: the column the model trained on, when the file has it)',
    )
    .addOption(
      new Option(
        '--format <format>',
        'table for people; json or csv for programs (default: from -o, else table)',
      ).choices(PREDICT_FORMATS),
    )
    .option('-o, --output <file>', 'write the predictions here instead of stdout')
    .addOption(
      new Option(
        '--reset-states <when>',
        'stateful models: fresh states once at the start, carried across the batches (call), or before every batch (batch)',
      )
        .choices(['call', 'batch'])
        .default('call'),
    )
    .option('--model <name>', 'the model (when a spec file has several)')
    .addOption(paramOption())
    .option('--dir <dir>', 'model directory (overrides the default models/<ModelName>)')
    .addOption(backendOption())
    .addOption(fusedOption())
    .action(
      guarded(
        async (
          arg: string,
          opts: SpecOptions & {
            input: string;
            output?: string;
            column?: string;
            format?: PredictFormat;
            resetStates: 'call' | 'batch';
            dir?: string;
            backend: (typeof BACKENDS)[number];
            fused?: boolean;
          },
        ) => {
          const format: PredictFormat =
            opts.format ?? (opts.output?.endsWith('.json') ? 'json' : opts.output?.endsWith('.csv') ? 'csv' : 'table');
          const dir = await modelDir(arg, opts);
          const rt = await loadRuntime();
          const m = await rt.loadTrained(dir, opts.backend, opts.fused !== false);
          const inShape = (m.model.inputs[0]!.shape.slice(1) as (number | null)[]).map(
            (d, i) => d ?? m.info?.inputShape[i] ?? null,
          );
          const size = inShape.every((d) => d !== null) ? (inShape as number[]).reduce((a, b) => a * b, 1) : null;
          const seriesWindow = m.info?.source === 'csv' ? (m.info.inputShape[0] ?? null) : null;
          const { text, name } = readInputFile(opts.input);
          const meaning = await import('../runtime/predictions.js');
          const info = m.info;
          let samples: unknown;
          let source: string | undefined;
          const series = seriesWindow !== null && info ? await seriesInput(text, name, info, opts.column) : null;
          if (opts.column !== undefined && series === null)
            throw new UsageError('--column picks the series column of a model trained on a CSV column');
          if (series) {
            samples = [series.window];
            source = series.source;
          } else if (info?.alphabet && !looksLikeJson(text, name)) {
            // A text model: one sample per line.
            samples = text.split(/\r?\n/).filter((l) => l !== '');
            if ((samples as string[]).length === 0) throw new RunFailure(`${name}: no text`);
          } else samples = parseSamples(text, name, size, seriesWindow);
          const list = Array.isArray(samples) ? samples : [samples];
          list.forEach((s, i) => {
            if (typeof s !== 'string') return;
            const dropped = meaning.outsideAlphabet(meaning.textAsTrained(s, info), info);
            if (dropped.length > 0)
              process.stderr.write(
                `lstmc: note: ${list.length > 1 ? `sample ${i + 1}: ` : ''}${meaning.showChars(dropped)} ${dropped.length === 1 ? 'is' : 'are'} not in the model's alphabet and ${dropped.length === 1 ? 'was' : 'were'} dropped\n`,
              );
          });
          let outputs: unknown[];
          try {
            outputs = rt.predictSamples(m.model, info, samples, opts.resetStates);
          } catch (e) {
            if ((e as Error).name === 'DataError') throw new RunFailure(`${name}: ${(e as Error).message}`);
            throw e;
          }
          const inputs = outputs.length === list.length ? list : undefined;
          const report = meaning.interpretPredictions(outputs as never[], info, m.state?.loss, inputs);
          if (series && report.kind === 'values') report.column = series.column;
          const body = formatPredictions(report, format, {
            model: m.state?.model ?? basename(resolve(dir)),
            ...(source !== undefined ? { source } : {}),
          });
          if (opts.output) await writeFileAtomic(resolve(opts.output), body);
          else process.stdout.write(body);
        },
      ),
    );

  program
    .command('generate')
    .description('sample a trained generative model (text: characters with a temperature; rectangle: corners)')
    .argument('<model>', 'a model directory (with model.json) or the spec it was trained from')
    .option('--seed <text>', 'text to start from (or "x,y" for the rectangle model)')
    .option('--length <n>', 'characters (or corners) to generate', positiveInt, 200)
    .option('--temperature <t>', 'sampling temperature (0: greedy; 1: as predicted)', nonNegativeNumber, 1)
    .option('--rng-seed <n>', 'seed of the sampler', positiveInt)
    .option('-o, --output <file>', 'write the text here instead of stdout')
    .option('--model <name>', 'the model (when a spec file has several)')
    .addOption(paramOption())
    .option('--dir <dir>', 'model directory (overrides the default models/<ModelName>)')
    .addOption(backendOption())
    .addOption(fusedOption())
    .action(
      guarded(
        async (
          arg: string,
          opts: SpecOptions & {
            seed?: string;
            length: number;
            temperature: number;
            rngSeed?: number;
            output?: string;
            dir?: string;
            backend: (typeof BACKENDS)[number];
            fused?: boolean;
          },
        ) => {
          const dir = await modelDir(arg, opts);
          const rt = await loadRuntime();
          const m = await rt.loadTrained(dir, opts.backend, opts.fused !== false);
          if (opts.seed !== undefined && m.info?.alphabet) {
            const meaning = await import('../runtime/predictions.js');
            const dropped = meaning.outsideAlphabet(meaning.textAsTrained(opts.seed, m.info), m.info);
            if (dropped.length > 0)
              process.stderr.write(
                `lstmc: note: the seed's ${meaning.showChars(dropped)} ${dropped.length === 1 ? 'is' : 'are'} not in the model's alphabet and ${dropped.length === 1 ? 'was' : 'were'} dropped\n`,
              );
          }
          let text: string;
          try {
            text = rt.generateText(m, {
              length: opts.length,
              temperature: opts.temperature,
              ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
              ...(opts.rngSeed !== undefined ? { rngSeed: opts.rngSeed } : {}),
            });
          } catch (e) {
            if ((e as Error).name === 'DataError') throw new RunFailure((e as Error).message);
            throw e;
          }
          if (opts.output) await writeFileAtomic(resolve(opts.output), text + '\n');
          else process.stdout.write(text + '\n');
        },
      ),
    );
  return program;
}
