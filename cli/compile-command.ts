/**
 * `lstmc compile FILES|DIRS|GLOBS... -o DIR [--target typescript|pytorch]
 *  [--tf-module @tensorflow/tfjs|@tensorflow/tfjs-node] [--check] [--param name=value ...]`
 *
 * Writes one module per model: `DIR/<ModelName>.ts` with `--target typescript` (the default; see
 * emit/typescript.ts), `DIR/<ModelName>.py` with `--target pytorch` (see emit/pytorch.ts). The
 * emitters (ts-morph for TypeScript; tfjs, which builds the TF.js topology a PyTorch module embeds)
 * are loaded only inside the action handler, so `check`, `summary` and `--help` never pay for them.
 * With `--target pytorch`, every layer must have a PyTorch lowering: otherwise compile reports where
 * ("not supported by target pytorch") and writes nothing.
 *
 * - Writes are atomic: each module is written to a temp file in DIR (`.lstmc-tmp-*`) and renamed over
 *   the old one; a failed or interrupted write leaves the old module intact and removes the temp file.
 *   A module whose text is unchanged is not rewritten (its mtime is kept).
 * - `--check` writes nothing: it compares what would be written with DIR and exits 1 naming the stale
 *   and missing modules, 0 when everything is up to date (for CI).
 * - Exit codes: 0 ok, 1 errors in specs (pretty diagnostics on stderr) or stale modules under --check,
 *   2 usage errors (no files, bad options) and I/O or internal errors.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Diagnostic } from '../base/diagnostics.js';
import type { CheckOptions } from '../compiler/index.js';
import type * as tf from '@tensorflow/tfjs';
import type { IRModel } from '../compiler/ir.js';
import type { TfModelSpec } from '../compiler/tfspec.js';
import type { PytorchEmitInput, TfjsModelJson } from '../emit/pytorch.js';
import type { EmitInput, TfModule } from '../emit/typescript.js';
import { checkFiles, paramOption } from './check-command.js';
import { writeFileAtomic, type AtomicFs } from './atomic.js';
import { lstmcVersion } from './version.js';

export { writeFileAtomic, nodeAtomicFs, TEMP_PREFIX, type AtomicFs } from './atomic.js';
export { lstmcVersion } from './version.js';
import { expandInputs, STDIN_NAME } from './files.js';
import { countBySeverity, formatPretty, shouldUseColor } from './format.js';

export const TF_MODULE_CHOICES: readonly TfModule[] = ['@tensorflow/tfjs', '@tensorflow/tfjs-node'];

export type CompileTarget = 'typescript' | 'pytorch';
export const TARGET_CHOICES: readonly CompileTarget[] = ['typescript', 'pytorch'];

export interface CompileOptions {
  /** Output directory. */
  out: string;
  /** What to write: TypeScript modules (default) or PyTorch modules. */
  target?: CompileTarget;
  /** TypeScript only: the TF.js package the modules import. */
  tfModule?: TfModule;
  check?: boolean;
  param?: Record<string, string>;
}

export interface CompileIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  color?: boolean;
  /** lstmc version (hashed into every module header). */
  version?: string;
  /** File operations (tests inject failures). */
  fs?: AtomicFs;
}

// ---------------------------------------------------------------------------------------------
// Atomic writes

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function toPosix(p: string): string {
  return p.replace(/\\/g, '/');
}

// ---------------------------------------------------------------------------------------------
// The command

/** Run `compile`; returns the exit code. Usage errors are thrown as UsageError by the caller's contract too. */
export async function runCompile(inputs: readonly string[], options: CompileOptions, io: CompileIO): Promise<number> {
  const tfModule = options.tfModule ?? '@tensorflow/tfjs';
  const target = options.target ?? 'typescript';
  if (!TARGET_CHOICES.includes(target)) {
    io.stderr(`lstmc: --target must be one of ${TARGET_CHOICES.join(', ')}\n`);
    return 2;
  }
  if (!TF_MODULE_CHOICES.includes(tfModule)) {
    io.stderr(`lstmc: --tf-module must be one of ${TF_MODULE_CHOICES.join(', ')}\n`);
    return 2;
  }
  if (inputs.includes('-')) {
    io.stderr('lstmc: compile reads spec files, not stdin (the module header names its source file)\n');
    return 2;
  }
  const { files, unmatched } = await expandInputs(inputs, io.cwd);
  if (unmatched.length > 0) {
    io.stderr(`lstmc: no files matched ${unmatched.map((u) => JSON.stringify(u)).join(', ')}\n`);
    return 2;
  }
  if (files.length === 0) {
    io.stderr('lstmc: no files to compile\n');
    return 2;
  }
  const outDir = path.resolve(io.cwd, options.out);

  const checkOptions: CheckOptions = options.param !== undefined ? { params: options.param } : {};
  const run = await checkFiles(files, checkOptions);
  const printDiagnostics = (ds: readonly Diagnostic[]): void => {
    if (ds.length > 0) io.stderr(formatPretty(ds, run.sources, { color: io.color === true, fileCount: files.length }));
  };
  if (run.internalError) {
    printDiagnostics(run.diagnostics);
    return 2;
  }
  if (countBySeverity(run.diagnostics).errorCount > 0) {
    printDiagnostics(run.diagnostics);
    return 1;
  }

  const version = io.version ?? lstmcVersion();
  const models: { model: IRModel; sourcePath: string; source: string }[] = [];
  for (const result of run.results) {
    const file = files.find((f) => f.display === result.file);
    const source = run.sources.get(result.file);
    if (file === undefined || source === undefined || file.display === STDIN_NAME) continue;
    const sourcePath = toPosix(path.relative(outDir, file.absolute)) || path.basename(file.absolute);
    for (const model of result.models) models.push({ model, sourcePath, source });
  }
  const params = options.param !== undefined ? { params: options.param } : {};

  let emitted: { modules: { fileName: string; text: string }[]; diagnostics: Diagnostic[] };
  if (target === 'pytorch') {
    // Only this path loads the PyTorch emitter, and tfjs (for the TF.js topology each module embeds).
    const emit = await import('../emit/pytorch.js');
    const emitInputs: PytorchEmitInput[] = models.map(({ model, sourcePath, source }) => ({
      model,
      options: { sourcePath, source, version, ...params },
    }));
    const problems = emit.checkPytorchInputs(emitInputs);
    if (problems.length > 0) {
      printDiagnostics([...run.diagnostics, ...problems]);
      return 1;
    }
    try {
      await addModelJsons(emitInputs);
    } catch (e) {
      io.stderr(`lstmc: ${(e as Error).message}\n`);
      return 2;
    }
    emitted = emit.emitPytorchModules(emitInputs);
  } else {
    // Only the TypeScript path loads its emitter (and with it ts-morph).
    const emit = await import('../emit/typescript.js');
    const emitInputs: EmitInput[] = models.map(({ model, sourcePath, source }) => ({
      model,
      options: { sourcePath, source, version, tfModule, ...params },
    }));
    emitted = emit.emitModules(emitInputs);
  }
  if (emitted.diagnostics.length > 0) {
    printDiagnostics([...run.diagnostics, ...emitted.diagnostics]);
    return 1;
  }
  // Warnings from the checker are still worth seeing.
  printDiagnostics(run.diagnostics);

  const shown = (file: string): string => {
    const rel = path.relative(io.cwd, file);
    return toPosix(rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file);
  };

  if (options.check === true) {
    const stale: string[] = [];
    const missing: string[] = [];
    for (const m of emitted.modules) {
      const target = path.join(outDir, m.fileName);
      const current = await readIfExists(target);
      if (current === undefined) missing.push(shown(target));
      else if (current !== m.text) stale.push(shown(target));
    }
    if (stale.length === 0 && missing.length === 0) {
      io.stdout(`${emitted.modules.length} module(s) in ${shown(outDir)} up to date\n`);
      return 0;
    }
    const lines = [
      ...stale.map((f) => `stale: ${f}`),
      ...missing.map((f) => `missing: ${f}`),
      `lstmc: ${stale.length + missing.length} of ${emitted.modules.length} module(s) out of date; run \`lstmc compile ... -o ${shown(outDir)}\` and commit the result`,
    ];
    io.stderr(lines.join('\n') + '\n');
    return 1;
  }

  try {
    await fsp.mkdir(outDir, { recursive: true });
  } catch (e) {
    io.stderr(`lstmc: cannot create ${shown(outDir)}: ${(e as Error).message}\n`);
    return 2;
  }
  let written = 0;
  for (const m of emitted.modules) {
    const target = path.join(outDir, m.fileName);
    try {
      const current = await readIfExists(target);
      if (current === m.text) {
        io.stdout(`unchanged ${shown(target)}\n`);
        continue;
      }
      await writeFileAtomic(target, m.text, io.fs);
      written++;
      io.stdout(`wrote ${shown(target)}\n`);
    } catch (e) {
      io.stderr(`lstmc: cannot write ${shown(target)}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  io.stdout(`${emitted.modules.length} module(s), ${written} written\n`);
  return 0;
}

/**
 * Builds the TF.js model of a spec (runtime/build.ts) with the orthogonal initializer's values replaced
 * by zeros: tfjs computes them with a QR decomposition in JavaScript, which takes tens of seconds for
 * a 128-unit LSTM. The topology (initializer configs included), the weight names and the shapes are
 * those of a normal build; only the initial values differ.
 */
export async function buildModelWithoutOrthogonalInit(spec: TfModelSpec): Promise<tf.LayersModel> {
  const rt = await import('../runtime/index.js');
  const tfjs = await import('@tensorflow/tfjs');
  const proto = Object.getPrototypeOf(tfjs.initializers.orthogonal({})) as {
    apply: (shape: number[], dtype?: tf.DataType) => tf.Tensor;
  };
  const apply = proto.apply;
  proto.apply = (shape, dtype) => tfjs.zeros(shape, dtype);
  try {
    return rt.buildModel(spec);
  } finally {
    proto.apply = apply;
  }
}

/**
 * The TF.js model.json of a spec (topology + weights manifest, exactly as `lstmc train` saves it:
 * runtime/io.ts `modelFiles`), built with tfjs on the current backend. tfjs warns that a recurrent
 * layer's `initialState` keyword argument is not serialisable: the states are inputs of the layer's
 * node in the topology all the same (tf.loadLayersModel restores them), so that warning is dropped.
 */
export async function tfjsModelJson(spec: TfModelSpec): Promise<TfjsModelJson> {
  const rt = await import('../runtime/index.js');
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].includes('was passed non-serializable keyword arguments')) return;
    warn(...a);
  };
  try {
    const built = await buildModelWithoutOrthogonalInit(spec);
    try {
      const files = await rt.modelFiles(built);
      return JSON.parse(files['model.json']) as TfjsModelJson;
    } finally {
      built.dispose();
    }
  } finally {
    console.warn = warn;
  }
}

/** Adds to every input the TF.js model.json its PyTorch module embeds for `save_tfjs` (CPU backend). */
async function addModelJsons(inputs: PytorchEmitInput[]): Promise<void> {
  const rt = await import('../runtime/index.js');
  await rt.setupBackend('cpu');
  for (const input of inputs) {
    const spec = input.tfSpec ?? rt.toTfModelSpec(input.model);
    input.tfSpec = spec;
    try {
      input.modelJson = await tfjsModelJson(spec);
    } catch (e) {
      throw new Error(
        `cannot build the TF.js model of ${input.model.name} (an lstmc bug; please report it): ${(e as Error).message}`,
      );
    }
  }
}

interface CompileCliOptions {
  out: string;
  target: CompileTarget;
  tfModule: TfModule;
  check?: boolean;
  param?: Record<string, string>;
}

export function registerCompileCommand(program: Command): Command {
  return program
    .command('compile')
    .description(
      'write one module per model: TypeScript (TF.js layer code) or PyTorch (--target pytorch); --check verifies committed modules',
    )
    .argument('<files...>', 'files, directories (walked for *.lstm, *.yaml, *.yml) or globs')
    .requiredOption('-o, --out <dir>', 'output directory for the generated modules')
    .addOption(
      new Option(
        '--target <target>',
        'typescript: <Model>.ts building the TF.js model; pytorch: <Model>.py (torch.nn.Module, TF.js weights both ways, training)',
      )
        .choices(TARGET_CHOICES)
        .default('typescript'),
    )
    .addOption(
      new Option('--tf-module <module>', 'the TF.js package the TypeScript modules import')
        .choices(TF_MODULE_CHOICES)
        .default('@tensorflow/tfjs'),
    )
    .option('--check', 'write nothing; exit 1 naming modules that are stale or missing')
    .addOption(paramOption())
    .action(async (inputs: string[], opts: CompileCliOptions) => {
      const version = program.version();
      const io: CompileIO = {
        stdout: (s) => void process.stdout.write(s),
        stderr: (s) => void process.stderr.write(s),
        cwd: process.cwd(),
        color: shouldUseColor(process.stderr),
        ...(version !== undefined ? { version } : {}),
      };
      const options: CompileOptions = { out: opts.out, target: opts.target, tfModule: opts.tfModule };
      if (opts.check === true) options.check = true;
      if (opts.param !== undefined) options.param = opts.param;
      process.exitCode = await runCompile(inputs, options, io);
    });
}
