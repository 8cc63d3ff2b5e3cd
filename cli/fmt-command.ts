/**
 * `lstmc fmt FILES|DIRS|GLOBS... [--check]` — canonical, comment-preserving layout for `.lstm`
 * files (grammar/format.ts; the layout is described in docs/tooling.md).
 *
 * - Without `--check`: rewrites the files whose layout changes (atomically, keeping the file mode),
 *   names them, and leaves the others untouched. `-` formats stdin to stdout.
 * - `--check`: writes nothing; names the files that are not formatted and exits 1 if there are any.
 * - A file with syntax errors is never touched: its diagnostics are printed, the exit code is 1.
 * - YAML files are left as they are (fmt formats the `.lstm` form; `lstmc schema` validates YAML).
 *
 * Exit codes: 0 all formatted (or rewritten), 1 unformatted files under --check or syntax errors,
 * 2 usage or internal error.
 */
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { Diagnostics, makeDiagnostic, type Diagnostic } from '../base/diagnostics.js';
import { formatOf } from '../grammar/index.js';
import { writeFileAtomic } from './atomic.js';
import { expandInputs, readInput, UsageError } from './files.js';
import { countBySeverity, formatPretty, shouldUseColor } from './format.js';

interface FmtCliOptions {
  check?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function registerFmtCommand(program: Command): Command {
  return program
    .command('fmt')
    .description('format .lstm specs in the canonical layout, keeping comments (--check: only report)')
    .argument('<files...>', 'files, directories (walked for *.lstm) or globs; - for stdin (formatted to stdout)')
    .option('--check', 'write nothing; list files that are not formatted and exit 1 if there are any')
    .action(async (inputs: string[], opts: FmtCliOptions) => {
      const { formatSource } = await import('../grammar/format.js');
      const { files, unmatched } = await expandInputs(inputs);
      if (unmatched.length > 0) throw new UsageError(`no files matched ${unmatched.map((u) => `"${u}"`).join(', ')}`);
      const diagnostics: Diagnostic[] = [];
      const sources = new Map<string, string>();
      const unformatted: string[] = [];
      const rewritten: string[] = [];
      let unchanged = 0;
      let skippedYaml = 0;
      for (const file of files) {
        if (!file.stdin && formatOf(file.display) === 'yaml') {
          skippedYaml++;
          continue;
        }
        const read = await readInput(file);
        if (!read.ok) {
          diagnostics.push(
            makeDiagnostic(
              Diagnostics.FileRead,
              { file: file.display, line: 1, column: 1, endLine: 1, endColumn: 1 },
              { path: file.display, reason: read.reason },
            ),
          );
          continue;
        }
        sources.set(file.display, read.text);
        const result = formatSource(read.text, file.display);
        diagnostics.push(...result.diagnostics);
        if (result.text === undefined) continue;
        if (file.stdin && !opts.check) {
          process.stdout.write(result.text);
          continue;
        }
        if (result.text === read.text) {
          unchanged++;
          continue;
        }
        if (opts.check) {
          unformatted.push(file.display);
          continue;
        }
        // Through a symlink, rewrite the file it points to (the rename would replace the link).
        const target = await fsp.realpath(file.absolute);
        const mode = (await fsp.stat(target)).mode & 0o7777;
        await writeFileAtomic(target, result.text);
        await fsp.chmod(target, mode).catch(() => undefined);
        rewritten.push(file.display);
      }

      if (diagnostics.length > 0) {
        process.stderr.write(
          formatPretty(diagnostics, sources, { color: shouldUseColor(process.stderr), fileCount: files.length }),
        );
      }
      for (const f of unformatted) process.stdout.write(`${f}\n`);
      for (const f of rewritten) process.stdout.write(`formatted ${f}\n`);

      const notes: string[] = [];
      if (opts.check && unformatted.length > 0) {
        notes.push(
          `${plural(unformatted.length, 'file')} not formatted; run \`lstmc fmt ${unformatted.length === 1 ? unformatted[0] : 'FILES'}\` to fix`,
        );
      } else if (opts.check && diagnostics.length === 0 && unchanged > 0) {
        notes.push(`${unchanged === 1 ? 'the file is' : `all ${unchanged} files are`} formatted`);
      }
      if (skippedYaml > 0) {
        notes.push(
          `left ${plural(skippedYaml, 'YAML file')} as ${skippedYaml === 1 ? 'it is' : 'they are'} (lstmc fmt formats .lstm files)`,
        );
      }
      for (const n of notes) process.stderr.write(`lstmc fmt: ${n}\n`);

      const counts = countBySeverity(diagnostics);
      if (diagnostics.some((d) => d.code === Diagnostics.Internal.code)) process.exitCode = 2;
      else if (counts.errorCount > 0 || unformatted.length > 0) process.exitCode = 1;
    });
}
