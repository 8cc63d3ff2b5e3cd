/**
 * What an output directory holds, before anything is written into it: nothing, a run (a checkpoint),
 * or other files. Training never replaces a directory of other files (a checkpoint swaps the whole
 * directory) and replaces a run only when asked (`--force`). No tfjs: the CLI asks this before it
 * loads a training engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Files lstmc writes into a run directory. A directory holding only these but no checkpoint (the log
 * of a failed `--engine torch` run, say) has nothing to protect: training may write into it.
 */
const RUN_FILES = new Set([
  'model.json',
  'weights.bin',
  'optimizer.bin',
  'lstmc.json',
  'history.csv',
  'evaluation.json',
  'report.html',
  'torch_state.npz',
  'torch-train.log',
]);

/**
 * What `dir` holds: nothing (missing, empty, or only leftovers of a run without a checkpoint), a run
 * (a checkpoint: lstmc.json or model.json), or other files, which training never replaces (a
 * checkpoint swaps the whole directory).
 */
export function runDirContents(
  dir: string,
): { kind: 'none' } | { kind: 'run' } | { kind: 'other'; files: string[]; why?: string } {
  if (!existsSync(dir)) return { kind: 'none' };
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (e) {
    return {
      kind: 'other',
      files: [],
      why: (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'is a file' : 'cannot be read',
    };
  }
  if (files.length === 0) return { kind: 'none' };
  if (files.includes('lstmc.json') || files.includes('model.json')) return { kind: 'run' };
  const others = files.filter((f) => !RUN_FILES.has(f));
  return others.length === 0 ? { kind: 'none' } : { kind: 'other', files: others };
}

/**
 * Why training may not write into `dir`, or undefined when it may: a file or a directory of other
 * files (never), a run without `resume` or `force`, a model without lstmc.json to resume.
 */
export function outDirProblem(dir: string, opts: { resume?: boolean; force?: boolean }): string | undefined {
  const held = runDirContents(dir);
  if (held.kind === 'other' && held.why) return `${dir} ${held.why}; --out names the directory of the run.`;
  if (held.kind === 'other')
    return (
      `${dir} holds files that are not an lstmc run (${held.files.slice(0, 3).join(', ')}${held.files.length > 3 ? ', ...' : ''}); ` +
      'a checkpoint replaces the whole directory, so choose a new or empty --out.'
    );
  if (held.kind !== 'run') return undefined;
  const st = readState(dir);
  if (opts.resume)
    return st
      ? undefined
      : `${dir} holds a model but no readable lstmc.json, so there is no run to continue; replace it with --force.`;
  if (opts.force) return undefined;
  const what = st
    ? `a run of ${st.model} (${st.complete ? 'finished' : 'stopped'} after epoch ${st.epoch} of ${st.run?.epochs ?? st.epochs})`
    : 'a trained model';
  return `${dir} already holds ${what}; continue it with --resume, or replace it with --force.`;
}

interface StateSummary {
  model?: string;
  epoch?: number;
  epochs?: number;
  complete?: boolean;
  run?: { epochs?: number };
}

function readState(dir: string): StateSummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'lstmc.json'), 'utf8')) as StateSummary;
  } catch {
    return null;
  }
}

/**
 * The directory holding the last complete save, WITHOUT modifying anything (a writer may be mid-swap):
 * `dir` itself, or during the instant between the two renames of a swap, its `dir.old-*` sibling.
 * (Here, not in io.ts, so that readers without tfjs — lstmc report — share it.)
 */
export function readableDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs)) return abs;
  const parent = dirname(abs);
  if (!existsSync(parent)) return abs;
  const olds = readdirSync(parent)
    .filter((s) => s.startsWith(`${basename(abs)}.old-`))
    .sort();
  return olds.length > 0 ? join(parent, olds[olds.length - 1]!) : abs;
}
