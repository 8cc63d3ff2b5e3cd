/**
 * Growth-ratio timing for the front-end tests: how running time grows from n to 10n, measured in one
 * run, never against absolute milliseconds.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection before each timed run, so that no run pays for another's garbage. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();

/**
 * How the running time grows from input size n to 10n, measured in this run (no absolute limits:
 * a loaded machine slows both sizes alike). Each size runs `reps` times, alternating, after a warm-up;
 * the fastest run of each counts (load only ever slows a run down). A linear algorithm gives about
 * 10, a quadratic one about 100: assert against GROWTH_BOUND.
 */
export function growth<I>(make: (n: number) => I, run: (input: I) => unknown, n: number, reps = 5): number {
  const small = make(n);
  const big = make(10 * n);
  run(small);
  run(big);
  let ts = Infinity;
  let tb = Infinity;
  for (let i = 0; i < reps; i++) {
    collectGarbage();
    let t0 = performance.now();
    run(small);
    ts = Math.min(ts, performance.now() - t0);
    collectGarbage();
    t0 = performance.now();
    run(big);
    tb = Math.min(tb, performance.now() - t0);
  }
  return tb / Math.max(ts, 0.1);
}
/** Linear time (about 10) passes with room for noise; quadratic time (about 100) fails. */
export const GROWTH_BOUND = 40;
/** Timing tests measure several runs of both sizes: their own, generous timeout. */
export const TIMED = 120_000;
