/**
 * `lstmc summary FILE [--json] [--model NAME] [--param name=value ...]`
 *
 * Prints a Keras-style table per model (or the `{"models": [...]}` JSON contract). When the file has
 * errors, prints the diagnostics (pretty, to stderr) and exits 1.
 */
import { type Command } from 'commander';
import { renderSummaryTable, summarize, summaryGraph, type SummaryReport } from '../compiler/summary.js';
import { checkOneSpec, paramOption, type CliContext } from './check-command.js';
import { UsageError } from './files.js';

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
      const checked = await checkOneSpec(input, opts.param !== undefined ? { params: opts.param } : {});
      if (!checked) return;
      const { file, result } = checked;
      let models = result.models;
      if (opts.model !== undefined) {
        models = models.filter((m) => m.name === opts.model);
        if (models.length === 0) {
          const names = result.models.map((m) => m.name).join(', ');
          throw new UsageError(
            `no model named "${opts.model}" in ${file.display}${names !== '' ? ` (models: ${names})` : ''}`,
          );
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
