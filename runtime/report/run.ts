/**
 * Reading a run directory for `lstmc report`, without tfjs: lstmc.json (the training state, read
 * defensively: runs from older lstmc versions and from the PyTorch engine lack some fields),
 * history.csv (or lstmc.json's history when there is none) and model.json's weight manifest (the
 * parameter count of the saved model).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HISTORY_FILE, parseHistoryCsv, rowsFromState, type ParsedHistory } from '../history.js';
import { readableDir } from '../run-dir.js';

/** What the report shows of lstmc.json; every field but `model` may be missing. */
export interface RunState {
  model: string;
  specFile?: string;
  epoch: number;
  epochs?: number;
  complete?: boolean;
  stopReason?: string;
  backend?: string;
  loss?: string;
  metrics: string[];
  savedAt?: string;
  data?: {
    source?: string;
    value?: string;
    description?: string;
    options?: Record<string, unknown>;
    inputShape?: number[];
    targetShape?: number[];
    alphabet?: string;
    scale?: { min: number; max: number };
    column?: string;
  };
  /** How the run was started (batch size, sample counts, `--param` overrides), when recorded. */
  run?: {
    epochs?: number;
    batchSize?: number;
    trainCount?: number;
    testCount?: number;
    params?: Record<string, string>;
  };
  /** PyTorch engine runs: torch version, processes, device. */
  engine?: Record<string, unknown>;
  /** What the checkpoint was trained as (runtime/fingerprint.ts), when recorded. */
  fingerprint?: Record<string, unknown>;
}

export interface RunDir {
  dir: string;
  state: RunState;
  history: ParsedHistory;
  /** 'history.csv' or 'lstmc.json' (a run without history.csv: no timings). */
  historySource: 'history.csv' | 'lstmc.json';
  /** Parameters of the saved model (from model.json's weight manifest); undefined without model.json. */
  savedParams?: number;
  /** evaluation.json, when it belongs to the checkpoint's epoch: metrics on the held-out split after training. */
  evaluation?: { split: string; metrics: Record<string, number> };
}

export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function parseState(raw: unknown, file: string): RunState {
  if (!isRecord(raw) || typeof raw.model !== 'string')
    throw new RunDirError(`${file} is not an lstmc training state (no "model" field)`);
  const s: RunState = {
    model: raw.model,
    epoch: int(raw.epoch) ?? 0,
    metrics: Array.isArray(raw.metrics) ? raw.metrics.filter((m): m is string => typeof m === 'string') : [],
  };
  const specFile = str(raw.specFile);
  if (specFile !== undefined) s.specFile = specFile;
  const epochs = int(raw.epochs);
  if (epochs !== undefined) s.epochs = epochs;
  if (typeof raw.complete === 'boolean') s.complete = raw.complete;
  for (const k of ['stopReason', 'backend', 'loss', 'savedAt'] as const) {
    const v = str(raw[k]);
    if (v !== undefined) s[k] = v;
  }
  if (isRecord(raw.data)) s.data = raw.data as RunState['data'];
  if (isRecord(raw.run)) {
    const r = raw.run;
    const run: NonNullable<RunState['run']> = {};
    for (const k of ['epochs', 'batchSize', 'trainCount', 'testCount'] as const) {
      const v = int(r[k]);
      if (v !== undefined) run[k] = v;
    }
    if (isRecord(r.params)) run.params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, String(v)]));
    s.run = run;
  }
  if (isRecord(raw.engine)) s.engine = raw.engine;
  if (isRecord(raw.fingerprint)) s.fingerprint = raw.fingerprint;
  return s;
}

function countParams(modelJson: string): number | undefined {
  try {
    const j = JSON.parse(modelJson) as { weightsManifest?: Array<{ weights?: Array<{ shape?: number[] }> }> };
    let n = 0;
    for (const g of j.weightsManifest ?? [])
      for (const w of g.weights ?? []) n += (w.shape ?? []).reduce((a, b) => a * b, 1);
    return n;
  } catch {
    return undefined;
  }
}

/** evaluation.json (runtime/history-writer.ts) if it is readable and measured at `epoch`. */
function readEvaluation(file: string, epoch: number): RunDir['evaluation'] {
  if (!existsSync(file)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isRecord(raw) || raw.epoch !== epoch || !isRecord(raw.metrics)) return undefined;
    const metrics = Object.fromEntries(
      Object.entries(raw.metrics).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
    return { split: str(raw.split) ?? 'test', metrics };
  } catch {
    return undefined;
  }
}

/** Reads a run directory; a RunDirError says plainly why it is not one. */
export function readRunDir(dir: string): RunDir {
  if (!existsSync(dir)) {
    const at = readableDir(dir);
    if (at === resolve(dir)) throw new RunDirError(`${dir}: no such directory`);
  } else if (!statSync(dir).isDirectory()) throw new RunDirError(`${dir} is a file, not a run directory`);
  const at = readableDir(dir);
  const stateFile = join(at, 'lstmc.json');
  if (!existsSync(stateFile))
    throw new RunDirError(
      `${dir} is not a run directory (no lstmc.json): train into it first with \`lstmc train SPEC --out ${dir}\``,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch (e) {
    throw new RunDirError(`${join(dir, 'lstmc.json')}: not valid JSON (${(e as Error).message})`);
  }
  const state = parseState(raw, join(dir, 'lstmc.json'));
  const stateHistory = isRecord(raw) && isRecord(raw.history) ? (raw.history as Record<string, number[]>) : {};
  const csvFile = join(at, HISTORY_FILE);
  let history: ParsedHistory;
  let historySource: RunDir['historySource'] = 'history.csv';
  const csv = existsSync(csvFile) ? parseHistoryCsv(readFileSync(csvFile, 'utf8')) : undefined;
  if (csv && csv.rows.length > 0) history = csv;
  else {
    history = rowsFromState(stateHistory);
    if (csv) history.problems.push(...csv.problems.map((p) => `history.csv ${p}`));
    historySource = 'lstmc.json';
  }
  const modelFile = join(at, 'model.json');
  const savedParams = existsSync(modelFile) ? countParams(readFileSync(modelFile, 'utf8')) : undefined;
  const evaluation = readEvaluation(join(at, 'evaluation.json'), state.epoch);
  return {
    dir,
    state,
    history,
    historySource,
    ...(savedParams !== undefined ? { savedParams } : {}),
    ...(evaluation ? { evaluation } : {}),
  };
}
