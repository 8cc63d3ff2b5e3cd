/**
 * `lstmc convert FILE [--to lstm|yaml] [-o OUT]` — print a spec in the other spelling.
 *
 * The spec is checked first (a spec with errors is not converted: exit 1 with its diagnostics);
 * the output re-checks to the same IR (test/print.test.ts). Defaults the spec did not spell out
 * stay implicit; comments are not carried over. `-o` writes atomically.
 */
import { Command, Option } from 'commander';
import { formatOf } from '../grammar/index.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { checkFiles, type CliContext } from './check-command.js';
import { writeFileAtomic } from './atomic.js';
import { expandInputs, UsageError } from './files.js';
import { countBySeverity, formatPretty, shouldUseColor } from './format.js';

interface ConvertCliOptions {
  to?: 'lstm' | 'yaml';
  output?: string;
}

export function registerConvertCommand(program: Command, _ctx: CliContext): Command {
  return program
    .command('convert')
    .description('print a spec in the other spelling (.lstm <-> YAML)')
    .argument('<file>', 'a .lstm or YAML spec; - for stdin')
    .addOption(new Option('--to <form>', 'target spelling (default: the other one)').choices(['lstm', 'yaml']))
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .action(async (input: string, opts: ConvertCliOptions) => {
      const { files, unmatched } = await expandInputs([input]);
      if (unmatched.length > 0 || files.length === 0) throw new UsageError(`no files matched "${input}"`);
      if (files.length > 1) throw new UsageError(`convert takes one file, but "${input}" matched ${files.length}`);
      const run = await checkFiles(files, {});
      const counts = countBySeverity(run.diagnostics);
      if (counts.errorCount > 0 || run.internalError) {
        process.stderr.write(formatPretty(run.diagnostics, run.sources, { color: shouldUseColor(process.stderr), fileCount: 1 }));
        process.exitCode = run.internalError ? 2 : 1;
        return;
      }
      const from = formatOf(files[0]!.display) ?? 'lstm';
      const to = opts.to ?? (from === 'yaml' ? 'lstm' : 'yaml');
      const models = run.results[0]?.models ?? [];
      const text = to === 'yaml' ? models.map((m) => printYaml(m)).join('---\n') : models.map((m) => printLstm(m)).join('\n');
      if (opts.output !== undefined) await writeFileAtomic(opts.output, text);
      else process.stdout.write(text);
    });
}
