/**
 * `lstmc report RUN_DIR [-o report.html] [--spec FILE]`
 *
 * One self-contained HTML page about a training run (runtime/report/html.ts): summary, model summary
 * and graph, loss and metric curves, throughput, data block, history. The run directory is read
 * without tfjs (runtime/report/run.ts); the spec it was trained from (lstmc.json's `specFile`, or
 * `--spec`) is checked again with the run's `--param` overrides for the summary and the graph. A
 * missing or broken spec leaves them out, says why on the page and on stderr, and is not an error.
 *
 * Exit codes: 0 written; 1 not a run directory or the page cannot be written.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { IRModel } from '../compiler/ir.js';
import type { RunFingerprint } from '../runtime/fingerprint.js';
import type { RunState } from '../runtime/report/run.js';
import { loadCheckSource } from './check-command.js';
import { displayPath } from './files.js';
import { lstmcVersion } from './version.js';

interface ReportCliOptions {
  output?: string;
  spec?: string;
}

/**
 * The spec file of a run: `--spec`, else lstmc.json's specFile as recorded (relative to the cwd), else
 * relative to the run directory's parent.
 */
function findSpec(given: string | undefined, recorded: string | undefined, runDir: string): string | undefined {
  if (given !== undefined) return given;
  if (recorded === undefined) return undefined;
  const candidates = path.isAbsolute(recorded)
    ? [recorded]
    : [path.resolve(recorded), path.resolve(path.dirname(path.resolve(runDir)), recorded)];
  return candidates.find((c) => existsSync(c));
}

/** How the spec's model differs from what the run was trained as (its recorded fingerprint); [] when unknown. */
async function specChanges(model: IRModel, state: RunState): Promise<string[]> {
  const was = state.fingerprint;
  const shapes = state.data;
  if (!was || !shapes?.inputShape || !shapes.targetShape) return [];
  const { toTfModelSpec } = await import('../compiler/tfspec.js');
  const { compareFingerprints, runFingerprint } = await import('../runtime/fingerprint.js');
  const now = runFingerprint(toTfModelSpec(model), { inputShape: shapes.inputShape, targetShape: shapes.targetShape });
  try {
    return compareFingerprints(was as unknown as RunFingerprint, now);
  } catch {
    return [];
  }
}

export function registerReportCommand(program: Command): Command {
  return program
    .command('report')
    .description('write one self-contained HTML page about a training run: summary, graph, curves, data, history')
    .argument('<run-dir>', 'a run directory (lstmc train --out DIR; default models/<ModelName>)')
    .option('-o, --output <file>', 'where to write the page (default: RUN_DIR/report.html)')
    .option('--spec <file>', "the spec the run was trained from (default: the run's recorded spec file)")
    .action(async (dir: string, opts: ReportCliOptions) => {
      const { readRunDir, RunDirError } = await import('../runtime/report/run.js');
      let run;
      try {
        run = readRunDir(dir);
      } catch (e) {
        if (e instanceof RunDirError) {
          process.stderr.write(`lstmc: error: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
      const notes: string[] = [];
      let model: IRModel | undefined;
      let graphSvg: string | undefined;
      const spec = findSpec(opts.spec, run.state.specFile, dir);
      let specShown: string | undefined;
      if (spec === undefined) {
        notes.push(
          run.state.specFile !== undefined
            ? `The spec ${run.state.specFile} was not found: no model summary or graph (pass --spec FILE).`
            : 'The run does not record its spec file: no model summary or graph (pass --spec FILE).',
        );
      } else {
        specShown = displayPath(path.resolve(spec), process.cwd());
        let text: string | undefined;
        try {
          text = readFileSync(spec, 'utf8');
        } catch (e) {
          notes.push(
            `Cannot read the spec ${specShown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
          );
        }
        if (text !== undefined) {
          const checkSource = await loadCheckSource();
          const params = run.state.run?.params;
          const result = checkSource(text, specShown, params ? { params } : {});
          const errors = result.diagnostics.filter((d) => d.severity === 'error');
          model = result.models.find((m) => m.name === run.state.model);
          if (!model) {
            const first = errors[0];
            notes.push(
              first
                ? `The spec ${specShown} has errors now (${first.file}:${first.line}:${first.column}: ${first.code} ${first.message}): no model summary or graph.`
                : `The spec ${specShown} has no model ${run.state.model}: no model summary or graph.`,
            );
          } else {
            const changed = await specChanges(model, run.state);
            if (changed.length > 0)
              notes.push(
                `The spec ${specShown} has changed since this run (${changed.slice(0, 3).join('; ')}${changed.length > 3 ? '; ...' : ''}): the model summary and graph show the spec as it is now.`,
              );
            const { renderGraph } = await import('./graph-command.js');
            graphSvg = await renderGraph(model, 'svg');
          }
        }
      }
      const { renderReport } = await import('../runtime/report/html.js');
      const html = renderReport({
        run,
        ...(specShown !== undefined ? { specFile: specShown } : {}),
        ...(model ? { model } : {}),
        ...(graphSvg !== undefined ? { graphSvg } : {}),
        notes,
        version: lstmcVersion(),
        generatedAt: new Date(),
      });
      const out = opts.output ?? path.join(dir, 'report.html');
      const { writeOutput } = await import('./graph-command.js');
      const failed = await writeOutput(out, html);
      if (failed !== null) {
        process.stderr.write(`lstmc: error: ${failed}\n`);
        process.exitCode = 1;
        return;
      }
      for (const n of notes) process.stderr.write(`lstmc: note: ${n}\n`);
      process.stdout.write(
        `Wrote ${out}: ${run.state.model}, ${run.history.rows.length} epoch${run.history.rows.length === 1 ? '' : 's'}\n`,
      );
      process.exitCode = 0;
    });
}
