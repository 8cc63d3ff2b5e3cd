/**
 * `lstmc summary FILE [--json] [--model NAME] [--param name=value ...]`
 *
 * Prints a Keras-style table per model (or the `{"models": [...]}` JSON contract). When the file has
 * errors, prints the diagnostics (pretty, to stderr) and exits 1.
 */
import { Command } from 'commander';
import type { CheckOptions } from '../compiler/index.js';
import { renderSummaryTable, summarize, summaryGraph, type SummaryReport } from '../compiler/summary.js';
import { checkFiles, paramOption, type CliContext } from './check-command.js';
import { expandInputs, UsageError } from './files.js';
import { countBySeverity, formatPretty, shouldUseColor } from './format.js';

interface SummaryCliOptions {
  json?: boolean;
  model?: string;
  param?: Record<string, string>;
}

export function registerSummaryCommand(program: Command, _ctx: CliContext): Command {
  return program
    .command('summary')
    .description('print a Keras-style summary table per model (layers, output shapes, parameter counts)')
    .argument('<file>', 'a .lstm or YAML spec; - for stdin')
    .option('--json', 'print the machine-readable summary')
    .option('--model <name>', 'only this model')
    .addOption(paramOption())
    .action(async (input: string, opts: SummaryCliOptions) => {
      const { files, unmatched } = await expandInputs([input]);
      if (unmatched.length > 0 || files.length === 0) throw new UsageError(`no files matched "${input}"`);
      if (files.length > 1) throw new UsageError(`summary takes one file, but "${input}" matched ${files.length}`);
      const checkOptions: CheckOptions = opts.param !== undefined ? { params: opts.param } : {};
      const run = await checkFiles(files, checkOptions);
      const counts = countBySeverity(run.diagnostics);
      if (run.diagnostics.length > 0) {
        process.stderr.write(formatPretty(run.diagnostics, run.sources, { color: shouldUseColor(process.stderr), fileCount: 1 }));
      }
      if (run.internalError) {
        process.exitCode = 2;
        return;
      }
      if (counts.errorCount > 0) {
        process.exitCode = 1;
        return;
      }
      const file = files[0]!;
      const result = run.results[0];
      if (result === undefined) throw new Error(`no check result for ${file.display}`);
      let models = result.models;
      if (opts.model !== undefined) {
        models = models.filter((m) => m.name === opts.model);
        if (models.length === 0) {
          const names = result.models.map((m) => m.name).join(', ');
          throw new UsageError(`no model named "${opts.model}" in ${file.display}${names !== '' ? ` (models: ${names})` : ''}`);
        }
      }
      if (opts.json === true) {
        const report: SummaryReport = { models: models.map((m) => summarize(m)) };
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        const tables = models.map((m) => renderSummaryTable(summarize(m), summaryGraph(m)));
        process.stdout.write(tables.join('\n'));
      }
      process.exitCode = 0;
    });
}
