/**
 * vitest globalSetup: build dist/ (`tsc -p tsconfig.build.json`) once before any suite runs, so that
 * suites spawning `dist/cli/main.js` (and the packed package) never run against a stale build, with
 * `npx vitest run` alone as with `npm test`.
 *
 * The build is skipped when dist/ is already newer than every source file, source directory and
 * config (e.g. right after `npm test`'s own `npm run build`). Outputs whose source is gone are removed
 * (a deleted module must not keep working from dist/). Concurrent test runs in one working tree build
 * one at a time (a lock directory in the OS temp directory).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
/** Directories that hold no build input. */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'test', 'specs', 'docs']);
const CONFIGS = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** The package's entry points: they must exist after a build. */
const ENTRIES = ['index.js', 'cli/main.js', 'runtime/index.js'];
const OUTPUT = /(\.d\.ts|\.js)(\.map)?$/;

function walk(dir: string, visit: (file: string, isDir: boolean) => void, skip: (name: string) => boolean): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip(e.name)) continue;
    const full = path.join(dir, e.name);
    visit(full, e.isDirectory());
    if (e.isDirectory()) walk(full, visit, skip);
  }
}

/** The newest mtime of any TypeScript source, source directory (files added or removed) or config. */
function newestInput(): number {
  let newest = 0;
  for (const c of CONFIGS) newest = Math.max(newest, statSync(path.join(ROOT, c)).mtimeMs);
  walk(
    ROOT,
    (file, isDir) => {
      if (isDir || (file.endsWith('.ts') && !file.endsWith('.d.ts'))) newest = Math.max(newest, statSync(file).mtimeMs);
    },
    (name) => name.startsWith('.') || NOT_SOURCE.has(name),
  );
  return newest;
}

/** The TypeScript source an output in dist/ comes from. */
function sourceOf(output: string): string {
  return path.join(ROOT, path.relative(DIST, output).replace(OUTPUT, '.ts'));
}

/** Every compiler output (.js, .d.ts, maps) in dist/. */
function outputs(): string[] {
  const out: string[] = [];
  if (existsSync(DIST))
    walk(
      DIST,
      (file, isDir) => void (!isDir && OUTPUT.test(file) && out.push(file)),
      () => false,
    );
  return out;
}

/** Why dist/ must be rebuilt, or undefined when it is current. */
function staleReason(): string | undefined {
  for (const e of ENTRIES) if (!existsSync(path.join(DIST, e))) return `dist/${e} is missing`;
  const oldest = Math.min(
    ...outputs()
      .filter((f) => f.endsWith('.js'))
      .map((f) => statSync(f).mtimeMs),
  );
  return newestInput() > oldest ? 'sources changed since the last build' : undefined;
}

function build(): void {
  const started = Date.now();
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listEmittedFiles'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const emitted = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.startsWith('TSFILE: '))
      .map((l) => path.resolve(l.slice('TSFILE: '.length).trim())),
  );
  const errors = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('TSFILE: '))
    .join('\n')
    .trim();
  // tsc exits 2 when it found type errors but wrote every output (dist/ matches the sources; type
  // errors are `npm run typecheck`'s business): say so and go on. Any other failure stops the run.
  if ((r.status !== 0 && r.status !== 2) || emitted.size === 0) {
    throw new Error(
      `test/global-setup.ts: tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal}):\n${errors}${r.stderr}${r.error ?? ''}`,
    );
  }
  if (r.status === 2) process.stderr.write(`test/global-setup.ts: dist/ built, with type errors:\n${errors}\n`);
  // Whatever this build did not write is left over from an older tree (a deleted or moved module
  // must not keep working from dist/). Outputs carry the time the build started: a source saved
  // while tsc ran is newer, so the next run builds again.
  const t = new Date(started);
  for (const f of outputs()) {
    if (!emitted.has(path.resolve(f))) rmSync(f, { force: true });
    else utimesSync(f, t, t);
  }
  for (const e of ENTRIES)
    if (!existsSync(path.join(DIST, e))) throw new Error(`test/global-setup.ts: the build wrote no dist/${e}`);
}

/** One builder per working tree at a time; a lock older than five minutes is a crashed run's. */
async function withLock<T>(f: () => T | Promise<T>): Promise<T> {
  const lock = path.join(tmpdir(), `lstmc-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 16)}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`test/global-setup.ts: ${lock} is held by another test run`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await f();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export default async function setup(): Promise<void> {
  await withLock(async () => {
    const stale = staleReason();
    if (stale !== undefined) {
      process.stderr.write(`test/global-setup.ts: building dist/ (${stale})\n`);
      build();
    } else {
      // Current (e.g. `npm test` just ran `npm run build`); still drop outputs of deleted modules.
      for (const f of outputs()) if (!existsSync(sourceOf(f))) rmSync(f, { force: true });
    }
    // The fused kernels (AssemblyScript → dist/wasm/recurrent.wasm), when their sources are newer.
    const wasmBuild = pathToFileURL(path.join(ROOT, 'wasm', 'build.mjs')).href;
    const { buildWasm } = (await import(wasmBuild)) as { buildWasm(): Promise<boolean> };
    if (await buildWasm()) process.stderr.write('test/global-setup.ts: built dist/wasm/recurrent.wasm\n');
  });
}
