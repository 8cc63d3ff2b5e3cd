/**
 * `history.csv`, the per-epoch record of a run directory: one row per completed epoch with every loss
 * and metric the epoch logged (training, then `val_` ones), the epoch's wall time, the training time
 * so far, training samples per second and the time the epoch ended.
 *
 *   epoch,loss,acc,val_loss,val_acc,seconds,elapsed_seconds,samples_per_sec,time
 *   1,0.693,0.51,0.689,0.55,1.204,1.204,830.6,2026-12-02T07:30:01.123Z
 *
 * `epoch` counts from 1 (as the progress line "Epoch 1/10"). The file is part of every checkpoint
 * (runtime/history-writer.ts puts it into the directory swap that writes model.json and lstmc.json),
 * so a kill -9 leaves the previous complete file, and it always agrees with the checkpoint's epoch. A
 * resumed run keeps the rows up to the checkpoint's epoch and appends after them.
 *
 * Pure (no tfjs): `lstmc report` reads it with `parseHistoryCsv`.
 */

export const HISTORY_FILE = 'history.csv';

/** The columns after the logged values, in order. */
export const TIMING_COLUMNS = ['seconds', 'elapsed_seconds', 'samples_per_sec', 'time'] as const;

export interface HistoryRow {
  epoch: number;
  /** Losses and metrics by log name (`loss`, `acc`, `val_loss`, ...). */
  values: Record<string, number>;
  /** Wall time of the epoch (training and validation), seconds; undefined when not recorded. */
  seconds?: number;
  /** Training wall time of the run up to the end of this epoch (resumed runs included), seconds. */
  elapsedSeconds?: number;
  /** Training samples per second in this epoch. */
  samplesPerSec?: number;
  /** ISO 8601 time the epoch ended. */
  time?: string;
}

export interface ParsedHistory {
  /** Loss and metric columns, in file order (training ones, then `val_` ones). */
  metrics: string[];
  rows: HistoryRow[];
  /** Lines that could not be read (a hand-edited file); reported, never fatal. */
  problems: string[];
}

/** Log names in file order: training values in first-seen order, their `val_` twins, then other `val_` ones. */
export function orderMetrics(names: Iterable<string>): string[] {
  const all = [...new Set(names)];
  const train = all.filter((n) => !n.startsWith('val_'));
  const val = all.filter((n) => n.startsWith('val_'));
  const paired = train.map((n) => `val_${n}`).filter((n) => val.includes(n));
  return [...train, ...paired, ...val.filter((n) => !paired.includes(n))];
}

function num(v: number | undefined, digits?: number): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return digits === undefined ? String(v) : v.toFixed(digits);
}

/** The CSV text of `rows` (columns: epoch, the metrics, the timing columns). */
export function formatHistoryCsv(metrics: readonly string[], rows: readonly HistoryRow[]): string {
  const lines = [['epoch', ...metrics, ...TIMING_COLUMNS].join(',')];
  for (const r of rows) {
    lines.push(
      [
        String(r.epoch),
        ...metrics.map((m) => num(r.values[m])),
        num(r.seconds, 3),
        num(r.elapsedSeconds, 3),
        num(r.samplesPerSec, 1),
        r.time ?? '',
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** Reads history.csv text. Rows are sorted by epoch; a repeated epoch keeps its last row. */
export function parseHistoryCsv(text: string): ParsedHistory {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const problems: string[] = [];
  if (lines.length === 0) return { metrics: [], rows: [], problems: ['the file is empty'] };
  const header = lines[0]!.split(',').map((c) => c.trim());
  if (header[0] !== 'epoch')
    return { metrics: [], rows: [], problems: [`line 1: expected a header starting with "epoch", got "${lines[0]}"`] };
  const timing = new Set<string>(TIMING_COLUMNS);
  const metrics = header.slice(1).filter((c) => !timing.has(c));
  const byEpoch = new Map<number, HistoryRow>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    const cell = (name: string): string | undefined => {
      const at = header.indexOf(name);
      return at < 0 ? undefined : cells[at]?.trim();
    };
    const number = (name: string): number | undefined => {
      const c = cell(name);
      if (c === undefined || c === '') return undefined;
      const v = Number(c);
      return Number.isFinite(v) ? v : undefined;
    };
    const epoch = number('epoch');
    if (epoch === undefined || !Number.isInteger(epoch) || epoch < 1) {
      problems.push(`line ${i + 2}: no epoch number`);
      return;
    }
    const values: Record<string, number> = {};
    for (const m of metrics) {
      const v = number(m);
      if (v !== undefined) values[m] = v;
    }
    const row: HistoryRow = { epoch, values };
    const seconds = number('seconds');
    const elapsed = number('elapsed_seconds');
    const sps = number('samples_per_sec');
    const time = cell('time');
    if (seconds !== undefined) row.seconds = seconds;
    if (elapsed !== undefined) row.elapsedSeconds = elapsed;
    if (sps !== undefined) row.samplesPerSec = sps;
    if (time !== undefined && time !== '') row.time = time;
    byEpoch.set(epoch, row);
  });
  const rows = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  return { metrics, rows, problems };
}

/** Rows from lstmc.json's `history` (name → one value per epoch) for a run without history.csv: no timings. */
export function rowsFromState(history: Record<string, number[]>): ParsedHistory {
  const metrics = orderMetrics(Object.keys(history));
  const n = Math.max(0, ...Object.values(history).map((v) => v.length));
  const rows: HistoryRow[] = [];
  for (let i = 0; i < n; i++) {
    const values: Record<string, number> = {};
    for (const m of metrics) {
      const v = history[m]?.[i];
      if (typeof v === 'number' && Number.isFinite(v)) values[m] = v;
    }
    rows.push({ epoch: i + 1, values });
  }
  return { metrics, rows, problems: [] };
}

/** The history of one run as it trains: rows kept in memory, written whole into every checkpoint. */
export class RunHistory {
  private metrics: string[];
  private rows: HistoryRow[];

  constructor(metrics: readonly string[] = [], rows: readonly HistoryRow[] = []) {
    this.metrics = [...metrics];
    this.rows = [...rows];
  }

  /**
   * Continues a checkpointed run: the rows of its history.csv up to `epoch` (rows after it belong to
   * epochs the checkpoint does not hold), or, without a readable file, rows rebuilt from lstmc.json's
   * `history` (timings unknown).
   */
  static resume(csvText: string | undefined, epoch: number, stateHistory: Record<string, number[]> = {}): RunHistory {
    const parsed = csvText !== undefined ? parseHistoryCsv(csvText) : undefined;
    const usable = parsed !== undefined && parsed.problems.length === 0 && parsed.rows.length > 0;
    const source = usable ? parsed : rowsFromState(stateHistory);
    const rows = source.rows.filter((r) => r.epoch <= epoch);
    // The file must cover every checkpointed epoch; otherwise lstmc.json's history is the complete record.
    if (usable && rows.length < epoch) {
      const fallback = rowsFromState(stateHistory);
      if (fallback.rows.length >= rows.length)
        return new RunHistory(
          fallback.metrics,
          fallback.rows.filter((r) => r.epoch <= epoch),
        );
    }
    return new RunHistory(source.metrics, rows);
  }

  /** Records a completed epoch (1-based) from the epoch-end logs. */
  record(epoch: number, logs: Record<string, number>, seconds: number, samples: number, now = new Date()): void {
    const names = Object.keys(logs).filter((k) => typeof logs[k] === 'number');
    if (names.some((n) => !this.metrics.includes(n))) this.metrics = orderMetrics([...this.metrics, ...names]);
    const before = this.rows.filter((r) => r.epoch < epoch);
    const last = before[before.length - 1];
    const row: HistoryRow = {
      epoch,
      values: Object.fromEntries(names.map((n) => [n, logs[n]!])),
      seconds,
      elapsedSeconds: (last?.elapsedSeconds ?? 0) + seconds,
      samplesPerSec: seconds > 0 ? samples / seconds : 0,
      time: now.toISOString(),
    };
    this.rows = [...before, row];
  }

  get length(): number {
    return this.rows.length;
  }

  csv(): string {
    return formatHistoryCsv(this.metrics, this.rows);
  }
}
