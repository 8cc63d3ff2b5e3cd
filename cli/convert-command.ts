/**
 * `lstmc convert FILE [--to lstm|yaml] [-o OUT]` — print a spec in the other spelling.
 *
 * The spec is checked first (a spec with errors is not converted: exit 1 with its diagnostics);
 * the output re-checks to the same IR (test/print.test.ts). Defaults the spec did not spell out
 * stay implicit; comments are not carried over. `-o` writes atomically.
 */
import { type Command, Option } from 'commander';
import { formatOf } from '../grammar/index.js';
import { printLstm, printYaml } from '../compiler/print.js';
import { checkOneSpec, type CliContext } from './check-command.js';
import { writeFileAtomic } from './atomic.js';

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
      const checked = await checkOneSpec(input, {});
      if (!checked) return;
      const from = formatOf(checked.file.display) ?? 'lstm';
      const to = opts.to ?? (from === 'yaml' ? 'lstm' : 'yaml');
      const models = checked.result.models;
      const text =
        to === 'yaml' ? models.map((m) => printYaml(m)).join('---\n') : models.map((m) => printLstm(m)).join('\n');
      if (opts.output !== undefined) await writeFileAtomic(opts.output, text);
      else process.stdout.write(text);
    });
}
