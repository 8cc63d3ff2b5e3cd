/**
 * `node dist/bench/compile.js` (after `npm run build`): performance of `lstmc compile`.
 *
 * 1. ts-morph load: time of the first `import('../emit/typescript.js')` (loads ts-morph + TypeScript).
 * 2. The six reference specs (specs/*.yaml): per spec, warm, median of BENCH_RUNS runs of
 *    check (`checkSource`) + emit (`emitModules`: ts-morph printing and formatting).
 * 3. A generated 1,000-layer spec: check and emit separately, warm, median of runs.
 * 4. End to end: wall time of `node dist/cli/main.js compile specs/*.yaml -o <tmp>` (spawned, median),
 *    which includes Node start-up and loading ts-morph.
 *
 * Set BENCH_RUNS to change the number of runs (default 5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSource } from '../compiler/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPECS = path.join(ROOT, 'specs');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`.padStart(10);
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

/** A chain of 1,000 layers: an LSTM stack and dense layers, one line each. */
export function generatedSpec(layers: number): string {
  const lines = ['model: Big', 'inputs:', '  x: [20, 8]', 'layers:'];
  const recurrent = Math.floor(layers / 4);
  for (let i = 0; i < layers; i++) {
    if (i < recurrent - 1) lines.push('  - lstm: {units: 8, returnSequences: true}');
    else if (i === recurrent - 1) lines.push('  - lstm: 8');
    else lines.push(`  - dense: {units: ${8 + (i % 3)}, activation: relu}`);
  }
  lines.push('train:', '  loss: meanSquaredError', '  optimizer: adam', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const load = performance.now();
  const emit = await import('../emit/typescript.js');
  const loadMs = performance.now() - load;
  const project = timed(() => emit.createEmitProject());
  console.log(`lstmc compile benchmark (median of ${RUNS} warm runs)`);
  console.log(`  load emitter (ts-morph + typescript):      ${ms(loadMs)}`);
  console.log(`  create ts-morph project:                   ${ms(project.ms)}`);

  const emitOnce = (source: string, file: string): { check: number; emit: number; modules: number; lines: number } => {
    const c = timed(() => checkSource(source, file));
    const errors = c.value.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${file}: ${errors[0]!.message}`);
    const inputs = c.value.models.map((model) => ({ model, options: { sourcePath: file, source, version: 'bench' } }));
    const e = timed(() => emit.emitModules(inputs, project.value));
    if (e.value.diagnostics.length > 0) throw new Error(`${file}: ${e.value.diagnostics[0]!.message}`);
    const lines = e.value.modules.reduce((n, m) => n + m.text.split('\n').length, 0);
    return { check: c.ms, emit: e.ms, modules: e.value.modules.length, lines };
  };
  const measure = (source: string, file: string): { check: number; emit: number; modules: number; lines: number } => {
    const first = emitOnce(source, file); // warm-up (JIT, ts-morph caches)
    const checks: number[] = [];
    const emits: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = emitOnce(source, file);
      checks.push(r.check);
      emits.push(r.emit);
    }
    return { check: median(checks), emit: median(emits), modules: first.modules, lines: first.lines };
  };

  const specs = existsSync(SPECS)
    ? readdirSync(SPECS)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  console.log(`\n  reference specs (${specs.length})                 check       emit      total   lines`);
  let total = 0;
  for (const f of specs) {
    const source = readFileSync(path.join(SPECS, f), 'utf8');
    const r = measure(source, `specs/${f}`);
    total += r.check + r.emit;
    console.log(
      `  ${f.padEnd(36)} ${ms(r.check)} ${ms(r.emit)} ${ms(r.check + r.emit)} ${String(r.lines).padStart(7)}`,
    );
  }
  console.log(`  ${'all six'.padEnd(36)} ${''.padStart(10)} ${''.padStart(10)} ${ms(total)}`);

  const big = generatedSpec(1000);
  const r = measure(big, 'big.yaml');
  console.log(`\n  generated 1,000-layer spec               check       emit      total   lines`);
  console.log(
    `  ${'big.yaml'.padEnd(36)} ${ms(r.check)} ${ms(r.emit)} ${ms(r.check + r.emit)} ${String(r.lines).padStart(7)}`,
  );

  if (existsSync(MAIN) && specs.length > 0) {
    const out = mkdtempSync(path.join(tmpdir(), 'lstmc-bench-compile-'));
    try {
      const args = [MAIN, 'compile', ...specs.map((f) => `specs/${f}`), '-o', out];
      const run = (): { ms: number; status: number | null; stderr: string } => {
        rmSync(out, { recursive: true, force: true });
        const t = performance.now();
        const p = spawnSync(process.execPath, args, {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        return { ms: performance.now() - t, status: p.status, stderr: p.stderr };
      };
      const first = run();
      if (first.status !== 0) {
        console.log(`\n  end to end: lstmc compile exited ${first.status}: ${first.stderr.trim().split('\n')[0]}`);
      } else {
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push(run().ms);
        console.log(
          `\n  end to end: node dist/cli/main.js compile specs/*.yaml -o DIR (spawned): ${ms(median(times)).trim()}`,
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
