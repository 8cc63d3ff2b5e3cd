/**
 * A fast orthogonal initializer for tfjs-layers (issue 9, item 4).
 *
 * tfjs's `Orthogonal` draws a Gaussian matrix and takes its QR factorisation with tf ops (`tf.linalg.qr`,
 * one op per Householder step): a [256, 1024] LSTM recurrent kernel takes seconds on wasm and minutes on
 * the cpu backend, at every model build and every model load (tfjs initialises weights before it sets the
 * saved ones). This one computes the same thing on Float64Arrays in plain TypeScript:
 *
 *   1. the same Gaussian matrix: `tf.randomNormal([max(r, c), min(r, c)], 0, 1, dtype, seed)` exactly as
 *      tfjs draws it (with a `seed`, the same values; without one, tfjs seeds its generator with one call of
 *      `Math.random()`, as here, so a run that seeds `Math.random` — `lstmc train` with `seed` — consumes
 *      the same random stream as with the stock initializer);
 *   2. a Householder QR of that matrix (LAPACK's dgeqr2 with backward accumulation of the thin Q, dorg2r),
 *      in float64;
 *   3. the same sign correction (column j of Q times sign(R[j][j])), which makes Q the unique thin QR factor
 *      whose R has a positive diagonal — so given the same Gaussian matrix the result equals tfjs's up to
 *      tfjs's float32 rounding, and the distribution is the same (Haar on the Stiefel manifold);
 *   4. the same layout: flattened to [prod(shape[:-1]), shape[-1]], transposed when wide, times `gain`.
 *
 * O(m·n²) flops (4mn² − 4n³/3) with unit-stride inner loops, left-looking in groups of four columns: about
 * 0.1 s for a [256, 1024] kernel (2.5 GFLOP/s of scalar float64; tfjs: 2–16 s on wasm, minutes on cpu).
 *
 * `installFastOrthogonal()` registers the class under tfjs's class name 'Orthogonal' in the serialization
 * map tfjs-layers resolves initializer identifiers through (`getInitializer('orthogonal')` →
 * `deserializeKerasObject({className: 'Orthogonal'})` → `SerializationMap.classNameMap`). That covers layer
 * configs (`recurrentInitializer: 'orthogonal'`, the LSTM/GRU/SimpleRNN default) and model.json files
 * being loaded; `getConfig()`/`getClassName()` are the stock ones, so saved model.json files stay stock.
 * `tf.initializers.orthogonal(...)` (a direct constructor call) still gives the stock class.
 */
import * as tf from '@tensorflow/tfjs';

type InitArgs = { gain?: number; seed?: number };
/** What lstmc uses of tfjs-layers's Initializer (the class itself is not exported by name). */
interface Initializer {
  apply(shape: number[], dtype?: tf.DataType): tf.Tensor;
  getConfig(): tf.serialization.ConfigDict;
  getClassName(): string;
}
type StockOrthogonalClass = (new (args: InitArgs) => Initializer) & { className: string };
type RegisteredEntry = [unknown, unknown];

/** tfjs-layers's own Orthogonal class (not exported by name; its factory's instance knows it). */
const StockOrthogonal = tf.initializers.orthogonal({}).constructor as StockOrthogonalClass;

/** Columns per left-looking group (the width of `reflect`'s kernel). */
const GROUP = 4;

/**
 * Applies H = I - t·v·vᵀ to rows k.. of columns [from, to) of the column-major matrix `x` (m rows), where
 * v = [1, a[vOff + k + 1 ..< vOff + m]]. Four columns per pass over v (one load of v feeds four dot
 * products and four updates): about twice the speed of one column at a time in V8.
 */
function reflect(
  a: Float64Array,
  vOff: number,
  k: number,
  m: number,
  t: number,
  x: Float64Array,
  from: number,
  to: number,
): void {
  if (t === 0) return;
  let j = from;
  for (; j + 3 < to; j += 4) {
    const c0 = j * m;
    const c1 = c0 + m;
    const c2 = c1 + m;
    const c3 = c2 + m;
    let w0 = x[c0 + k]!;
    let w1 = x[c1 + k]!;
    let w2 = x[c2 + k]!;
    let w3 = x[c3 + k]!;
    for (let i = k + 1; i < m; i++) {
      const v = a[vOff + i]!;
      w0 += v * x[c0 + i]!;
      w1 += v * x[c1 + i]!;
      w2 += v * x[c2 + i]!;
      w3 += v * x[c3 + i]!;
    }
    w0 *= t;
    w1 *= t;
    w2 *= t;
    w3 *= t;
    x[c0 + k]! -= w0;
    x[c1 + k]! -= w1;
    x[c2 + k]! -= w2;
    x[c3 + k]! -= w3;
    for (let i = k + 1; i < m; i++) {
      const v = a[vOff + i]!;
      x[c0 + i]! -= w0 * v;
      x[c1 + i]! -= w1 * v;
      x[c2 + i]! -= w2 * v;
      x[c3 + i]! -= w3 * v;
    }
  }
  for (; j < to; j++) {
    const c = j * m;
    let w = x[c + k]!;
    for (let i = k + 1; i < m; i++) w += a[vOff + i]! * x[c + i]!;
    w *= t;
    x[c + k]! -= w;
    for (let i = k + 1; i < m; i++) x[c + i]! -= w * a[vOff + i]!;
  }
}

/**
 * Thin QR of a column-major m × n matrix (m ≥ n), in place: returns the m × n column-major Q with
 * sign-corrected columns (Q[:, j] · sign(R[j][j]); a zero R[j][j] zeroes the column, as tf.sign(0) = 0 does
 * in tfjs's version). `a` is overwritten with the Householder vectors.
 */
export function signCorrectedQ(a: Float64Array, m: number, n: number): Float64Array {
  if (n > m) throw new RangeError(`signCorrectedQ needs m >= n (got ${m} x ${n})`);
  if (a.length !== m * n) throw new RangeError(`signCorrectedQ: ${a.length} values for ${m} x ${n}`);
  const tau = new Float64Array(n);
  const rdiag = new Float64Array(n);
  // Left-looking, GROUP columns at a time: the group (GROUP · m doubles) stays in L1 while the reflectors
  // stream past it once, instead of the whole trailing matrix streaming past every reflector (right-looking).
  // Same reflectors, same arithmetic per column, so the same result.
  for (let j0 = 0; j0 < n; j0 += GROUP) {
    const j1 = Math.min(j0 + GROUP, n);
    // Factor: H_{n-1} ··· H_0 A = R; v_k (v_k[k] = 1 implied) is stored below the diagonal of column k.
    for (let k = 0; k < j0; k++) reflect(a, k * m, k, m, tau[k]!, a, j0, j1);
    for (let k = j0; k < j1; k++) {
      const ck = k * m;
      const alpha = a[ck + k]!;
      let sigma = 0;
      for (let i = ck + k + 1; i < ck + m; i++) sigma += a[i]! * a[i]!;
      if (sigma === 0) {
        // Already upper triangular in this column: H_k = I.
        tau[k] = 0;
        rdiag[k] = alpha;
        continue;
      }
      const norm = Math.sqrt(alpha * alpha + sigma);
      const beta = alpha >= 0 ? -norm : norm;
      tau[k] = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      for (let i = ck + k + 1; i < ck + m; i++) a[i]! *= scale;
      rdiag[k] = beta;
      reflect(a, ck, k, m, tau[k]!, a, k + 1, j1);
    }
  }
  // Q = H_0 ··· H_{n-1} [I_n; 0]. Column j is H_0 ··· H_j e_j (H_k leaves e_j alone for k > j: it only
  // touches rows k..), built GROUP columns at a time, applying H_{j1-1} down to H_0.
  const q = new Float64Array(m * n);
  for (let j0 = 0; j0 < n; j0 += GROUP) {
    const j1 = Math.min(j0 + GROUP, n);
    for (let j = j0; j < j1; j++) q[j * m + j] = 1;
    for (let k = j1 - 1; k >= 0; k--) reflect(a, k * m, k, m, tau[k]!, q, Math.max(j0, k), j1);
  }
  for (let j = 0; j < n; j++) {
    const s = Math.sign(rdiag[j]!);
    if (s === 1) continue;
    for (let i = j * m; i < (j + 1) * m; i++) q[i] = s * q[i]!;
  }
  return q;
}

/**
 * The orthogonal matrix of `shape` (≥ 2-D) from a row-major Gaussian sample of shape
 * [max(rows, cols), min(rows, cols)], laid out as tfjs's Orthogonal does, times `gain` (float32).
 */
export function orthogonalFromGaussian(gaussian: ArrayLike<number>, shape: readonly number[], gain = 1): Float32Array {
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const cols = shape[shape.length - 1]!;
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  if (gaussian.length !== m * n)
    throw new RangeError(`orthogonalFromGaussian: ${gaussian.length} values for ${m} x ${n}`);
  // Row-major [m, n] → column-major.
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = gaussian[i * n + j]!;
  const q = signCorrectedQ(a, m, n);
  const out = new Float32Array(m * n);
  if (rows >= cols) {
    // Q itself, [rows, cols] row-major.
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = gain * q[j * m + i]!;
  } else {
    // Qᵀ, [rows, cols] = [n, m] row-major, is Q column-major.
    for (let i = 0; i < m * n; i++) out[i] = gain * q[i]!;
  }
  return out;
}

/** tfjs's Orthogonal with the QR in float64 TypeScript: same config, same class name, same distribution. */
export class FastOrthogonal extends StockOrthogonal {
  static override className = 'Orthogonal';

  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    // Shapes below 2-D (an error) and int32 (a rounding of tfjs's own result) stay with tfjs.
    if (shape.length < 2 || (dtype !== undefined && dtype !== 'float32')) return super.apply(shape, dtype);
    const self = this as unknown as { gain: number; seed?: number };
    const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const cols = shape[shape.length - 1]!;
    const flat = [Math.max(rows, cols), Math.min(rows, cols)];
    const g = tf.randomNormal(flat, 0, 1, 'float32', self.seed);
    const gaussian = g.dataSync();
    g.dispose();
    return tf.tensor(orthogonalFromGaussian(gaussian, shape, self.gain), shape, 'float32');
  }
}

let installed = false;
let stockEntry: RegisteredEntry | undefined;

function classNameMap(): Record<string, RegisteredEntry> {
  return (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, RegisteredEntry> })
    .classNameMap;
}

/**
 * Makes every 'orthogonal' initializer tfjs-layers resolves by name (layer configs, model.json) a
 * FastOrthogonal. Idempotent; cheap after the first call.
 */
export function installFastOrthogonal(): void {
  if (installed) return;
  stockEntry = classNameMap()['Orthogonal'];
  tf.serialization.registerClass(
    FastOrthogonal as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
  installed = true;
}

/** Puts tfjs's own Orthogonal back (benchmarks and tests compare the two). */
export function uninstallFastOrthogonal(): void {
  if (!installed) return;
  if (stockEntry) classNameMap()['Orthogonal'] = stockEntry;
  installed = false;
}

/** Whether `installFastOrthogonal()` is in effect. */
export function fastOrthogonalInstalled(): boolean {
  return installed;
}

/** An instance of tfjs's own Orthogonal initializer (whatever is installed). */
export function stockOrthogonal(args: InitArgs = {}): Initializer {
  return new StockOrthogonal(args);
}
