/**
 * `npm run docs`: writes docs/layers.md from the layer table (see ./layer-docs.ts), atomically: a
 * temp file in the same directory, then a rename, so an interrupted run leaves the old page intact.
 *
 * Usage: node dist/compiler/layer-docs-cli.js [OUT]   (default: docs/layers.md of the package)
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLayerDocs } from './layer-docs.js';

/** The package root: this module runs as dist/compiler/layer-docs-cli.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function writeLayerDocs(out: string = join(ROOT, 'docs', 'layers.md')): string {
  const text = renderLayerDocs();
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { encoding: 'utf8', flag: 'wx' });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = writeLayerDocs(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`wrote ${out}\n`);
}
