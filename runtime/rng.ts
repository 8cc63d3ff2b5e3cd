/** A small seeded PRNG (mulberry32) with serialisable state, and a scoped `Math.random` override. */
export class Rng {
  constructor(public state: number) {
    this.state = state >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
}

const originalRandom = Math.random;
let active: Rng | null = null;

/**
 * Routes `Math.random` (which tfjs uses for weight initialisation without a seed and for shuffling in
 * `fit`) through a seeded generator until `restoreMathRandom()` is called.
 */
export function seedMathRandom(rng: Rng): void {
  active = rng;
  Math.random = () => rng.next();
}

export function restoreMathRandom(): void {
  active = null;
  Math.random = originalRandom;
}

export function activeRng(): Rng | null {
  return active;
}
