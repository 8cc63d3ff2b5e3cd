// Builds the fused recurrent kernels: wasm/assembly/*.ts (AssemblyScript) → dist/wasm/recurrent.wasm
// (WebAssembly with SIMD and a shared, imported memory for worker threads). Run by `npm run build` and by
// the test setup; skips the compile when the output is newer than every source. No C compiler, no
// download: the compiler is the `assemblyscript` package from npm.
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'wasm', 'assembly');
const OUT = path.join(ROOT, 'dist', 'wasm', 'recurrent.wasm');

export const ASC_ARGS = [
  path.join(SRC, 'recurrent.ts'),
  '--outFile',
  OUT,
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '32768',
  '--enable',
  'simd',
  '--enable',
  'threads',
  '-O3',
  '--noAssert',
];

function newestSource() {
  let t = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const f of readdirSync(SRC)) t = Math.max(t, statSync(path.join(SRC, f)).mtimeMs);
  return t;
}

export async function buildWasm({ force = false } = {}) {
  if (!force && existsSync(OUT) && statSync(OUT).mtimeMs >= newestSource()) return false;
  mkdirSync(path.dirname(OUT), { recursive: true });
  const asc = (await import('assemblyscript/asc')).default;
  const { error, stderr } = await asc.main(ASC_ARGS);
  if (error) throw new Error(`wasm/build.mjs: asc failed: ${error.message}\n${stderr.toString()}`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildWasm({ force: process.argv.includes('--force') });
  if (built) console.log(`built ${path.relative(ROOT, OUT)}`);
}
