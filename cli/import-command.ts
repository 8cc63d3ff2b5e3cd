/**
 * `lstmc import FILE [-o OUT.lstm|OUT.yaml] [--to lstm|yaml] [--weights DIR] [--force]` — a spec from a
 * TF.js `model.json`, a Keras 2 `model.to_json()` or a Keras 3 model config (compiler/import/).
 *
 * The spec is printed (stdout) or written atomically to `-o` (its extension picks the spelling;
 * an existing file is replaced, as `convert` and `compile` do). Nothing is written when the model
 * cannot be expressed: the diagnostics point into the imported file. `--weights DIR` also writes a
 * run directory with the original's weights (runtime/import-weights.ts, loaded only then, so that a
 * plain import never loads tfjs); the spec is written only after the run directory was.
 *
 * Exit codes as `check`: 0 imported, 1 the file cannot be imported, 2 usage or internal error.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { Diagnostics, makeDiagnostic, type Diagnostic } from '../base/diagnostics.js';
import { writeFileAtomic } from './atomic.js';
import { displayPath, UsageError } from './files.js';
import { formatPretty, shouldUseColor } from './format.js';

interface ImportCliOptions {
  output?: string;
  to?: 'lstm' | 'yaml';
  weights?: string;
  force?: boolean;
}

function spellingOf(file: string): 'lstm' | 'yaml' | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.lstm') return 'lstm';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

function report(diagnostics: Diagnostic[], sources: Map<string, string>): void {
  if (diagnostics.length === 0) return;
  process.stderr.write(formatPretty(diagnostics, sources, { color: shouldUseColor(process.stderr), fileCount: 1 }));
}

export function registerImportCommand(program: Command): Command {
  return program
    .command('import')
    .description('write a spec from a TF.js model.json or a Keras to_json() file')
    .argument('<file>', 'a TF.js model.json (or its directory), or the JSON of a Keras model.to_json()')
    .option('-o, --output <file>', 'write the spec to this .lstm or .yaml file (atomically) instead of stdout')
    .addOption(
      new Option('--to <form>', 'spelling on stdout (default lstm; -o decides by its extension)').choices([
        'lstm',
        'yaml',
      ]),
    )
    .option('--weights <dir>', "also write a run directory with the original's weights (TF.js model.json only)")
    .option('--force', 'replace a run directory already in --weights DIR')
    .action(async (input: string, opts: ImportCliOptions) => {
      let to: 'lstm' | 'yaml' = opts.to ?? 'lstm';
      if (opts.output !== undefined) {
        const s = spellingOf(opts.output);
        if (s === undefined) throw new UsageError(`-o ${opts.output}: the spec file must end in .lstm, .yaml or .yml`);
        if (opts.to !== undefined && opts.to !== s)
          throw new UsageError(`--to ${opts.to} contradicts -o ${opts.output}`);
        to = s;
      }
      if (opts.weights !== undefined && opts.output === undefined) {
        // The run directory records the spec it belongs to (report, evaluate, train --resume read it).
        throw new UsageError('--weights needs -o FILE: the run directory names the spec it was imported as');
      }
      let absolute = path.resolve(input);
      // A TF.js model directory (as `model.save('file://dir')` writes it) means its model.json.
      const inDir = path.join(absolute, 'model.json');
      if ((await fsp.stat(absolute).catch(() => undefined))?.isDirectory() === true) {
        if ((await fsp.stat(inDir).catch(() => undefined))?.isFile() !== true) {
          throw new UsageError(`${input} is a directory without a model.json`);
        }
        absolute = inDir;
      }
      const display = displayPath(absolute, process.cwd());
      const { importModel, MAX_IMPORT_BYTES } = await import('../compiler/import/index.js');
      const whole = { file: display, line: 1, column: 1, endLine: 1, endColumn: 1 };
      let text: string;
      try {
        const st = await fsp.stat(absolute);
        if (st.size > MAX_IMPORT_BYTES) {
          report(
            [makeDiagnostic(Diagnostics.ImportTooLarge, whole, { size: st.size, max: MAX_IMPORT_BYTES })],
            new Map(),
          );
          process.exitCode = 1;
          return;
        }
        text = await fsp.readFile(absolute, 'utf8');
      } catch (e) {
        if (e instanceof UsageError) throw e;
        const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
        report([makeDiagnostic(Diagnostics.FileRead, whole, { path: display, reason })], new Map());
        process.exitCode = 1;
        return;
      }
      const result = importModel(text, display, { to, sourceName: path.basename(absolute) });
      report(result.diagnostics, new Map([[display, text]]));
      if (result.diagnostics.some((d) => d.code === Diagnostics.Internal.code)) {
        process.exitCode = 2;
        return;
      }
      if (result.text === undefined) {
        process.exitCode = 1;
        return;
      }
      if (opts.weights !== undefined) {
        const { importWeights } = await import('../runtime/import-weights.js');
        const w = await importWeights({
          source: absolute,
          specText: result.text,
          specFile: opts.output ?? `imported.${to}`,
          outDir: opts.weights,
          force: opts.force === true,
        });
        report(w.diagnostics, new Map([[display, text]]));
        if (w.diagnostics.some((d) => d.severity === 'error')) {
          process.exitCode = w.diagnostics.some((d) => d.code === Diagnostics.Internal.code) ? 2 : 1;
          return;
        }
      }
      if (opts.output !== undefined) await writeFileAtomic(opts.output, result.text);
      else process.stdout.write(result.text);
    });
}
