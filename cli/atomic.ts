/**
 * Atomic writes for files users keep (compiled modules, converted specs): a temp file in the same
 * directory, fsynced, then renamed over the target. An interrupted write leaves the old file intact.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface AtomicFs {
  writeFile(file: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** Writes with `wx` (never follows or clobbers an existing path) and fsyncs before the rename. */
export const nodeAtomicFs: AtomicFs = {
  async writeFile(file, text) {
    const fh = await fsp.open(file, 'wx', 0o644);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
};

export const TEMP_PREFIX = '.lstmc-tmp-';

/** Write `text` to `file` through a temp file in the same directory and a rename. */
export async function writeFileAtomic(file: string, text: string, fs: AtomicFs = nodeAtomicFs): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`,
  );
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}
