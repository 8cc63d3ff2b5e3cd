/**
 * `lstmc check FILES|DIRS|GLOBS... [--format pretty|json|sarif|github] [--max-warnings N]
 *  [--param name=value ...] [--quiet]`
 *
 * Exit codes: 0 clean, 1 errors (or more warnings than --max-warnings), 2 usage or internal error.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { Diagnostics, makeDiagnostic, sortDiagnostics, type Diagnostic } from '../base/diagnostics.js';
import type { CheckOptions, CheckResult } from '../compiler/index.js';
import { displayPath, expandInputs, readInput, UsageError, type InputFile } from './files.js';
import {
  countBySeverity,
  formatDiagnostics,
  formatPretty,
  FORMATS,
  shouldUseColor,
  type OutputFormat,
} from './format.js';

export interface CliContext {
  version: string;
}

/** Commander collector for repeatable `--param name=value`. */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}".`);
  const name = value.slice(0, eq).trim().replace(/^\$/, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError(`"${name}" is not a parameter name.`);
  return { ...previous, [name]: value.slice(eq + 1) };
}

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(value.trim());
}

export function paramOption(): Option {
  return new Option('--param <name=value>', 'override a `param` of the spec (repeatable)').argParser(collectParam);
}

type CheckSourceFn = (source: string, file: string, options?: CheckOptions) => CheckResult;

export async function loadCheckSource(): Promise<CheckSourceFn> {
  const mod = (await import('../compiler/index.js')) as { checkSource?: CheckSourceFn };
  if (typeof mod.checkSource !== 'function') throw new Error('compiler/index.js does not export checkSource');
  return mod.checkSource;
}

function fileDiagnostic(
  file: string,
  def: (typeof Diagnostics)[keyof typeof Diagnostics],
  args: Record<string, unknown>,
): Diagnostic {
  return makeDiagnostic(def, { file, line: 1, column: 1, endLine: 1, endColumn: 1 }, args);
}

export interface CheckRun {
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  files: InputFile[];
  /** One result per file that was read and checked. */
  results: CheckResult[];
  /** A checker threw: report and exit 2. */
  internalError: boolean;
}

/**
 * Read and check every file. Unreadable files become LSTM9002, checker crashes LSTM9001. With
 * `dataFiles`, data files that do not exist are LSTM4020 warnings (`lstmc check`; `train` reports them
 * as errors itself).
 */
export async function checkFiles(
  files: InputFile[],
  options: CheckOptions,
  extra: { dataFiles?: boolean } = {},
): Promise<CheckRun> {
  const checkSource = await loadCheckSource();
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const results: CheckResult[] = [];
  let internalError = false;
  for (const file of files) {
    const read = await readInput(file);
    if (!read.ok) {
      diagnostics.push(fileDiagnostic(file.display, Diagnostics.FileRead, { path: file.display, reason: read.reason }));
      continue;
    }
    sources.set(file.display, read.text);
    try {
      const result = checkSource(read.text, file.display, options);
      if (extra.dataFiles) {
        // Loaded on use, like the checker (startup stays cheap).
        const { missingDataFiles } = await import('../compiler/data.js');
        const base = file.stdin ? process.cwd() : dirname(file.absolute);
        const missing = missingDataFiles(result.models, (p) => {
          const absolute = isAbsolute(p) ? p : resolve(base, p);
          return { absolute: displayPath(absolute, process.cwd()), exists: existsSync(absolute) };
        });
        if (missing.length > 0) result.diagnostics = sortDiagnostics([...result.diagnostics, ...missing]);
      }
      results.push(result);
      diagnostics.push(...result.diagnostics);
      // The checker reports its own crashes as LSTM9001: that is an internal error (exit 2), not the user's.
      if (result.diagnostics.some((d) => d.code === Diagnostics.Internal.code)) internalError = true;
    } catch (e) {
      internalError = true;
      if (process.env.LSTMC_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      const message = e instanceof Error ? e.message : String(e);
      diagnostics.push(fileDiagnostic(file.display, Diagnostics.Internal, { message }));
    }
  }
  return { diagnostics, sources, files, results, internalError };
}

/**
 * For commands that take one spec (summary, convert, train, ...): expand `input` to exactly one file,
 * check it and print its diagnostics (pretty, to stderr). Returns the file and its check result when it
 * has no errors; otherwise sets the exit code (1 for errors, 2 for an internal error) and returns null.
 */
export async function checkOneSpec(
  input: string,
  options: CheckOptions,
): Promise<{ file: InputFile; result: CheckResult; source: string } | null> {
  const { files, unmatched } = await expandInputs([input]);
  if (unmatched.length > 0 || files.length === 0) throw new UsageError(`no files matched "${input}"`);
  if (files.length > 1) throw new UsageError(`expected one spec file, but "${input}" matched ${files.length}`);
  const run = await checkFiles(files, options);
  if (run.diagnostics.length > 0) {
    process.stderr.write(
      formatPretty(run.diagnostics, run.sources, { color: shouldUseColor(process.stderr), fileCount: 1 }),
    );
  }
  if (run.internalError) {
    process.exitCode = 2;
    return null;
  }
  if (countBySeverity(run.diagnostics).errorCount > 0) {
    process.exitCode = 1;
    return null;
  }
  const file = files[0]!;
  const result = run.results[0];
  if (result === undefined) throw new Error(`no check result for ${file.display}`);
  return { file, result, source: run.sources.get(file.display) ?? '' };
}

interface CheckCliOptions {
  format: OutputFormat;
  maxWarnings?: number;
  param?: Record<string, string>;
  quiet?: boolean;
}

export function registerCheckCommand(program: Command, ctx: CliContext): Command {
  return program
    .command('check')
    .description('parse and type-check spec files; print diagnostics')
    .argument('<files...>', 'files, directories (walked for *.lstm, *.yaml, *.yml) or globs; - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('pretty'))
    .addOption(
      new Option('--max-warnings <n>', 'exit 1 when there are more warnings than n').argParser(parseNonNegativeInt),
    )
    .addOption(paramOption())
    .option('-q, --quiet', 'report errors only')
    .action(async (inputs: string[], opts: CheckCliOptions) => {
      const { files, unmatched } = await expandInputs(inputs);
      if (unmatched.length > 0) {
        throw new UsageError(`no files matched ${unmatched.map((u) => `"${u}"`).join(', ')}`);
      }
      if (files.length === 0) throw new UsageError('no files to check');
      const checkOptions: CheckOptions = opts.param !== undefined ? { params: opts.param } : {};
      const run = await checkFiles(files, checkOptions, { dataFiles: true });
      const counts = countBySeverity(run.diagnostics);
      const shown = opts.quiet === true ? run.diagnostics.filter((d) => d.severity === 'error') : run.diagnostics;
      const text = formatDiagnostics(opts.format, shown, run.sources, {
        color: shouldUseColor(process.stdout),
        fileCount: files.length,
        version: ctx.version,
      });
      const quietClean = opts.quiet === true && opts.format === 'pretty' && shown.length === 0;
      if (!quietClean) process.stdout.write(text);
      let code = counts.errorCount > 0 ? 1 : 0;
      if (opts.maxWarnings !== undefined && opts.quiet !== true && counts.warningCount > opts.maxWarnings) {
        process.stderr.write(`lstmc: too many warnings (${counts.warningCount}; --max-warnings ${opts.maxWarnings})\n`);
        code = Math.max(code, 1);
      }
      if (run.internalError) code = 2;
      process.exitCode = code;
    });
}
