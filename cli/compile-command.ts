/**
 * `lstmc compile FILES|DIRS|GLOBS... -o DIR [--tf-module @tensorflow/tfjs|@tensorflow/tfjs-node]
 *  [--check] [--param name=value ...]`
 *
 * Writes one TypeScript module per model, `DIR/<ModelName>.ts` (see emit/typescript.ts for its shape).
 * ts-morph (through emit/typescript.ts) is loaded only inside the action handler, so `check`,
 * `summary` and `--help` never pay for it.
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
import { Command, Option } from 'commander';
import type { Diagnostic } from '../base/diagnostics.js';
import type { CheckOptions } from '../compiler/index.js';
import type { EmitInput, TfModule } from '../emit/typescript.js';
import { checkFiles, paramOption } from './check-command.js';
import { writeFileAtomic, type AtomicFs } from './atomic.js';
import { lstmcVersion } from './version.js';

export { writeFileAtomic, nodeAtomicFs, TEMP_PREFIX, type AtomicFs } from './atomic.js';
export { lstmcVersion } from './version.js';
import { expandInputs, STDIN_NAME } from './files.js';
import { countBySeverity, formatPretty, shouldUseColor } from './format.js';

export const TF_MODULE_CHOICES: readonly TfModule[] = ['@tensorflow/tfjs', '@tensorflow/tfjs-node'];

export interface CompileOptions {
  /** Output directory. */
  out: string;
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

  // Only the compile path loads the emitter (and with it ts-morph).
  const emit = await import('../emit/typescript.js');
  const version = io.version ?? lstmcVersion();
  const emitInputs: EmitInput[] = [];
  for (const result of run.results) {
    const file = files.find((f) => f.display === result.file);
    const source = run.sources.get(result.file);
    if (file === undefined || source === undefined || file.display === STDIN_NAME) continue;
    const sourcePath = toPosix(path.relative(outDir, file.absolute)) || path.basename(file.absolute);
    for (const model of result.models) {
      emitInputs.push({
        model,
        options: { sourcePath, source, version, tfModule, ...(options.param !== undefined ? { params: options.param } : {}) },
      });
    }
  }
  const emitted = emit.emitModules(emitInputs);
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

interface CompileCliOptions {
  out: string;
  tfModule: TfModule;
  check?: boolean;
  param?: Record<string, string>;
}

export function registerCompileCommand(program: Command): Command {
  return program
    .command('compile')
    .description('write one TypeScript module per model (TF.js layer code); --check verifies committed modules')
    .argument('<files...>', 'files, directories (walked for *.lstm, *.yaml, *.yml) or globs')
    .requiredOption('-o, --out <dir>', 'output directory for the generated modules')
    .addOption(
      new Option('--tf-module <module>', 'the TF.js package the modules import').choices(TF_MODULE_CHOICES).default('@tensorflow/tfjs'),
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
      const options: CompileOptions = { out: opts.out, tfModule: opts.tfModule };
      if (opts.check === true) options.check = true;
      if (opts.param !== undefined) options.param = opts.param;
      process.exitCode = await runCompile(inputs, options, io);
    });
}
