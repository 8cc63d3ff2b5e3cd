/**
 * history.csv inside every checkpoint. A checkpoint replaces the whole run directory by a swap
 * (runtime/io.ts), so a file written beside it would vanish at the next epoch; instead this writer adds
 * the current history.csv to the files of each checkpoint write. The csv and lstmc.json therefore land
 * together, atomically: after a kill -9 the directory holds complete files that agree on the epoch.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_FILE, RunHistory } from './history.js';
import { CheckpointWriter, readableDir } from './io.js';

export class HistoryCheckpointWriter extends CheckpointWriter {
  constructor(readonly history: RunHistory) {
    super();
  }

  override write(dir: string, files: Record<string, Uint8Array | string>): void {
    super.write(dir, { ...files, [HISTORY_FILE]: this.history.csv() });
  }
}

/**
 * The history of a run: fresh, or for a resumed run its history.csv up to the checkpoint's `epoch`
 * (rebuilt from lstmc.json's history when the file is missing, e.g. a run from an older lstmc).
 */
export function runHistoryFor(
  outDir: string | undefined,
  resumed: { epoch: number; history: Record<string, number[]> } | null,
): RunHistory {
  if (!outDir || !resumed) return new RunHistory();
  const file = join(readableDir(outDir), HISTORY_FILE);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  return RunHistory.resume(text, resumed.epoch, resumed.history);
}

export const EVALUATION_FILE = 'evaluation.json';

/** What `lstmc train` measured on the held-out split after its last epoch (`lstmc report` shows it). */
export interface EvaluationRecord {
  /** The checkpoint epoch the metrics belong to (a later checkpoint swap removes the file). */
  epoch: number;
  split: 'test' | 'train';
  metrics: Record<string, number>;
}

/**
 * Writes evaluation.json into a run directory after training (temp file, fsync, rename). It is not
 * part of the checkpoint: the next checkpoint swap of a resumed run drops it, as it no longer applies.
 */
export function writeEvaluation(dir: string, record: EvaluationRecord): void {
  const target = join(readableDir(dir), EVALUATION_FILE);
  const tmp = `${target}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(record, null, 1) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
}
