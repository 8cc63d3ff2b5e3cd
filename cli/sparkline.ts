/**
 * The one-line loss sparkline `lstmc train` prints at the end of a run on a terminal:
 *
 *   loss 2.277 ▇▇▆▅▄▃▂▂▁▁ 0.412 · val_loss 2.301 ▇▆▆▅▄▃▃▂▂▁ 0.530   (10 epochs)
 *
 * Loads nothing heavy. Long runs are averaged into at most `width` buckets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BARS = '▁▂▃▄▅▆▇█';

/** Values resampled to at most `width` points (bucket means). */
export function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.max(from + 1, Math.floor(((i + 1) * values.length) / width));
    const slice = values.slice(from, to);
    out.push(slice.reduce((a, b) => a + b, 0) / slice.length);
  }
  return out;
}

/** One bar per value, scaled between the smallest and largest finite value; non-finite values are spaces. */
export function sparkline(values: readonly number[], width = 40): string {
  const v = resample(values, width);
  const finite = v.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return v
    .map((x) => {
      if (!Number.isFinite(x)) return ' ';
      const i = hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[i]!;
    })
    .join('');
}

function short(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** `loss 2.277 ▇▆▅▃▂▁ 0.412 · val_loss ...  (N epochs)`; '' when there is no loss history. */
export function lossSparkline(history: Record<string, readonly number[]>, columns = 80): string {
  const series = ['loss', 'val_loss'].filter((k) => (history[k]?.length ?? 0) > 0);
  if (series.length === 0) return '';
  const n = history.loss?.length ?? history[series[0]!]!.length;
  const tail = `  (${n} epoch${n === 1 ? '' : 's'})`;
  // Fit the terminal: what is not bars (names, numbers, separators) first, the rest shared by the lines.
  const fixed = series.reduce((a, k) => {
    const vs = history[k]!;
    return a + k.length + short(vs[0]!).length + short(vs[vs.length - 1]!).length + 3;
  }, 0);
  const width = Math.max(
    8,
    Math.min(40, Math.floor((columns - fixed - tail.length - 3 * (series.length - 1)) / series.length)),
  );
  const parts = series.map((k) => {
    const vs = history[k]!;
    return `${k} ${short(vs[0]!)} ${sparkline(vs, width)} ${short(vs[vs.length - 1]!)}`;
  });
  return parts.join(' · ') + tail;
}

/** The sparkline of a run directory's lstmc.json history ('' when there is none), for runs trained out of process. */
export function runDirSparkline(dir: string, columns = 80): string {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'lstmc.json'), 'utf8')) as { history?: unknown };
    const h = state.history;
    if (typeof h !== 'object' || h === null) return '';
    const numeric = Object.entries(h).filter(
      (e): e is [string, number[]] => Array.isArray(e[1]) && e[1].every((v) => typeof v === 'number'),
    );
    return lossSparkline(Object.fromEntries(numeric), columns);
  } catch {
    return '';
  }
}
