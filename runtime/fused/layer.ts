/**
 * Wires the fused kernels into tfjs: a recurrent layer's `call` runs the whole sequence in one kernel call
 * inside `tf.customGrad`, whose gradient function runs the whole backward pass. Everything around it —
 * model.fit, optimizers, clipping, checkpoints, the NaN guard, saving — is tfjs's own and unchanged; the
 * layers stay plain LSTM / GRU / SimpleRNN (model.json loads in stock tfjs), or lstmc's GRUResetAfter.
 *
 * What a kernel does not cover falls back to the layer's own call: masks, stateful layers, activations
 * without a kernel, several input tensors, non-float inputs.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ACTIVATION_CODES,
  CELL_KERNELS,
  recurrentBackward,
  recurrentForward,
  type CellKernel,
  type CellOptions,
  type Dims,
} from './kernels.js';
import { fusedEngine, fusedUnavailableReason } from './wasm.js';

interface Named {
  getClassName(): string;
}
interface VariableLike {
  read(): tf.Tensor;
}
interface CellLike extends Named {
  units: number;
  activation: Named;
  recurrentActivation?: Named;
  useBias: boolean;
  kernel: VariableLike;
  recurrentKernel: VariableLike;
  bias: VariableLike | null;
  dropout: number;
  recurrentDropout: number;
  dropoutFunc?: (x: tf.Tensor, rate: number) => tf.Tensor;
}
interface RecurrentLayer {
  name: string;
  cell: CellLike;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
  dtype?: string;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

const ORIGINAL = Symbol.for('lstmc.fused.originalCall');
type Patched = RecurrentLayer & { [ORIGINAL]?: RecurrentLayer['call'] };

export interface FuseReport {
  /** Recurrent layers that run on the fused kernels (a bidirectional layer's directions as `name/forward`). */
  fused: string[];
  /** Recurrent layers that keep tfjs's own implementation, and why. */
  skipped: { layer: string; reason: string }[];
}

function isRecurrent(l: unknown): l is RecurrentLayer {
  const cell = (l as { cell?: unknown }).cell;
  return cell != null && typeof (cell as Named).getClassName === 'function';
}

/** Why `layer` cannot run fused, or undefined. */
export function fusedUnsupportedReason(layer: RecurrentLayer): string | undefined {
  const why = fusedUnavailableReason();
  if (why) return why;
  const cellName = layer.cell.getClassName();
  const kernel = CELL_KERNELS[cellName];
  if (!kernel) return `no fused kernel for ${cellName}`;
  if (layer.stateful) return 'stateful layers keep tfjs’s implementation';
  if (layer.dtype && layer.dtype !== 'float32') return `dtype ${layer.dtype}`;
  const act = layer.cell.activation.getClassName();
  if (!(act in ACTIVATION_CODES)) return `activation ${act} has no fused kernel`;
  if (kernel.recurrentActivation) {
    const ract = layer.cell.recurrentActivation?.getClassName() ?? 'linear';
    if (!(ract in ACTIVATION_CODES)) return `recurrentActivation ${ract} has no fused kernel`;
  }
  return undefined;
}

/** Every recurrent layer of a model, wrappers' inner layers included, with a display name. */
function recurrentLayers(model: { layers: unknown[] }): { name: string; layer: RecurrentLayer }[] {
  const out: { name: string; layer: RecurrentLayer }[] = [];
  const visit = (l: unknown): void => {
    if (isRecurrent(l)) out.push({ name: l.name, layer: l });
    const w = l as { name: string; forwardLayer?: unknown; backwardLayer?: unknown; layers?: unknown[] };
    if (w.forwardLayer && isRecurrent(w.forwardLayer)) out.push({ name: `${w.name}/forward`, layer: w.forwardLayer });
    if (w.backwardLayer && isRecurrent(w.backwardLayer))
      out.push({ name: `${w.name}/backward`, layer: w.backwardLayer });
    if (Array.isArray(w.layers) && l !== model) w.layers.forEach(visit);
  };
  model.layers.forEach(visit);
  return out;
}

/**
 * Makes every recurrent layer of `model` that a kernel covers run on the fused kernels. Idempotent;
 * returns which layers run fused and why others do not.
 */
export function fuseRecurrentLayers(model: { layers: unknown[] }): FuseReport {
  const report: FuseReport = { fused: [], skipped: [] };
  for (const { name, layer } of recurrentLayers(model)) {
    const why = fusedUnsupportedReason(layer);
    if (why) {
      report.skipped.push({ layer: name, reason: why });
      continue;
    }
    const p = layer as Patched;
    if (!p[ORIGINAL]) {
      const original = layer.call.bind(layer);
      p[ORIGINAL] = original;
      const kernel = CELL_KERNELS[layer.cell.getClassName()]!;
      layer.call = (inputs, kwargs) => fusedCall(layer, kernel, original, inputs, kwargs);
    }
    report.fused.push(name);
  }
  return report;
}

/** Restores tfjs's own implementation on every layer `fuseRecurrentLayers` changed. */
export function unfuseRecurrentLayers(model: { layers: unknown[] }): void {
  for (const { layer } of recurrentLayers(model)) {
    const p = layer as Patched;
    if (p[ORIGINAL]) {
      delete (layer as { call?: unknown }).call;
      delete p[ORIGINAL];
    }
  }
}

/** One line for --verbose. */
export function describeFusion(r: FuseReport): string {
  const parts: string[] = [];
  if (r.fused.length) parts.push(`fused kernels: ${r.fused.join(', ')}`);
  if (r.skipped.length) parts.push(`tfjs layers: ${r.skipped.map((s) => `${s.layer} (${s.reason})`).join(', ')}`);
  return parts.join('; ');
}

function fusedCall(
  layer: RecurrentLayer,
  kernel: CellKernel,
  original: RecurrentLayer['call'],
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown> | undefined,
): tf.Tensor | tf.Tensor[] {
  if (kwargs?.mask != null || !fusedEngine()) return original(inputs, kwargs ?? {});
  if (Array.isArray(inputs) && inputs.length !== 1) return original(inputs, kwargs ?? {});
  const x = Array.isArray(inputs) ? inputs[0]! : inputs;
  if (x.rank !== 3 || x.dtype !== 'float32') return original(inputs, kwargs ?? {});
  return tf.tidy(() => run(layer, kernel, x, kwargs ?? {}));
}

function run(
  layer: RecurrentLayer,
  kernel: CellKernel,
  x: tf.Tensor,
  kwargs: Record<string, unknown>,
): tf.Tensor | tf.Tensor[] {
  const cell = layer.cell;
  const [B, T, I] = x.shape as [number, number, number];
  const H = cell.units;
  const d: Dims = { B, T, I, H };
  const training = kwargs.training == null ? false : Boolean(kwargs.training);
  const given = kwargs.initialState as tf.Tensor[] | null | undefined;
  const states = given ?? Array.from({ length: kernel.states }, () => tf.zeros([B, H]));
  if (states.length !== kernel.states)
    throw new Error(`${layer.name}: expects ${kernel.states} initial state(s), got ${states.length}`);
  // Dropout masks as tfjs's cells make them: one mask for the inputs and one for the previous output, fixed
  // over the time steps, drawn only in training. tfjs draws 4 (LSTM) / 3 (GRU) masks and uses the first;
  // drawing as many keeps a seeded run's random numbers, and so its masks, the same as unfused.
  const dropMask = (shape: number[], rate: number): tf.Tensor => {
    const masks = Array.from({ length: kernel.dropoutMasks }, () => {
      const ones = tf.ones(shape);
      return cell.dropoutFunc ? cell.dropoutFunc(ones, rate) : tf.dropout(ones, rate);
    });
    return masks[0]!;
  };
  let xm = x;
  if (training && 0 < cell.dropout && cell.dropout < 1)
    xm = tf.mul(x, tf.expandDims(dropMask([B, I], cell.dropout), 1));
  let mask: Float32Array | null = null;
  if (training && 0 < cell.recurrentDropout && cell.recurrentDropout < 1)
    mask = dropMask([B, H], cell.recurrentDropout).dataSync() as Float32Array;
  const opt: CellOptions = {
    act: ACTIVATION_CODES[cell.activation.getClassName()]!,
    ract: kernel.recurrentActivation ? ACTIVATION_CODES[cell.recurrentActivation?.getClassName() ?? 'linear']! : 0,
    backwards: layer.goBackwards,
  };
  const W = cell.kernel.read();
  const U = cell.recurrentKernel.read();
  const b = cell.useBias && cell.bias ? cell.bias.read() : null;
  const keep = (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
  const outLen = layer.returnSequences ? T * H : H;
  const packed = layer.returnState;
  const nStates = kernel.states;
  // With returnState, the op's one value packs each row as [output, last states...].
  const width = outLen + nStates * H;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, -1) as tf.Tensor[];
    const xs = ts[0]!.dataSync() as Float32Array;
    const s0 = ts.slice(1, 1 + nStates).map((t) => t.dataSync() as Float32Array);
    const w = ts[1 + nStates]!.dataSync() as Float32Array;
    const u = ts[2 + nStates]!.dataSync() as Float32Array;
    const bias = b ? (ts[3 + nStates]!.dataSync() as Float32Array) : null;
    const fwd = recurrentForward(
      kernel,
      d,
      opt,
      { x: xs, kernel: w, recurrentKernel: u, bias, states: s0, mask },
      keep,
    );
    const out = layer.returnSequences ? fwd.y : fwd.last[0]!;
    let value: tf.Tensor;
    if (!packed) value = layer.returnSequences ? tf.tensor3d(out, [B, T, H]) : tf.tensor2d(out, [B, H]);
    else {
      const data = new Float32Array(B * width);
      for (let r = 0; r < B; r++) {
        data.set(out.subarray(r * outLen, (r + 1) * outLen), r * width);
        fwd.last.forEach((s, i) => data.set(s.subarray(r * H, (r + 1) * H), r * width + outLen + i * H));
      }
      value = tf.tensor2d(data, [B, width]);
    }
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      if (!fwd.saved) throw new Error(`${layer.name}: the fused forward pass kept nothing for a gradient`);
      const g = dy.dataSync() as Float32Array;
      let dY: Float32Array | null = null;
      const dLast: (Float32Array | null)[] = Array.from({ length: nStates }, () => null);
      const addLast = (i: number, v: Float32Array): void => {
        const cur = dLast[i];
        if (!cur) dLast[i] = v;
        else for (let k = 0; k < v.length; k++) cur[k]! += v[k]!;
      };
      if (!packed) {
        if (layer.returnSequences) dY = g;
        else addLast(0, g.slice());
      } else {
        const outG = new Float32Array(B * outLen);
        const stG = Array.from({ length: nStates }, () => new Float32Array(B * H));
        for (let r = 0; r < B; r++) {
          outG.set(g.subarray(r * width, r * width + outLen), r * outLen);
          stG.forEach((s, i) => s.set(g.subarray(r * width + outLen + i * H, r * width + outLen + (i + 1) * H), r * H));
        }
        if (layer.returnSequences) dY = outG;
        else addLast(0, outG);
        stG.forEach((s, i) => addLast(i, s));
      }
      const grads = recurrentBackward(
        kernel,
        d,
        opt,
        { kernel: w, recurrentKernel: u, hasBias: b != null, dy: dY, dLast },
        fwd.saved,
      );
      const out: tf.Tensor[] = [
        tf.tensor3d(grads.dx, [B, T, I]),
        ...grads.dStates.map((s) => tf.tensor2d(s, [B, H])),
        tf.tensor2d(grads.dKernel, [I, kernel.gates * H]),
        tf.tensor2d(grads.dRecurrentKernel, [H, kernel.gates * H]),
      ];
      // [G], or [2, G] for a reset-after GRU (input and recurrent bias rows)
      if (b) out.push(tf.tensor(grads.dBias!, b.shape));
      return out;
    };
    return { value, gradFunc };
  });
  const value = op(...[xm, ...states, W, U, ...(b ? [b] : [])]);
  if (!packed) return value;
  const outT = tf.slice(value, [0, 0], [B, outLen]);
  const output = layer.returnSequences ? tf.reshape(outT, [B, T, H]) : outT;
  const finals = Array.from({ length: nStates }, (_, i) => tf.slice(value, [0, outLen + i * H], [B, H]));
  return [output, ...finals];
}
