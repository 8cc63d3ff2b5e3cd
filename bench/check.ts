/**
 * `npm run bench` (node dist/bench/check.js): performance of `lstmc check`.
 *
 * 1. Cold start: wall time of `node dist/cli/main.js check specs/*` (spawned; median of 10 runs after
 *    one warm-up of the OS file cache). Target <= 300 ms.
 * 2. Loaded modules: one extra run with `--import` of a preload that registers a module-resolution hook
 *    (every ESM URL resolved) and, at exit, dumps the CommonJS cache. Fails (exit 1) if tfjs,
 *    ts-morph or typescript were loaded by `check`.
 * 3. Scaling: in-process, warm, `checkSource` on generated specs of 1,000 and 10,000 layers (median
 *    of several runs); prints the growth ratio (linear ~ 10x). Target: 1,000 layers <= 100 ms.
 *
 * Set BENCH_RUNS to change the number of cold-start runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkSource } from '../compiler/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const FORBIDDEN = [
  /[\\/]node_modules[\\/]@tensorflow[\\/]/,
  /[\\/]node_modules[\\/]ts-morph[\\/]/,
  /[\\/]node_modules[\\/]typescript[\\/]/,
];
const COLD_TARGET_MS = 300;
const LAYERS_TARGET_MS = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}

function spawnTimed(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ms: number; status: number | null; stderr: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { ms: performance.now() - t, status: r.status, stderr: r.stderr };
}

function coldStart(runs: number): { median: number; baseline: number; status: number | null } {
  const args = [MAIN, 'check', 'specs/*', '--format', 'json'];
  const first = spawnTimed(args);
  if (first.status === 2) process.stderr.write(`warning: lstmc exited 2: ${first.stderr.trim()}\n`);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(spawnTimed(args).ms);
  const base: number[] = [];
  for (let i = 0; i < Math.min(runs, 5); i++) base.push(spawnTimed(['-e', '0']).ms);
  return { median: median(times), baseline: median(base), status: first.status };
}

/** Every module URL the `check` process loaded (ESM via a resolve hook, CJS via the require cache). */
function loadedModules(): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'lstmc-bench-'));
  try {
    const trace = path.join(dir, 'trace.txt');
    const hooks = path.join(dir, 'hooks.mjs');
    const preload = path.join(dir, 'preload.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, nextResolve) {
  const r = await nextResolve(specifier, context);
  appendFileSync(process.env.LSTMC_BENCH_TRACE, r.url + '\\n');
  return r;
}
`,
    );
    writeFileSync(
      preload,
      `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const cache = Object.keys(require('node:module')._cache ?? {});
  if (cache.length > 0) appendFileSync(process.env.LSTMC_BENCH_TRACE, cache.join('\\n') + '\\n');
});
`,
    );
    writeFileSync(trace, '');
    spawnTimed(['--import', pathToFileURL(preload).href, MAIN, 'check', 'specs/*', '--format', 'json'], {
      ...process.env,
      LSTMC_BENCH_TRACE: trace,
    });
    const urls = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    return [...new Set(urls.map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u)))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function packagesOf(files: string[]): string[] {
  const pkgs = new Set<string>();
  for (const f of files) {
    const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(f);
    if (m) pkgs.add(m[1]!.replace(/\\/g, '/'));
  }
  return [...pkgs].sort();
}

/** A sequential spec with `layers` layers: alternating lstm / dense, all with sequence outputs. */
export function generateSpec(layers: number): string {
  const out = ['model Big {', '  input x: [T, 8]'];
  for (let i = 0; i < layers - 1; i++)
    out.push(i % 2 === 0 ? '  lstm(8, returnSequences: true)' : '  dense(8, activation: tanh)');
  out.push('  dense(1)', '}', '');
  return out.join('\n');
}

function timeCheck(source: string, runs: number): { median: number; errors: number; diagnostics: number } {
  const warm = checkSource(source, 'big.lstm');
  checkSource(source, 'big.lstm');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    checkSource(source, 'big.lstm');
    times.push(performance.now() - t);
  }
  return {
    median: median(times),
    errors: warm.diagnostics.filter((d) => d.severity === 'error').length,
    diagnostics: warm.diagnostics.length,
  };
}

function main(): number {
  if (!existsSync(MAIN)) {
    process.stderr.write(`bench: ${MAIN} does not exist; run \`npm run build\` first\n`);
    return 2;
  }
  let failed = false;
  const runs = Number(process.env.BENCH_RUNS ?? 10) || 10;

  console.log(`lstmc check benchmark (node ${process.version}, ${process.platform}/${process.arch})\n`);

  const cold = coldStart(runs);
  const coldOk = cold.median <= COLD_TARGET_MS;
  console.log(
    `cold start   node dist/cli/main.js check specs/*   median of ${runs}: ${ms(cold.median)}` +
      `   (node -e 0: ${ms(cold.baseline)}, so lstmc adds ${ms(cold.median - cold.baseline)}; exit ${cold.status})   target <= ${COLD_TARGET_MS} ms: ${coldOk ? 'ok' : 'MISSED'}`,
  );

  const loaded = loadedModules();
  const forbidden = loaded.filter((f) => FORBIDDEN.some((re) => re.test(f)));
  const pkgs = packagesOf(loaded);
  console.log(`modules      ${loaded.length} loaded; packages: ${pkgs.join(', ') || '(none)'}`);
  if (loaded.length === 0) {
    console.log('             (module trace is empty: the loader hook did not run; check not verified)');
    failed = true;
  } else if (forbidden.length > 0) {
    console.log(
      `             FAIL: check loaded tfjs / ts-morph / typescript:\n               ${forbidden.slice(0, 10).join('\n               ')}`,
    );
    failed = true;
  } else {
    console.log('             ok: neither @tensorflow/* nor ts-morph nor typescript is loaded');
  }

  const sizes = [1_000, 10_000];
  const results = sizes.map((n) => ({ n, ...timeCheck(generateSpec(n), n >= 10_000 ? 5 : 9) }));
  for (const r of results) {
    const target =
      r.n === 1_000 ? `   target <= ${LAYERS_TARGET_MS} ms: ${r.median <= LAYERS_TARGET_MS ? 'ok' : 'MISSED'}` : '';
    console.log(
      `checkSource  ${String(r.n).padStart(6)} layers (warm, median): ${ms(r.median)}   ` +
        `${r.diagnostics} diagnostic(s), ${r.errors} error(s)${target}`,
    );
    if (r.errors > 0) console.log('             (the generated spec has errors: the timing covers a partial check)');
  }
  const ratio = results[1]!.median / results[0]!.median;
  const linear = ratio <= 15;
  console.log(
    `growth       10,000 / 1,000 layers: ${ratio.toFixed(2)}x   (linear ~ 10x): ${linear ? 'ok' : 'SUPERLINEAR'}`,
  );
  return failed ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
}
