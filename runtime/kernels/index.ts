/**
 * Kernels the wasm backend lacks, registered for 'wasm' so every reference architecture trains there.
 *
 * - `Conv2DBackpropFilter` (conv training): a fast path built from wasm kernels (pad → strided slice per
 *   filter tap → one BatchMatMul per tap, as an im2col product), for NHWC without dilation; anything else
 *   is delegated to the cpu backend's implementation.
 * - `UnsortedSegmentSum` (embedding / gather training) and every other kernel the cpu backend has and wasm
 *   lacks: delegated — the inputs are read from the wasm heap, the cpu kernel runs on copies, the result is
 *   written back as a wasm tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

type AnyBackend = {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  disposeIntermediateTensorInfo?(t: TensorInfo): void;
};
type WasmBackend = AnyBackend & {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: unknown): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
};

/** Kernels we register on wasm; reported by `registeredGapKernels()`. */
const registered = new Set<string>();

function cpuBackend(): AnyBackend {
  const b = tf.engine().findBackend('cpu') as unknown as AnyBackend | null;
  if (!b) throw new Error('The cpu backend is not available to run a delegated kernel.');
  return b;
}

/** Runs the cpu backend's implementation of `kernelName` on copies of wasm tensors. */
function delegateToCpu(kernelName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as unknown as WasmBackend;
    const cpu = cpuBackend();
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpuKernel) throw new Error(`No cpu kernel ${kernelName} to delegate to.`);
    const cpuInputs: NamedTensorInfoMap = {};
    const made: TensorInfo[] = [];
    for (const [k, t] of Object.entries(inputs as NamedTensorInfoMap)) {
      if (!t) continue;
      const vals = wasm.readSync(t.dataId);
      // Copy: the wasm heap view may move when wasm memory grows.
      const copy = (vals as { slice: () => unknown }).slice();
      const ct = cpu.makeTensorInfo(t.shape, t.dtype, copy);
      made.push(ct);
      cpuInputs[k] = ct;
    }
    try {
      const res = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu as never, attrs: attrs as NamedAttrMap });
      const outs = Array.isArray(res) ? res : [res];
      const wasmOuts = outs.map((o) => {
        const vals = cpu.readSync(o.dataId);
        const out = wasm.makeOutput(o.shape, o.dtype, undefined, vals);
        cpu.disposeData(o.dataId, true);
        return out;
      });
      return Array.isArray(res) ? wasmOuts : wasmOuts[0]!;
    } finally {
      for (const t of made) cpu.disposeData(t.dataId, true);
    }
  };
}

/** Calls a wasm kernel directly (kernel composition inside a kernel, as the backends do). */
function runWasm(name: string, backend: WasmBackend, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} missing`);
  return k.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo;
}

/**
 * dW[kh, kw, ci, co] = Σ_{b, y, x} X[b, y·s + kh − pad, x·s + kw − pad, ci] · dY[b, y, x, co].
 * Per filter tap: a strided slice of the padded input [M, ci] times dY [M, co] (BatchMatMul, transposeA).
 */
function conv2DBackpropFilterWasm(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (a.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const wasm = backend as unknown as WasmBackend;
    const {
      batchSize: N,
      outHeight: OH,
      outWidth: OW,
      filterHeight: KH,
      filterWidth: KW,
      inChannels: CI,
      outChannels: CO,
      strideHeight: SH,
      strideWidth: SW,
    } = info;
    const { top, bottom, left, right } = info.padInfo;
    if (KH * KW * CI * CO <= 512) {
      // Few filter weights: a direct loop over the (zero-copy) heap views beats an im2col product whose
      // output is tiny. Accumulates in float64; skips zero inputs (sparse frames are common).
      const H = x.shape[1]!;
      const W = x.shape[2]!;
      const xv = wasm.typedArrayFromHeap(x) as Float32Array;
      const dyv = wasm.typedArrayFromHeap(dy) as Float32Array;
      const acc = new Float64Array(KH * KW * CI * CO);
      for (let b = 0; b < N; b++) {
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            const dyOff = ((b * OH + oy) * OW + ox) * CO;
            for (let kh = 0; kh < KH; kh++) {
              const iy = oy * SH + kh - top;
              if (iy < 0 || iy >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const ix = ox * SW + kw - left;
                if (ix < 0 || ix >= W) continue;
                const xOff = ((b * H + iy) * W + ix) * CI;
                const wOff = (kh * KW + kw) * CI * CO;
                for (let ci = 0; ci < CI; ci++) {
                  const xval = xv[xOff + ci]!;
                  if (xval === 0) continue;
                  const o = wOff + ci * CO;
                  for (let co = 0; co < CO; co++) acc[o + co]! += xval * dyv[dyOff + co]!;
                }
              }
            }
          }
        }
      }
      return wasm.makeOutput([KH, KW, CI, CO], 'float32', undefined, Float32Array.from(acc));
    }
    const temps: TensorInfo[] = [];
    try {
      let xp: TensorInfo = x;
      if (top > 0 || bottom > 0 || left > 0 || right > 0) {
        // 'same' may need more padding on one side than the input provides rows for: pad what the taps read.
        const needH = (OH - 1) * SH + KH;
        const needW = (OW - 1) * SW + KW;
        const padBottom = Math.max(0, needH - x.shape[1]! - top);
        const padRight = Math.max(0, needW - x.shape[2]! - left);
        xp = runWasm('PadV2', wasm, { x }, {
          paddings: [
            [0, 0],
            [top, padBottom],
            [left, padRight],
            [0, 0],
          ],
          constantValue: 0,
        } as unknown as NamedAttrMap);
        temps.push(xp);
      }
      const M = N * OH * OW;
      const dy3 = runWasm('Reshape', wasm, { x: dy }, { shape: [1, M, CO] });
      temps.push(dy3);
      const taps: TensorInfo[] = [];
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const sl = runWasm('StridedSlice', wasm, { x: xp }, {
            begin: [0, kh, kw, 0],
            end: [N, kh + (OH - 1) * SH + 1, kw + (OW - 1) * SW + 1, CI],
            strides: [1, SH, SW, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          } as unknown as NamedAttrMap);
          temps.push(sl);
          const s3 = runWasm('Reshape', wasm, { x: sl }, { shape: [1, M, CI] });
          temps.push(s3);
          const prod = runWasm('BatchMatMul', wasm, { a: s3, b: dy3 }, { transposeA: true, transposeB: false });
          taps.push(prod);
          temps.push(prod);
        }
      }
      const cat =
        taps.length === 1 ? taps[0]! : runWasm('Concat', wasm, taps as unknown as NamedTensorInfoMap, { axis: 0 });
      if (cat !== taps[0]) temps.push(cat);
      const out = runWasm('Reshape', wasm, { x: cat }, { shape: [KH, KW, CI, CO] });
      // Reshape shares the data id; copy out so disposing temps is safe.
      const outCopy = wasm.makeOutput([KH, KW, CI, CO], 'float32', undefined, wasm.typedArrayFromHeap(out).slice());
      temps.push(out);
      return outCopy;
    } finally {
      for (const t of temps) if (t !== x) wasm.disposeData(t.dataId);
    }
  };
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Copies the box `begin`/`size` of a row-major array into `out`, one contiguous run at a time (the wasm
 * backend's Slice falls back to an element-by-element copy above rank 4).
 */
function stridedCopy(
  x: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  // Merge trailing dims that are taken whole into one contiguous run.
  let k = rank - 1;
  let run = size[k]!;
  while (k > 0 && size[k] === shape[k] && begin[k] === 0) {
    k--;
    run *= size[k]!;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const idx = new Array<number>(k).fill(0);
  let o = 0;
  const total = sizeOf(size.slice(0, k));
  for (let n = 0; n < total; n++) {
    let off = begin[k]! * strides[k]!;
    for (let d = 0; d < k; d++) off += (begin[d]! + idx[d]!) * strides[d]!;
    out.set(x.subarray(off, off + run), o);
    o += run;
    for (let d = k - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
}

type KernelConfigLike = {
  kernelName: string;
  backendName: string;
  kernelFunc: KernelFunc;
  setupFunc?: unknown;
  disposeFunc?: unknown;
};

/** Replaces a built-in wasm kernel, keeping its setup (wasm function binding) for the fallback path. */
function overrideWasmKernel(name: string, make: (original: KernelFunc) => KernelFunc): void {
  if (registered.has(`${name}*`)) return;
  const orig = tf.getKernel(name, 'wasm') as KernelConfigLike | undefined;
  if (!orig) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...(orig as object),
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: make(orig.kernelFunc),
  } as tf.KernelConfig);
  registered.add(`${name}*`);
}

/** Unpack (unstack) along any axis by contiguous block copies; the gradient of stack(axis 1) in RNNs. */
function fastUnpack(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const value = (inputs as { value: TensorInfo }).value;
    const wasm = backend as unknown as WasmBackend;
    let axis = (attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += value.shape.length;
    if (axis === 0 || value.dtype === 'string') return original(args);
    const shape = value.shape;
    const n = shape[axis]!;
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const outShape = shape.filter((_, i) => i !== axis);
    const outs: TensorInfo[] = [];
    for (let i = 0; i < n; i++) outs.push(wasm.makeOutput(outShape, value.dtype));
    // Views after all allocations (an allocation may grow and move the heap).
    const x = wasm.typedArrayFromHeap(value);
    for (let i = 0; i < n; i++) {
      const o = wasm.typedArrayFromHeap(outs[i]!);
      for (let b = 0; b < outer; b++) {
        const off = (b * n + i) * inner;
        o.set(x.subarray(off, off + inner), b * inner);
      }
    }
    return outs;
  };
}

/** Slice above rank 4 by contiguous runs (wasm copies those element by element). */
function fastSlice(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = (inputs as { x: TensorInfo }).x;
    if (x.shape.length <= 4 || x.dtype === 'string') return original(args);
    const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, a.begin, a.size);
    const wasm = backend as unknown as WasmBackend;
    const out = wasm.makeOutput(size, x.dtype);
    stridedCopy(wasm.typedArrayFromHeap(x), x.shape, begin, size, wasm.typedArrayFromHeap(out));
    return out;
  };
}

/** Transpose that keeps trailing axes in place (e.g. [B, T, H, W, C] → [T, B, H, W, C]): block copies. */
function fastTranspose(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = (inputs as { x: TensorInfo }).x;
    const perm = (attrs as unknown as { perm: number[] }).perm;
    const rank = x.shape.length;
    let k = rank;
    while (k > 0 && perm[k - 1] === k - 1) k--;
    const inner = sizeOf(x.shape.slice(k));
    if (x.dtype === 'string' || k === 0 || inner < 8 || rank < 3) return original(args);
    const wasm = backend as unknown as WasmBackend;
    const outShape = perm.map((p) => x.shape[p]!);
    const out = wasm.makeOutput(outShape, x.dtype);
    const xv = wasm.typedArrayFromHeap(x);
    const ov = wasm.typedArrayFromHeap(out);
    // Strides (in blocks) of the outer k axes of x, in output order.
    const xStrides = new Array<number>(k);
    xStrides[k - 1] = 1;
    for (let i = k - 2; i >= 0; i--) xStrides[i] = xStrides[i + 1]! * x.shape[i + 1]!;
    const permStrides = perm.slice(0, k).map((p) => xStrides[p]!);
    const oShape = outShape.slice(0, k);
    const idx = new Array<number>(k).fill(0);
    const total = sizeOf(oShape);
    for (let n = 0; n < total; n++) {
      let src = 0;
      for (let d = 0; d < k; d++) src += idx[d]! * permStrides[d]!;
      ov.set(xv.subarray(src * inner, src * inner + inner), n * inner);
      for (let d = k - 1; d >= 0; d--) {
        if (++idx[d]! < oShape[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  };
}

/**
 * Registers, for the wasm backend, every kernel the cpu backend has and wasm lacks (idempotent), and
 * faster versions of wasm's Unpack (non-zero axis), Slice (rank > 4) and Transpose (trailing axes kept),
 * which dominate TimeDistributed / RNN training on 5-D inputs (e.g. CNN LSTM frames).
 * Returns the names registered by this call and earlier ones.
 */
export function registerWasmGapKernels(): string[] {
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend('cpu')) {
    const name = k.kernelName;
    if (have.has(name) || registered.has(name)) continue;
    if (['Draw', 'StaticRegexReplace'].includes(name)) continue; // browser / string-only
    const delegated = delegateToCpu(name);
    const kernelFunc = name === 'Conv2DBackpropFilter' ? conv2DBackpropFilterWasm(delegated) : delegated;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
    registered.add(name);
  }
  overrideWasmKernel('Unpack', fastUnpack);
  overrideWasmKernel('Slice', fastSlice);
  overrideWasmKernel('Transpose', fastTranspose);
  return [...registered].sort();
}

export function registeredGapKernels(): string[] {
  return [...registered].sort();
}
