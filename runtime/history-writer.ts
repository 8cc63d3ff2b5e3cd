/**
 * history.csv inside every checkpoint. A checkpoint replaces the whole run directory by a swap
 * (runtime/io.ts), so a file written beside it would vanish at the next epoch; instead this writer adds
 * the current history.csv to the files of each checkpoint write. The csv and lstmc.json therefore land
 * together, atomically: after a kill -9 the directory holds complete files that agree on the epoch.
 */
import { existsSync, readFileSync } from 'node:fs';
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
