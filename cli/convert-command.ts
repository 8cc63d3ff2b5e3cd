/**
 * `lstmc convert FILE [--to lstm|yaml] [-o OUT]` — print a spec in the other spelling (or, with
 * `--to` its own, canonically).
 *
 * The spec is checked first (a spec with errors is not converted: exit 1 with its diagnostics).
 * Lossless (compiler/convert.ts): comments, `let` names, destructuring, typed lets and `$param`
 * references survive, and the output is verified to check to the same IR with every comment. When
 * the other spelling cannot hold the spec exactly, the checked model is printed instead, with a
 * warning that comments and names were not carried over. `-o` writes atomically.
 */
import { type Command, Option } from 'commander';
import { formatOf } from '../grammar/index.js';
import { checkOneSpec, type CliContext } from './check-command.js';
import { writeFileAtomic } from './atomic.js';

interface ConvertCliOptions {
  to?: 'lstm' | 'yaml';
  output?: string;
}

export function registerConvertCommand(program: Command, _ctx: CliContext): Command {
  return program
    .command('convert')
    .description('print a spec in the other spelling (.lstm <-> YAML), keeping comments and names')
    .argument('<file>', 'a .lstm or YAML spec; - for stdin')
    .addOption(new Option('--to <form>', 'target spelling (default: the other one)').choices(['lstm', 'yaml']))
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .action(async (input: string, opts: ConvertCliOptions) => {
      const checked = await checkOneSpec(input, {});
      if (!checked) return;
      const from = formatOf(checked.file.display) ?? 'lstm';
      const to = opts.to ?? (from === 'yaml' ? 'lstm' : 'yaml');
      const { convertSpec } = await import('../compiler/convert.js');
      const result = convertSpec(checked.source, checked.file.display, from, to, checked.result.models);
      if (!result.lossless) {
        process.stderr.write(
          `lstmc convert: warning: ${checked.file.display} has no exact ${to === 'yaml' ? 'YAML' : '.lstm'} spelling ` +
            '(e.g. bare layer lines and `let` steps alternate); converted the checked model: ' +
            'comments, `let` names and the spelling of arguments were not carried over.\n',
        );
      }
      if (opts.output !== undefined) await writeFileAtomic(opts.output, result.text);
      else process.stdout.write(result.text);
    });
}
