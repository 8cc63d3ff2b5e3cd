/**
 * What the benchmarks share (bench/torch.ts, bench/speed.ts): the benchmark problems, running a child
 * process, epoch statistics, number formatting and the table layout.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench/common.js). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI. */
export const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

/** One benchmark problem: a spec file and what the hand-written baselines need to know about it. */
export interface BenchProblem {
  /** Short name (`--only`, `--model`; bench/torch_hand.py --problem). */
  key: string;
  title: string;
  /** The spec, relative to the repository root. */
  file: string;
  /** The spec's batch size. */
  batchSize: number;
}

/** The stacked regressor and the six reference problems, in the order the tables print them. */
export const BENCH_PROBLEMS: readonly BenchProblem[] = [
  { key: 'regressor', title: 'stacked regressor 4×LSTM(50)', file: 'bench/specs/regressor.lstm', batchSize: 32 },
  { key: 'echo', title: 'vanilla / echo (batch 1)', file: 'specs/vanilla.lstm', batchSize: 1 },
  { key: 'sine', title: 'stacked / damped sine', file: 'specs/stacked.lstm', batchSize: 32 },
  { key: 'cumsum', title: 'bidirectional / cumsum', file: 'specs/bidirectional.lstm', batchSize: 10 },
  { key: 'addition', title: 'encoder-decoder / addition', file: 'specs/encoder-decoder.lstm', batchSize: 32 },
  { key: 'chars', title: 'generative / chars', file: 'specs/generative.lstm', batchSize: 128 },
  { key: 'square', title: 'cnn-lstm / moving square', file: 'specs/cnn-lstm.lstm', batchSize: 32 },
];

export interface Run {
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to completion; a failure throws with the end of its stderr. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Run {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    throw new Error(
      `${path.basename(cmd)} ${args.slice(0, 3).join(' ')} ...: ${why}\n${(r.stderr ?? '').slice(-2000)}`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr, seconds };
}

export function best(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : Math.max(...xs);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Samples/s of the epochs after the first (warm-up); all of them when there is only one. */
export function afterWarmup(perEpoch: readonly number[]): number[] {
  return perEpoch.length > 1 ? perEpoch.slice(1) : [...perEpoch];
}

/** A throughput: thousands separated from 100 up, one decimal below; '—' when unknown. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** a / b with two decimals; '—' when either is unknown. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—';
}

/** A plain-text table: the first column left-aligned, the others right-aligned, a rule under the header. */
export function renderTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: readonly string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
