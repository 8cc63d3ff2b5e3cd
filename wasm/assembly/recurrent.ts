// Fused recurrent kernels for lstmc (AssemblyScript → WebAssembly SIMD).
//
// Built by `npm run build` (see wasm/build.mjs) into dist/wasm/recurrent.wasm; driven from runtime/fused/.
// The module imports one shared memory; the JavaScript side lays out every buffer in it and passes byte
// offsets. Nothing here allocates. Several threads (worker_threads) may run the same exported function at
// once on disjoint batch rows [b0, b1): every function writes only rows it owns, plus its own per-thread
// slices of weight-gradient partial sums, which the caller adds up.
//
// Layouts (row-major f32, B = batch, T = time steps, I = input features, H = units, G = gates·H):
//   X  [B, T, I]   input (already multiplied by the input dropout mask, as tfjs does)
//   Z  [B, T, G]   pre-activations; after the forward pass the activated gates, after the backward pass dZ.
//                  Indexed by input time tx.
//   HP [B, T, H]   the previous output each step multiplied its recurrent kernel with (after recurrent
//                  dropout), indexed by input time tx.
//   Y  [B, T, H]   outputs in processing order p (tx = p, or T-1-p when going backwards; tfjs keeps the
//                  processing order in its outputs too).
//   C, TC [B, T, H] (LSTM) cell state and activation(cell state), processing order.
//   RH [B, T, H]   (GRU) r ∘ h_prev, input time order.
//   H0, C0 [B, H]  initial states; MASK [B, H] recurrent dropout mask (0 = none).
//
// Activation codes: 0 linear, 1 tanh, 2 sigmoid, 3 hardSigmoid (tfjs: clip(0.2x + 0.5, 0, 1)), 4 relu.

const LINEAR: i32 = 0;
const TANH: i32 = 1;
const SIGMOID: i32 = 2;
const HARD_SIGMOID: i32 = 3;
const RELU: i32 = 4;

// ---------------------------------------------------------------------------------------------------
// GEMM: C[M, N] += A·B with A(m, k) = A[m·sam + k·sak] (so A may be read transposed), B row-major with
// leading dimension ldb, C row-major with leading dimension ldc. Micro-kernel 4 rows × 8 columns, K blocked.

const KC: i32 = 256;

// @ts-ignore: decorator
@inline
function madd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

export function gemm(
  M: i32, N: i32, K: i32,
  A: usize, sam: i32, sak: i32,
  B: usize, ldb: i32,
  C: usize, ldc: i32,
): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const Ak = A + <usize>(k0 * sak) * 4;
    const Bk = B + <usize>(k0 * ldb) * 4;
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      let m = 0;
      for (; m + 4 <= M; m += 4) kernel4x8(kc, Ak + <usize>(m * sam) * 4, sam, sak, Bk + <usize>n * 4, ldb, C + <usize>(m * ldc + n) * 4, ldc);
      for (; m < M; m++) kernel1x8(kc, Ak + <usize>(m * sam) * 4, sak, Bk + <usize>n * 4, ldb, C + <usize>(m * ldc + n) * 4);
    }
    for (; n + 4 <= N; n += 4) {
      let m = 0;
      for (; m + 4 <= M; m += 4) kernel4x4(kc, Ak + <usize>(m * sam) * 4, sam, sak, Bk + <usize>n * 4, ldb, C + <usize>(m * ldc + n) * 4, ldc);
      for (; m < M; m++) kernel1x4(kc, Ak + <usize>(m * sam) * 4, sak, Bk + <usize>n * 4, ldb, C + <usize>(m * ldc + n) * 4);
    }
    for (; n < N; n++) {
      for (let m = 0; m < M; m++) {
        let s: f32 = 0;
        let pa = Ak + <usize>(m * sam) * 4;
        let pb = Bk + <usize>n * 4;
        for (let k = 0; k < kc; k++) {
          s += load<f32>(pa) * load<f32>(pb);
          pa += <usize>sak * 4;
          pb += <usize>ldb * 4;
        }
        const pc = C + <usize>(m * ldc + n) * 4;
        store<f32>(pc, load<f32>(pc) + s);
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function kernel4x8(K: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const ra = <usize>sam * 4;
  const sa = <usize>sak * 4;
  const sb = <usize>ldb * 4;
  let pa = A;
  let pb = B;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa + ra);
    const a2 = v128.load32_splat(pa + 2 * ra);
    const a3 = v128.load32_splat(pa + 3 * ra);
    c00 = madd(c00, a0, b0); c01 = madd(c01, a0, b1);
    c10 = madd(c10, a1, b0); c11 = madd(c11, a1, b1);
    c20 = madd(c20, a2, b0); c21 = madd(c21, a2, b1);
    c30 = madd(c30, a3, b0); c31 = madd(c31, a3, b1);
    pa += sa;
    pb += sb;
  }
  const rc = <usize>ldc * 4;
  let pc = C;
  v128.store(pc, f32x4.add(v128.load(pc), c00)); v128.store(pc, f32x4.add(v128.load(pc, 16), c01), 16);
  pc += rc;
  v128.store(pc, f32x4.add(v128.load(pc), c10)); v128.store(pc, f32x4.add(v128.load(pc, 16), c11), 16);
  pc += rc;
  v128.store(pc, f32x4.add(v128.load(pc), c20)); v128.store(pc, f32x4.add(v128.load(pc, 16), c21), 16);
  pc += rc;
  v128.store(pc, f32x4.add(v128.load(pc), c30)); v128.store(pc, f32x4.add(v128.load(pc, 16), c31), 16);
}

// @ts-ignore: decorator
@inline
function kernel4x4(K: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const ra = <usize>sam * 4;
  const sa = <usize>sak * 4;
  const sb = <usize>ldb * 4;
  let pa = A;
  let pb = B;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(pa), b0);
    c1 = madd(c1, v128.load32_splat(pa + ra), b0);
    c2 = madd(c2, v128.load32_splat(pa + 2 * ra), b0);
    c3 = madd(c3, v128.load32_splat(pa + 3 * ra), b0);
    pa += sa;
    pb += sb;
  }
  const rc = <usize>ldc * 4;
  v128.store(C, f32x4.add(v128.load(C), c0));
  v128.store(C + rc, f32x4.add(v128.load(C + rc), c1));
  v128.store(C + 2 * rc, f32x4.add(v128.load(C + 2 * rc), c2));
  v128.store(C + 3 * rc, f32x4.add(v128.load(C + 3 * rc), c3));
}

// @ts-ignore: decorator
@inline
function kernel1x8(K: i32, A: usize, sak: i32, B: usize, ldb: i32, C: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const sa = <usize>sak * 4;
  const sb = <usize>ldb * 4;
  let pa = A;
  let pb = B;
  for (let k = 0; k < K; k++) {
    const a = v128.load32_splat(pa);
    c0 = madd(c0, a, v128.load(pb));
    c1 = madd(c1, a, v128.load(pb, 16));
    pa += sa;
    pb += sb;
  }
  v128.store(C, f32x4.add(v128.load(C), c0));
  v128.store(C, f32x4.add(v128.load(C, 16), c1), 16);
}

// @ts-ignore: decorator
@inline
function kernel1x4(K: i32, A: usize, sak: i32, B: usize, ldb: i32, C: usize): void {
  let c0 = f32x4.splat(0);
  const sa = <usize>sak * 4;
  const sb = <usize>ldb * 4;
  let pa = A;
  let pb = B;
  for (let k = 0; k < K; k++) {
    c0 = madd(c0, v128.load32_splat(pa), v128.load(pb));
    pa += sa;
    pb += sb;
  }
  v128.store(C, f32x4.add(v128.load(C), c0));
}

// ---------------------------------------------------------------------------------------------------
// Activations, vectorised. exp after Cephes expf (relative error ~1e-7 over the clamped range).

// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

// @ts-ignore: decorator
@inline
function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline
function tanhv(x: v128): v128 {
  // |x| < 0.625: odd polynomial (Cephes tanhf); otherwise 1 - 2 / (exp(2|x|) + 1), with the sign of x.
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expv(f32x4.add(ax, ax)), one)));
  const signed = v128.or(big, v128.and(x, i32x4.splat(<i32>0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

// @ts-ignore: decorator
@inline
function actv(x: v128, kind: i32): v128 {
  if (kind == TANH) return tanhv(x);
  if (kind == SIGMOID) return sigmoidv(x);
  if (kind == HARD_SIGMOID)
    return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5)), f32x4.splat(0)), f32x4.splat(1));
  if (kind == RELU) return f32x4.max(x, f32x4.splat(0));
  return x;
}

/** The derivative of an activation from its output y. */
// @ts-ignore: decorator
@inline
function dactv(y: v128, kind: i32): v128 {
  const one = f32x4.splat(1);
  if (kind == TANH) return f32x4.sub(one, f32x4.mul(y, y));
  if (kind == SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (kind == HARD_SIGMOID) {
    const inside = v128.and(f32x4.gt(y, f32x4.splat(0)), f32x4.lt(y, one));
    return v128.and(inside, f32x4.splat(0.2));
  }
  if (kind == RELU) return v128.and(f32x4.gt(y, f32x4.splat(0)), one);
  return one;
}

/** Elementwise helpers over n floats: vector body and a scalar tail computed with the same vector code. */
// @ts-ignore: decorator
@inline
function ld1(p: usize): v128 {
  return f32x4.splat(load<f32>(p));
}
// @ts-ignore: decorator
@inline
function st1(p: usize, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
}

/** y[i] = act(x[i]) in place, n floats. */
function actInPlace(p: usize, n: i32, kind: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + <usize>i * 4, actv(v128.load(p + <usize>i * 4), kind));
  for (; i < n; i++) st1(p + <usize>i * 4, actv(ld1(p + <usize>i * 4), kind));
}

/** dst[i] = a[i] * b[i]. */
function mulInto(dst: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dst + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** dst[i] = src[i]. */
function copyInto(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n * 4);
}

/** Rows of Z [rows, G] at stride ldz: Z[r, :] = bias (or 0). */
function fillRows(Z: usize, rows: i32, G: i32, ldz: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const zr = Z + <usize>(r * ldz) * 4;
    if (bias) memory.copy(zr, bias, <usize>G * 4);
    else memory.fill(zr, 0, <usize>G * 4);
  }
}

/** Z[rows, G] (contiguous) = bias + X[rows, I]·W[I, G]. */
function inputProjection(X: usize, W: usize, bias: usize, Z: usize, rows: i32, I: i32, G: i32): void {
  fillRows(Z, rows, G, G, bias);
  gemm(rows, G, I, X, I, 1, W, G, Z, G);
}

/** out[n] += column sums of the first n columns of A[rows, ·] at row stride lda. */
function colSums(A: usize, rows: i32, n: i32, lda: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const ar = A + <usize>(r * lda) * 4;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(ar + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i * 4;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(ar + o));
    }
  }
}

/** Weight gradients of one thread's rows: dW += Xᵀ·dZ, dU(+offset cols) += HPᵀ·dZ(cols), db += Σ dZ; dX = dZ·Wᵀ. */
function inputGradients(
  X: usize, dZ: usize, WT: usize, dX: usize, dW: usize, db: usize, rows: i32, I: i32, G: i32,
): void {
  // dX [rows, I] = dZ [rows, G] · WT [G, I]
  memory.fill(dX, 0, <usize>(rows * I) * 4);
  gemm(rows, I, G, dZ, G, 1, WT, I, dX, I);
  // dW [I, G] += X [rows, I]ᵀ · dZ [rows, G]
  gemm(I, G, rows, X, 1, I, dZ, G, dW, G);
  if (db) colSums(dZ, rows, G, G, db);
}

/** dst[r, :] = src[r, :] * mask[r, :] for rows with strides. */
function maskRows(dst: usize, ldd: i32, src: usize, lds: i32, mask: usize, rows: i32, H: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>(r * ldd) * 4;
    const s = src + <usize>(r * lds) * 4;
    if (mask) mulInto(d, s, mask + <usize>(r * H) * 4, H);
    else copyInto(d, s, H);
  }
}

/** HP[b, tx] = h_prev[b] ∘ mask for rows [b0, b0 + rows): h_prev is H0 at p = 0, else Y[b, p − 1]. */
function previousOutputs(HP: usize, H0: usize, Y: usize, MASK: usize, b0: i32, rows: i32, T: i32, H: i32, p: i32, tx: i32): usize {
  const TH = T * H;
  const hp = HP + <usize>(b0 * TH + tx * H) * 4;
  const mask = MASK ? MASK + <usize>(b0 * H) * 4 : 0;
  if (p == 0) maskRows(hp, TH, H0 + <usize>(b0 * H) * 4, H, mask, rows, H);
  else maskRows(hp, TH, Y + <usize>(b0 * TH + (p - 1) * H) * 4, TH, mask, rows, H);
  return hp;
}

/** dst rows [b0, b0 + rows) = the gradient of a returned last state, or 0 when it has none. */
function startGradient(dst: usize, src: usize, b0: i32, rows: i32, H: i32): void {
  if (src) memory.copy(dst, src + <usize>(b0 * H) * 4, <usize>(rows * H) * 4);
  else memory.fill(dst, 0, <usize>(rows * H) * 4);
}

// ---------------------------------------------------------------------------------------------------
// LSTM (tfjs LSTMCell, gate order i, f, c, o): z = x·W + h_m·U + b; i = σ(z0), f = σ(z1), g = act(z2),
// o = σ(z3); c = f∘c_prev + i∘g; h = o∘act(c). σ is the recurrent activation.

export function lstm_forward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, W: usize, U: usize, bias: usize, H0: usize, C0: usize, MASK: usize,
  Z: usize, HP: usize, Y: usize, Cs: usize, TC: usize,
  act: i32, ract: i32, backwards: i32,
): void {
  const G = 4 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  // Input projection for every (b, t) of this thread at once.
  inputProjection(X + <usize>(b0 * T * I) * 4, W, bias, Z + <usize>(b0 * TG) * 4, rows * T, I, G);
  for (let p = 0; p < T; p++) {
    const tx = backwards ? T - 1 - p : p;
    // h_prev (masked) → HP[b, tx]; then Z[b, tx] += HP[b, tx]·U
    const hp = previousOutputs(HP, H0, Y, MASK, b0, rows, T, H, p, tx);
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    gemm(rows, G, H, hp, TH, 1, U, G, zt, TG);
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const cp = p == 0 ? C0 + <usize>(b * H) * 4 : Cs + <usize>(b * TH + (p - 1) * H) * 4;
      const c = Cs + <usize>(b * TH + p * H) * 4;
      const tc = TC + <usize>(b * TH + p * H) * 4;
      const y = Y + <usize>(b * TH + p * H) * 4;
      const zi = z, zf = z + <usize>H * 4, zg = z + <usize>(2 * H) * 4, zo = z + <usize>(3 * H) * 4;
      let j = 0;
      // The usual activations (tanh, sigmoid) without the per-element choice of activation.
      if (act == TANH && ract == SIGMOID)
        for (; j + 4 <= H; j += 4) {
          const o = <usize>j * 4;
          const gi = sigmoidv(v128.load(zi + o));
          const gf = sigmoidv(v128.load(zf + o));
          const gg = tanhv(v128.load(zg + o));
          const go = sigmoidv(v128.load(zo + o));
          const cv = f32x4.add(f32x4.mul(gf, v128.load(cp + o)), f32x4.mul(gi, gg));
          const tcv = tanhv(cv);
          v128.store(zi + o, gi); v128.store(zf + o, gf); v128.store(zg + o, gg); v128.store(zo + o, go);
          v128.store(c + o, cv); v128.store(tc + o, tcv);
          v128.store(y + o, f32x4.mul(go, tcv));
        }
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const gi = actv(v128.load(zi + o), ract);
        const gf = actv(v128.load(zf + o), ract);
        const gg = actv(v128.load(zg + o), act);
        const go = actv(v128.load(zo + o), ract);
        const cv = f32x4.add(f32x4.mul(gf, v128.load(cp + o)), f32x4.mul(gi, gg));
        const tcv = actv(cv, act);
        v128.store(zi + o, gi); v128.store(zf + o, gf); v128.store(zg + o, gg); v128.store(zo + o, go);
        v128.store(c + o, cv); v128.store(tc + o, tcv);
        v128.store(y + o, f32x4.mul(go, tcv));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const gi = actv(ld1(zi + o), ract);
        const gf = actv(ld1(zf + o), ract);
        const gg = actv(ld1(zg + o), act);
        const go = actv(ld1(zo + o), ract);
        const cv = f32x4.add(f32x4.mul(gf, ld1(cp + o)), f32x4.mul(gi, gg));
        const tcv = actv(cv, act);
        st1(zi + o, gi); st1(zf + o, gf); st1(zg + o, gg); st1(zo + o, go);
        st1(c + o, cv); st1(tc + o, tcv);
        st1(y + o, f32x4.mul(go, tcv));
      }
    }
  }
}

/**
 * Backward through time for rows [b0, b1). dY [B, T, H] (processing order) is the gradient of the output
 * sequence (zeros where unused), dHT/dCT [B, H] the gradients of the returned last states (0 = none).
 * Writes dX rows, dH0/dC0 rows and this thread's partial dW, dU, db (which it accumulates into).
 * Z holds the activated gates on entry and dZ on exit. UT [G, H] and WT [G, I] are the transposed kernels.
 * DH, DC: scratch [B, H].
 */
export function lstm_backward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, UT: usize, WT: usize, C0: usize, MASK: usize,
  Z: usize, HP: usize, Cs: usize, TC: usize,
  dY: usize, dHT: usize, dCT: usize,
  dX: usize, dH0: usize, dC0: usize,
  DH: usize, DC: usize,
  act: i32, ract: i32, backwards: i32,
  dW: usize, dU: usize, db: usize,
): void {
  const G = 4 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  const dh = DH + <usize>(b0 * H) * 4;
  const dcn = DC + <usize>(b0 * H) * 4;
  // dh_next, dc_next start at the gradients of the returned states.
  startGradient(dh, dHT, b0, rows, H);
  startGradient(dcn, dCT, b0, rows, H);
  for (let p = T - 1; p >= 0; p--) {
    const tx = backwards ? T - 1 - p : p;
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const cp = p == 0 ? C0 + <usize>(b * H) * 4 : Cs + <usize>(b * TH + (p - 1) * H) * 4;
      const tc = TC + <usize>(b * TH + p * H) * 4;
      const dy = dY + <usize>(b * TH + p * H) * 4;
      const dhr = dh + <usize>(r * H) * 4;
      const dcr = dcn + <usize>(r * H) * 4;
      const zi = z, zf = z + <usize>H * 4, zg = z + <usize>(2 * H) * 4, zo = z + <usize>(3 * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const gi = v128.load(zi + o), gf = v128.load(zf + o), gg = v128.load(zg + o), go = v128.load(zo + o);
        const tcv = v128.load(tc + o);
        const dhv = f32x4.add(v128.load(dhr + o), v128.load(dy + o));
        const dov = f32x4.mul(dhv, tcv);
        const dcv = f32x4.add(v128.load(dcr + o), f32x4.mul(f32x4.mul(dhv, go), dactv(tcv, act)));
        v128.store(zi + o, f32x4.mul(f32x4.mul(dcv, gg), dactv(gi, ract)));
        v128.store(zf + o, f32x4.mul(f32x4.mul(dcv, v128.load(cp + o)), dactv(gf, ract)));
        v128.store(zg + o, f32x4.mul(f32x4.mul(dcv, gi), dactv(gg, act)));
        v128.store(zo + o, f32x4.mul(dov, dactv(go, ract)));
        v128.store(dcr + o, f32x4.mul(dcv, gf));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const gi = ld1(zi + o), gf = ld1(zf + o), gg = ld1(zg + o), go = ld1(zo + o);
        const tcv = ld1(tc + o);
        const dhv = f32x4.add(ld1(dhr + o), ld1(dy + o));
        const dov = f32x4.mul(dhv, tcv);
        const dcv = f32x4.add(ld1(dcr + o), f32x4.mul(f32x4.mul(dhv, go), dactv(tcv, act)));
        st1(zi + o, f32x4.mul(f32x4.mul(dcv, gg), dactv(gi, ract)));
        st1(zf + o, f32x4.mul(f32x4.mul(dcv, ld1(cp + o)), dactv(gf, ract)));
        st1(zg + o, f32x4.mul(f32x4.mul(dcv, gi), dactv(gg, act)));
        st1(zo + o, f32x4.mul(dov, dactv(go, ract)));
        st1(dcr + o, f32x4.mul(dcv, gf));
      }
    }
    // dh_prev = (dZ_t · Uᵀ) ∘ mask
    memory.fill(dh, 0, <usize>(rows * H) * 4);
    gemm(rows, H, G, zt, TG, 1, UT, H, dh, H);
    if (MASK) mulInto(dh, dh, MASK + <usize>(b0 * H) * 4, rows * H);
  }
  memory.copy(dH0 + <usize>(b0 * H) * 4, dh, <usize>(rows * H) * 4);
  memory.copy(dC0 + <usize>(b0 * H) * 4, dcn, <usize>(rows * H) * 4);
  const n = rows * T;
  inputGradients(X + <usize>(b0 * T * I) * 4, Z + <usize>(b0 * TG) * 4, WT, dX + <usize>(b0 * T * I) * 4, dW, db, n, I, G);
  gemm(H, G, n, HP + <usize>(b0 * TH) * 4, 1, H, Z + <usize>(b0 * TG) * 4, G, dU, G);
}

// ---------------------------------------------------------------------------------------------------
// GRU (tfjs GRUCell, reset_after = false, gate order z, r, h): x_* = x·W_* + b_*, with h_m = h_prev ∘ mask:
// z = σ(x_z + h_m·U_z), r = σ(x_r + h_m·U_r), hh = act(x_h + (r∘h_m)·U_h), h = z∘h_m + (1 − z)∘hh.
// (tfjs combines with the masked h_prev; with recurrent dropout off h_m = h_prev.)
// S2 [B, 2H], S1 [B, H]: scratch.

export function gru_forward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, W: usize, U: usize, bias: usize, H0: usize, MASK: usize,
  Z: usize, HP: usize, RH: usize, Y: usize, S2: usize, S1: usize,
  act: i32, ract: i32, backwards: i32,
): void {
  const G = 3 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  inputProjection(X + <usize>(b0 * T * I) * 4, W, bias, Z + <usize>(b0 * TG) * 4, rows * T, I, G);
  const s2 = S2 + <usize>(b0 * 2 * H) * 4;
  const s1 = S1 + <usize>(b0 * H) * 4;
  for (let p = 0; p < T; p++) {
    const tx = backwards ? T - 1 - p : p;
    const hp = previousOutputs(HP, H0, Y, MASK, b0, rows, T, H, p, tx);
    // inner = h_m · U[:, :2H]
    memory.fill(s2, 0, <usize>(rows * 2 * H) * 4);
    gemm(rows, 2 * H, H, hp, TH, 1, U, G, s2, 2 * H);
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    const rh = RH + <usize>(b0 * TH + tx * H) * 4;
    for (let r = 0; r < rows; r++) {
      const z = zt + <usize>(r * TG) * 4;
      const inner = s2 + <usize>(r * 2 * H) * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const rhr = rh + <usize>(r * TH) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const zz = actv(f32x4.add(v128.load(z + o), v128.load(inner + o)), ract);
        const rr = actv(f32x4.add(v128.load(z + <usize>H * 4 + o), v128.load(inner + <usize>H * 4 + o)), ract);
        v128.store(z + o, zz);
        v128.store(z + <usize>H * 4 + o, rr);
        v128.store(rhr + o, f32x4.mul(rr, v128.load(hm + o)));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const zz = actv(f32x4.add(ld1(z + o), ld1(inner + o)), ract);
        const rr = actv(f32x4.add(ld1(z + <usize>H * 4 + o), ld1(inner + <usize>H * 4 + o)), ract);
        st1(z + o, zz);
        st1(z + <usize>H * 4 + o, rr);
        st1(rhr + o, f32x4.mul(rr, ld1(hm + o)));
      }
    }
    // recurrent h part = (r∘h_m) · U[:, 2H:]
    memory.fill(s1, 0, <usize>(rows * H) * 4);
    gemm(rows, H, H, rh, TH, 1, U + <usize>(2 * H) * 4, G, s1, H);
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const rec = s1 + <usize>(r * H) * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const y = Y + <usize>(b * TH + p * H) * 4;
      const zh = z + <usize>(2 * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const hh = actv(f32x4.add(v128.load(zh + o), v128.load(rec + o)), act);
        const zz = v128.load(z + o);
        v128.store(zh + o, hh);
        v128.store(y + o, f32x4.add(f32x4.mul(zz, v128.load(hm + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), zz), hh)));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const hh = actv(f32x4.add(ld1(zh + o), ld1(rec + o)), act);
        const zz = ld1(z + o);
        st1(zh + o, hh);
        st1(y + o, f32x4.add(f32x4.mul(zz, ld1(hm + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), zz), hh)));
      }
    }
  }
}

/** UT [G, H] = Uᵀ (rows 0..2H-1: [U_z U_r]ᵀ, rows 2H..3H-1: U_hᵀ). DH [B, H], S1 [B, H] scratch. */
export function gru_backward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, UT: usize, WT: usize, MASK: usize,
  Z: usize, HP: usize, RH: usize,
  dY: usize, dHT: usize,
  dX: usize, dH0: usize,
  DH: usize, S1: usize,
  act: i32, ract: i32, backwards: i32,
  dW: usize, dU: usize, db: usize,
): void {
  const G = 3 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  const dh = DH + <usize>(b0 * H) * 4;
  const s1 = S1 + <usize>(b0 * H) * 4;
  startGradient(dh, dHT, b0, rows, H);
  const one = f32x4.splat(1);
  for (let p = T - 1; p >= 0; p--) {
    const tx = backwards ? T - 1 - p : p;
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    const hp = HP + <usize>(b0 * TH + tx * H) * 4;
    // dh (total) → dz, d(a_h); dh_m starts as dh ∘ z (kept in dh).
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const zh = z + <usize>(2 * H) * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const dy = dY + <usize>(b * TH + p * H) * 4;
      const dhr = dh + <usize>(r * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const zz = v128.load(z + o), hh = v128.load(zh + o);
        const dhv = f32x4.add(v128.load(dhr + o), v128.load(dy + o));
        const dz = f32x4.mul(dhv, f32x4.sub(v128.load(hm + o), hh));
        v128.store(z + o, f32x4.mul(dz, dactv(zz, ract)));
        v128.store(zh + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, zz)), dactv(hh, act)));
        v128.store(dhr + o, f32x4.mul(dhv, zz));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const zz = ld1(z + o), hh = ld1(zh + o);
        const dhv = f32x4.add(ld1(dhr + o), ld1(dy + o));
        const dz = f32x4.mul(dhv, f32x4.sub(ld1(hm + o), hh));
        st1(z + o, f32x4.mul(dz, dactv(zz, ract)));
        st1(zh + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, zz)), dactv(hh, act)));
        st1(dhr + o, f32x4.mul(dhv, zz));
      }
    }
    // d(r∘h_m) = d(a_h) · U_hᵀ
    memory.fill(s1, 0, <usize>(rows * H) * 4);
    gemm(rows, H, H, zt + <usize>(2 * H) * 4, TG, 1, UT + <usize>(2 * H * H) * 4, H, s1, H);
    for (let r = 0; r < rows; r++) {
      const z = zt + <usize>(r * TG) * 4;
      const zr = z + <usize>H * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const drh = s1 + <usize>(r * H) * 4;
      const dhr = dh + <usize>(r * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const rr = v128.load(zr + o);
        const d = v128.load(drh + o);
        v128.store(zr + o, f32x4.mul(f32x4.mul(d, v128.load(hm + o)), dactv(rr, ract)));
        v128.store(dhr + o, f32x4.add(v128.load(dhr + o), f32x4.mul(d, rr)));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const rr = ld1(zr + o);
        const d = ld1(drh + o);
        st1(zr + o, f32x4.mul(f32x4.mul(d, ld1(hm + o)), dactv(rr, ract)));
        st1(dhr + o, f32x4.add(ld1(dhr + o), f32x4.mul(d, rr)));
      }
    }
    // dh_m += [d(a_z) d(a_r)] · [U_z U_r]ᵀ; dh_prev = dh_m ∘ mask
    gemm(rows, H, 2 * H, zt, TG, 1, UT, H, dh, H);
    if (MASK) mulInto(dh, dh, MASK + <usize>(b0 * H) * 4, rows * H);
  }
  memory.copy(dH0 + <usize>(b0 * H) * 4, dh, <usize>(rows * H) * 4);
  const n = rows * T;
  const zr0 = Z + <usize>(b0 * TG) * 4;
  inputGradients(X + <usize>(b0 * T * I) * 4, zr0, WT, dX + <usize>(b0 * T * I) * 4, dW, db, n, I, G);
  gemm(H, 2 * H, n, HP + <usize>(b0 * TH) * 4, 1, H, zr0, G, dU, G);
  gemm(H, H, n, RH + <usize>(b0 * TH) * 4, 1, H, zr0 + <usize>(2 * H) * 4, G, dU + <usize>(2 * H) * 4, G);
}

// ---------------------------------------------------------------------------------------------------
// GRU with reset_after (Keras 2 default; lstmc's GRUResetAfter), gate order z, r, h, bias [2, G] (input row,
// recurrent row): x̂ = x·W + b_in, î = h_m·U + b_rec (one GEMM for all three gates),
// z = σ(x̂_z + î_z), r = σ(x̂_r + î_r), hh = act(x̂_h + r∘î_h), h = z∘h_m + (1 − z)∘hh.
// RH [B, T, H] keeps î_h (input time order) for the backward pass, which overwrites it with dî_h.
// S3 [B, G]: scratch.

export function gru2_forward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, W: usize, U: usize, bias: usize, H0: usize, MASK: usize,
  Z: usize, HP: usize, RH: usize, Y: usize, S3: usize,
  act: i32, ract: i32, backwards: i32,
): void {
  const G = 3 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  const bRec: usize = bias ? bias + <usize>G * 4 : 0;
  inputProjection(X + <usize>(b0 * T * I) * 4, W, bias, Z + <usize>(b0 * TG) * 4, rows * T, I, G);
  const s3 = S3 + <usize>(b0 * G) * 4;
  const one = f32x4.splat(1);
  for (let p = 0; p < T; p++) {
    const tx = backwards ? T - 1 - p : p;
    const hp = previousOutputs(HP, H0, Y, MASK, b0, rows, T, H, p, tx);
    // î = b_rec + h_m · U
    fillRows(s3, rows, G, G, bRec);
    gemm(rows, G, H, hp, TH, 1, U, G, s3, G);
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    const rh = RH + <usize>(b0 * TH + tx * H) * 4;
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const zr = z + <usize>H * 4;
      const zh = z + <usize>(2 * H) * 4;
      const inner = s3 + <usize>(r * G) * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const rhr = rh + <usize>(r * TH) * 4;
      const y = Y + <usize>(b * TH + p * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const zz = actv(f32x4.add(v128.load(z + o), v128.load(inner + o)), ract);
        const rr = actv(f32x4.add(v128.load(zr + o), v128.load(inner + <usize>H * 4 + o)), ract);
        const ih = v128.load(inner + <usize>(2 * H) * 4 + o);
        const hh = actv(f32x4.add(v128.load(zh + o), f32x4.mul(rr, ih)), act);
        v128.store(z + o, zz);
        v128.store(zr + o, rr);
        v128.store(zh + o, hh);
        v128.store(rhr + o, ih);
        v128.store(y + o, f32x4.add(f32x4.mul(zz, v128.load(hm + o)), f32x4.mul(f32x4.sub(one, zz), hh)));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const zz = actv(f32x4.add(ld1(z + o), ld1(inner + o)), ract);
        const rr = actv(f32x4.add(ld1(zr + o), ld1(inner + <usize>H * 4 + o)), ract);
        const ih = ld1(inner + <usize>(2 * H) * 4 + o);
        const hh = actv(f32x4.add(ld1(zh + o), f32x4.mul(rr, ih)), act);
        st1(z + o, zz);
        st1(zr + o, rr);
        st1(zh + o, hh);
        st1(rhr + o, ih);
        st1(y + o, f32x4.add(f32x4.mul(zz, ld1(hm + o)), f32x4.mul(f32x4.sub(one, zz), hh)));
      }
    }
  }
}

/**
 * UT [G, H] = Uᵀ. DH [B, H] scratch. After the steps Z holds dx̂ = [dz, dr, dh] (pre-activation gradients) and
 * RH holds dî_h = dx̂_h ∘ r; dî = [dz, dr, dî_h]. dW = Xᵀ·dx̂, dU = HPᵀ·dî, db = [Σ dx̂; Σ dî] ([2, G]).
 */
export function gru2_backward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, UT: usize, WT: usize, MASK: usize,
  Z: usize, HP: usize, RH: usize,
  dY: usize, dHT: usize,
  dX: usize, dH0: usize,
  DH: usize,
  act: i32, ract: i32, backwards: i32,
  dW: usize, dU: usize, db: usize,
): void {
  const G = 3 * H;
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TG = T * G;
  const TH = T * H;
  const dh = DH + <usize>(b0 * H) * 4;
  startGradient(dh, dHT, b0, rows, H);
  const one = f32x4.splat(1);
  for (let p = T - 1; p >= 0; p--) {
    const tx = backwards ? T - 1 - p : p;
    const zt = Z + <usize>(b0 * TG + tx * G) * 4;
    const hp = HP + <usize>(b0 * TH + tx * H) * 4;
    const rh = RH + <usize>(b0 * TH + tx * H) * 4;
    for (let r = 0; r < rows; r++) {
      const b = b0 + r;
      const z = zt + <usize>(r * TG) * 4;
      const zr = z + <usize>H * 4;
      const zh = z + <usize>(2 * H) * 4;
      const hm = hp + <usize>(r * TH) * 4;
      const rhr = rh + <usize>(r * TH) * 4;
      const dy = dY + <usize>(b * TH + p * H) * 4;
      const dhr = dh + <usize>(r * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const zz = v128.load(z + o), rr = v128.load(zr + o), hh = v128.load(zh + o), ih = v128.load(rhr + o);
        const dhv = f32x4.add(v128.load(dhr + o), v128.load(dy + o));
        const dah = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, zz)), dactv(hh, act));
        v128.store(z + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(v128.load(hm + o), hh)), dactv(zz, ract)));
        v128.store(zr + o, f32x4.mul(f32x4.mul(dah, ih), dactv(rr, ract)));
        v128.store(zh + o, dah);
        v128.store(rhr + o, f32x4.mul(dah, rr));
        v128.store(dhr + o, f32x4.mul(dhv, zz));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        const zz = ld1(z + o), rr = ld1(zr + o), hh = ld1(zh + o), ih = ld1(rhr + o);
        const dhv = f32x4.add(ld1(dhr + o), ld1(dy + o));
        const dah = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, zz)), dactv(hh, act));
        st1(z + o, f32x4.mul(f32x4.mul(dhv, f32x4.sub(ld1(hm + o), hh)), dactv(zz, ract)));
        st1(zr + o, f32x4.mul(f32x4.mul(dah, ih), dactv(rr, ract)));
        st1(zh + o, dah);
        st1(rhr + o, f32x4.mul(dah, rr));
        st1(dhr + o, f32x4.mul(dhv, zz));
      }
    }
    // dh_m += [dz dr] · [U_z U_r]ᵀ + dî_h · U_hᵀ; dh_prev = dh_m ∘ mask
    gemm(rows, H, 2 * H, zt, TG, 1, UT, H, dh, H);
    gemm(rows, H, H, rh, TH, 1, UT + <usize>(2 * H * H) * 4, H, dh, H);
    if (MASK) mulInto(dh, dh, MASK + <usize>(b0 * H) * 4, rows * H);
  }
  memory.copy(dH0 + <usize>(b0 * H) * 4, dh, <usize>(rows * H) * 4);
  const n = rows * T;
  const zr0 = Z + <usize>(b0 * TG) * 4;
  const rh0 = RH + <usize>(b0 * TH) * 4;
  inputGradients(X + <usize>(b0 * T * I) * 4, zr0, WT, dX + <usize>(b0 * T * I) * 4, dW, db, n, I, G);
  const hp0 = HP + <usize>(b0 * TH) * 4;
  gemm(H, 2 * H, n, hp0, 1, H, zr0, G, dU, G);
  gemm(H, H, n, hp0, 1, H, rh0, H, dU + <usize>(2 * H) * 4, G);
  if (db) {
    const dbRec = db + <usize>G * 4;
    colSums(zr0, n, 2 * H, G, dbRec);
    colSums(rh0, n, H, H, dbRec + <usize>(2 * H) * 4);
  }
}

// ---------------------------------------------------------------------------------------------------
// SimpleRNN: h = act(x·W + h_m·U + b).

export function rnn_forward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, W: usize, U: usize, bias: usize, H0: usize, MASK: usize,
  Z: usize, HP: usize, Y: usize,
  act: i32, backwards: i32,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TH = T * H;
  inputProjection(X + <usize>(b0 * T * I) * 4, W, bias, Z + <usize>(b0 * TH) * 4, rows * T, I, H);
  for (let p = 0; p < T; p++) {
    const tx = backwards ? T - 1 - p : p;
    const hp = previousOutputs(HP, H0, Y, MASK, b0, rows, T, H, p, tx);
    const zt = Z + <usize>(b0 * TH + tx * H) * 4;
    gemm(rows, H, H, hp, TH, 1, U, H, zt, TH);
    for (let r = 0; r < rows; r++) {
      const z = zt + <usize>(r * TH) * 4;
      actInPlace(z, H, act);
      copyInto(Y + <usize>((b0 + r) * TH + p * H) * 4, z, H);
    }
  }
}

export function rnn_backward(
  b0: i32, b1: i32, T: i32, I: i32, H: i32,
  X: usize, UT: usize, WT: usize, MASK: usize,
  Z: usize, HP: usize,
  dY: usize, dHT: usize,
  dX: usize, dH0: usize,
  DH: usize,
  act: i32, backwards: i32,
  dW: usize, dU: usize, db: usize,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const TH = T * H;
  const dh = DH + <usize>(b0 * H) * 4;
  startGradient(dh, dHT, b0, rows, H);
  for (let p = T - 1; p >= 0; p--) {
    const tx = backwards ? T - 1 - p : p;
    const zt = Z + <usize>(b0 * TH + tx * H) * 4;
    for (let r = 0; r < rows; r++) {
      const z = zt + <usize>(r * TH) * 4;
      const dy = dY + <usize>((b0 + r) * TH + p * H) * 4;
      const dhr = dh + <usize>(r * H) * 4;
      let j = 0;
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        v128.store(z + o, f32x4.mul(f32x4.add(v128.load(dhr + o), v128.load(dy + o)), dactv(v128.load(z + o), act)));
      }
      for (; j < H; j++) {
        const o = <usize>j * 4;
        st1(z + o, f32x4.mul(f32x4.add(ld1(dhr + o), ld1(dy + o)), dactv(ld1(z + o), act)));
      }
    }
    memory.fill(dh, 0, <usize>(rows * H) * 4);
    gemm(rows, H, H, zt, TH, 1, UT, H, dh, H);
    if (MASK) mulInto(dh, dh, MASK + <usize>(b0 * H) * 4, rows * H);
  }
  memory.copy(dH0 + <usize>(b0 * H) * 4, dh, <usize>(rows * H) * 4);
  const n = rows * T;
  inputGradients(X + <usize>(b0 * T * I) * 4, Z + <usize>(b0 * TH) * 4, WT, dX + <usize>(b0 * T * I) * 4, dW, db, n, I, H);
  gemm(H, H, n, HP + <usize>(b0 * TH) * 4, 1, H, Z + <usize>(b0 * TH) * 4, H, dU, H);
}

// ---------------------------------------------------------------------------------------------------
// Helpers the JavaScript side uses.

/** dst [N, M] = srcᵀ for src [M, N]. */
export function transpose(src: usize, M: i32, N: i32, dst: usize): void {
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) store<f32>(dst + <usize>(n * M + m) * 4, load<f32>(src + <usize>(m * N + n) * 4));
}

/** dst[i] += src[i], n floats (adds the threads' weight-gradient partials). */
export function add_into(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}
