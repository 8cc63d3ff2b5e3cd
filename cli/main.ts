#!/usr/bin/env node
/**
 * The `lstmc` entry point.
 *
 * Startup must stay cheap: this module and the commands it registers load neither tfjs nor ts-morph
 * (their action handlers import them lazily). Exit codes: 0 clean, 1 errors found, 2 usage or internal
 * error. Internal errors print one line (`lstmc: internal error: ...`); the stack only with LSTMC_DEBUG=1.
 */
import { Command, CommanderError } from 'commander';
import { registerCheckCommand, type CliContext } from './check-command.js';
import { registerCompileCommand } from './compile-command.js';
import { registerConvertCommand } from './convert-command.js';
import { registerDataCommand } from './data-command.js';
import { registerFmtCommand } from './fmt-command.js';
import { UsageError } from './files.js';
import { registerGraphCommand } from './graph-command.js';
import { registerImportCommand } from './import-command.js';
import { registerLspCommand } from './lsp-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRuntimeCommands } from './runtime-commands.js';
import { registerSchemaCommand } from './schema-command.js';
import { registerSummaryCommand } from './summary-command.js';
import { lstmcVersion } from './version.js';

function debug(): boolean {
  return process.env.LSTMC_DEBUG === '1';
}

export function buildProgram(): Command {
  const ctx: CliContext = { version: lstmcVersion() };
  const program = new Command('lstmc');
  program
    .description('Declarative compiler for LSTM model specs (.lstm / YAML): check, summarize, compile to TF.js, train')
    .version(ctx.version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (str, write) => write(`lstmc: ${str.replace(/^error: /, '')}`),
    });
  registerCheckCommand(program, ctx);
  registerSummaryCommand(program, ctx);
  registerConvertCommand(program, ctx);
  registerCompileCommand(program);
  registerRuntimeCommands(program);
  registerGraphCommand(program);
  registerReportCommand(program);
  registerDataCommand(program);
  registerFmtCommand(program);
  registerImportCommand(program);
  registerSchemaCommand(program);
  registerLspCommand(program, ctx);
  return program;
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message (or the help / version).
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`lstmc: ${e.message}\n`);
    return 2;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`lstmc: internal error: ${message.split('\n')[0]}\n`);
  if (debug() && e instanceof Error && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('lstmc: (set LSTMC_DEBUG=1 for the stack trace)\n');
  return 2;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    const program = buildProgram();
    process.exitCode = undefined;
    await program.parseAsync(argv);
    const code = process.exitCode;
    return typeof code === 'number' ? code : code === undefined ? 0 : Number(code) || 0;
  } catch (e) {
    return reportError(e);
  }
}

// Closing stdout early (`lstmc check ... | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

process.on('uncaughtException', (e) => {
  process.exitCode = reportError(e);
  process.exit();
});
process.on('unhandledRejection', (e) => {
  process.exitCode = reportError(e);
  process.exit();
});

void main().then((code) => {
  process.exitCode = code;
});
