/**
 * The fused recurrent kernels on plain arrays: one call runs every time step of a layer forward (keeping
 * what the backward pass needs), one call runs the whole backward pass through time. tfjs-free, so the
 * maths can be tested on its own; runtime/fused/layer.ts wires them into tfjs layers.
 *
 * Buffers live in the engine's shared WebAssembly memory (its allocator): inputs are copied in and results
 * copied out; what a backward pass needs stays there between the two calls (`Saved`).
 */
import { fusedEngine, type FusedEngine, type KernelName } from './wasm.js';

/** Activation codes the kernels understand (wasm/assembly/recurrent.ts). */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  hardSigmoid: 3,
  relu: 4,
};

/** What a kind of recurrent cell needs from the kernels. */
export interface CellKernel {
  /** Gate blocks in the kernels' last dimension (4 LSTM: i f c o; 3 GRU: z r h; 1 SimpleRNN). */
  gates: number;
  /** States the cell carries (2 for LSTM: h, c). */
  states: number;
  forward: KernelName;
  backward: KernelName;
  /** Whether the cell has a recurrent activation. */
  recurrentActivation: boolean;
  /** Dropout masks tfjs's cell draws per call (it uses the first): drawing as many keeps seeded runs equal. */
  dropoutMasks: number;
  /** [B, T, H] buffers the backward pass reads besides gates and previous outputs (LSTM: C, TC; GRU: RH). */
  extraSaved: number;
  /** Rows of the bias (GRU resetAfter: 2, input and recurrent bias [2, G]); 1 when absent. */
  biasRows?: number;
}

/** Kernels by tfjs cell class. */
export const CELL_KERNELS: Readonly<Record<string, CellKernel>> = {
  LSTMCell: {
    gates: 4,
    states: 2,
    forward: 'lstm_forward',
    backward: 'lstm_backward',
    recurrentActivation: true,
    dropoutMasks: 4,
    extraSaved: 2,
  },
  GRUCell: {
    gates: 3,
    states: 1,
    forward: 'gru_forward',
    backward: 'gru_backward',
    recurrentActivation: true,
    dropoutMasks: 3,
    extraSaved: 1,
  },
  // lstmc's reset-after GRU (runtime/layers/gru.ts): one recurrent GEMM for all gates, bias [2, G]
  GRUResetAfterCell: {
    gates: 3,
    states: 1,
    forward: 'gru2_forward',
    backward: 'gru2_backward',
    recurrentActivation: true,
    dropoutMasks: 3,
    extraSaved: 1,
    biasRows: 2,
  },
  SimpleRNNCell: {
    gates: 1,
    states: 1,
    forward: 'rnn_forward',
    backward: 'rnn_backward',
    recurrentActivation: false,
    dropoutMasks: 1,
    extraSaved: 0,
  },
};

export interface Dims {
  /** Batch, time steps, input features, units. */
  B: number;
  T: number;
  I: number;
  H: number;
}

export interface CellOptions {
  act: number;
  ract: number;
  backwards: boolean;
}

export interface ForwardInput {
  /** [B, T, I], already multiplied by the input dropout mask. */
  x: Float32Array;
  /** [I, G], [H, G], [G] ([2, G] with biasRows 2) or null. */
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
  /** Initial states, [B, H] each (h, then c for LSTM). */
  states: Float32Array[];
  /** Recurrent dropout mask [B, H], or null. */
  mask: Float32Array | null;
}

/**
 * What the backward pass needs from the forward pass: blocks of the engine's memory (inputs, gates,
 * states) kept where the forward kernel wrote them. The backward pass frees them; a forward pass whose
 * gradient is never taken frees them when its Saved object is collected.
 */
export interface Saved {
  readonly blocks: Record<string, number>;
  freed: boolean;
}

const unreleased = new FinalizationRegistry<{ blocks: number[] }>((held) => {
  const eng = fusedEngine();
  if (eng) for (const at of held.blocks) eng.free(at);
});

export interface ForwardOutput {
  /** Outputs [B, T, H] in processing order. */
  y: Float32Array;
  /** Last states [B, H] each (h, then c). */
  last: Float32Array[];
  saved: Saved | undefined;
}

export interface Gradients {
  dx: Float32Array;
  dStates: Float32Array[];
  dKernel: Float32Array;
  dRecurrentKernel: Float32Array;
  dBias: Float32Array | null;
}

function put(mem: Float32Array, at: number, data: Float32Array): void {
  mem.set(data, at / 4);
}
function get(mem: Float32Array, at: number, floats: number): Float32Array {
  return mem.slice(at / 4, at / 4 + floats);
}
function zero(mem: Float32Array, at: number, floats: number): void {
  mem.fill(0, at / 4, at / 4 + floats);
}

/** Blocks of one call, by name; `release` frees all but the kept ones. */
class Blocks {
  readonly at: Record<string, number> = {};
  constructor(private readonly eng: FusedEngine) {}
  take(name: string, floats: number): number {
    return (this.at[name] = this.eng.alloc(floats));
  }
  release(keep: readonly string[] = []): void {
    for (const [name, at] of Object.entries(this.at)) if (!keep.includes(name)) this.eng.free(at);
  }
}

/** Buffers the backward pass reads, per cell: LSTM also C (cell states) and TC (activated cell states); GRU RH. */
const SAVED = ['X', 'S0', 'S1', 'MASK', 'Z', 'HP', 'E0', 'E1'] as const;

/** Runs the forward kernel. `keep`: keep what the backward pass needs. */
export function recurrentForward(
  cell: CellKernel,
  d: Dims,
  opt: CellOptions,
  input: ForwardInput,
  keep: boolean,
): ForwardOutput {
  const eng = requireEngine();
  const { B, T, I, H } = d;
  const G = cell.gates * H;
  const k = new Blocks(eng);
  const X = k.take('X', B * T * I);
  const W = k.take('W', I * G);
  const U = k.take('U', H * G);
  const biasLen = G * (cell.biasRows ?? 1);
  const bias = input.bias ? k.take('bias', biasLen) : 0;
  const S0 = input.states.map((_, i) => k.take(`S${i}`, B * H));
  const MASK = input.mask ? k.take('MASK', B * H) : 0;
  const Z = k.take('Z', B * T * G);
  const HP = k.take('HP', B * T * H);
  const Y = k.take('Y', B * T * H);
  const extra = Array.from({ length: cell.extraSaved }, (_, i) => k.take(`E${i}`, B * T * H));
  const scratch =
    cell === CELL_KERNELS.GRUCell
      ? [k.take('s0', B * 2 * H), k.take('s1', B * H)]
      : cell === CELL_KERNELS.GRUResetAfterCell
        ? [k.take('s0', B * G)]
        : [];
  try {
    const mem = eng.f32();
    put(mem, X, input.x);
    put(mem, W, input.kernel);
    put(mem, U, input.recurrentKernel);
    if (input.bias) put(mem, bias, input.bias);
    input.states.forEach((s, i) => put(mem, S0[i]!, s));
    if (input.mask) put(mem, MASK, input.mask);
    const back = opt.backwards ? 1 : 0;
    // Multiply-adds of the input projection and the recurrent products: what decides whether to split.
    const flops = 2 * B * T * G * (I + H);
    if (cell === CELL_KERNELS.LSTMCell) {
      eng.run(
        cell.forward,
        B,
        [T, I, H, X, W, U, bias, S0[0]!, S0[1]!, MASK, Z, HP, Y, extra[0]!, extra[1]!, opt.act, opt.ract, back],
        undefined,
        flops,
      );
    } else if (cell === CELL_KERNELS.GRUCell) {
      eng.run(
        cell.forward,
        B,
        [T, I, H, X, W, U, bias, S0[0]!, MASK, Z, HP, extra[0]!, Y, scratch[0]!, scratch[1]!, opt.act, opt.ract, back],
        undefined,
        flops,
      );
    } else if (cell === CELL_KERNELS.GRUResetAfterCell) {
      eng.run(
        cell.forward,
        B,
        [T, I, H, X, W, U, bias, S0[0]!, MASK, Z, HP, extra[0]!, Y, scratch[0]!, opt.act, opt.ract, back],
        undefined,
        flops,
      );
    } else {
      eng.run(cell.forward, B, [T, I, H, X, W, U, bias, S0[0]!, MASK, Z, HP, Y, opt.act, back], undefined, flops);
    }
    const view = eng.f32();
    const y = get(view, Y, B * T * H);
    const lastOf = (at: number): Float32Array => {
      const out = new Float32Array(B * H);
      const base = at / 4;
      for (let b = 0; b < B; b++) out.set(view.subarray(base + (b * T + T - 1) * H, base + (b * T + T) * H), b * H);
      return out;
    };
    const last = [lastOf(Y)];
    // LSTM: the cell states are the first extra buffer.
    if (cell.states === 2) last.push(lastOf(extra[0]!));
    let saved: Saved | undefined;
    if (keep) {
      const blocks: Record<string, number> = {};
      for (const name of SAVED) if (k.at[name] !== undefined) blocks[name] = k.at[name]!;
      saved = { blocks, freed: false };
      unreleased.register(saved, { blocks: Object.values(blocks) }, saved);
    }
    k.release(keep ? SAVED : []);
    return { y, last, saved };
  } catch (e) {
    k.release();
    throw e;
  }
}

export interface BackwardInput {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  hasBias: boolean;
  /** Gradient of the output sequence [B, T, H] (processing order), or null when only last states are used. */
  dy: Float32Array | null;
  /** Gradients of the last states [B, H] each, or null. */
  dLast: (Float32Array | null)[];
}

/** Runs the backward kernel over the saved forward pass (once: it frees what the forward pass kept). */
export function recurrentBackward(
  cell: CellKernel,
  d: Dims,
  opt: CellOptions,
  input: BackwardInput,
  saved: Saved,
): Gradients {
  const eng = requireEngine();
  if (saved.freed) throw new Error('fused kernels: this forward pass was already backpropagated');
  const { B, T, I, H } = d;
  const G = cell.gates * H;
  const biasLen = G * (cell.biasRows ?? 1);
  const sv = saved.blocks;
  const k = new Blocks(eng);
  const UT = k.take('UT', G * H);
  const WT = k.take('WT', G * I);
  const U = k.take('U', H * G);
  const W = k.take('W', I * G);
  const dY = k.take('dY', B * T * H);
  const dLast = input.dLast.map((g, i) => (g ? k.take(`dLast${i}`, B * H) : 0));
  const dX = k.take('dX', B * T * I);
  const dS0 = Array.from({ length: cell.states }, (_, i) => k.take(`dS${i}`, B * H));
  const scratch = [k.take('s0', B * H), k.take('s1', B * H)];
  const parts = Array.from({ length: eng.threads }, (_, i) => [
    k.take(`dW${i}`, I * G),
    k.take(`dU${i}`, H * G),
    input.hasBias ? k.take(`db${i}`, biasLen) : 0,
  ]);
  try {
    const mem = eng.f32();
    put(mem, U, input.recurrentKernel);
    put(mem, W, input.kernel);
    if (input.dy) put(mem, dY, input.dy);
    else zero(mem, dY, B * T * H);
    input.dLast.forEach((g, i) => g && put(mem, dLast[i]!, g));
    for (const [pw, pu, pb] of parts) {
      zero(mem, pw!, I * G);
      zero(mem, pu!, H * G);
      if (pb) zero(mem, pb, biasLen);
    }
    eng.call('transpose', U, H, G, UT);
    eng.call('transpose', W, I, G, WT);
    const back = opt.backwards ? 1 : 0;
    const [X, MASK, Z, HP, E0, E1] = [sv.X!, sv.MASK ?? 0, sv.Z!, sv.HP!, sv.E0 ?? 0, sv.E1 ?? 0];
    const per = (i: number): number[] => parts[i]!;
    const flops = 4 * B * T * G * (I + H);
    let used: number;
    if (cell === CELL_KERNELS.LSTMCell) {
      const args = [T, I, H, X, UT, WT, sv.S1!, MASK, Z, HP, E0, E1, dY, dLast[0]!, dLast[1]!, dX, dS0[0]!, dS0[1]!];
      used = eng.run(cell.backward, B, [...args, scratch[0]!, scratch[1]!, opt.act, opt.ract, back], per, flops);
    } else if (cell === CELL_KERNELS.GRUCell) {
      const args = [T, I, H, X, UT, WT, MASK, Z, HP, E0, dY, dLast[0]!, dX, dS0[0]!];
      used = eng.run(cell.backward, B, [...args, scratch[0]!, scratch[1]!, opt.act, opt.ract, back], per, flops);
    } else if (cell === CELL_KERNELS.GRUResetAfterCell) {
      const args = [T, I, H, X, UT, WT, MASK, Z, HP, E0, dY, dLast[0]!, dX, dS0[0]!];
      used = eng.run(cell.backward, B, [...args, scratch[0]!, opt.act, opt.ract, back], per, flops);
    } else {
      const args = [T, I, H, X, UT, WT, MASK, Z, HP, dY, dLast[0]!, dX, dS0[0]!];
      used = eng.run(cell.backward, B, [...args, scratch[0]!, opt.act, back], per, flops);
    }
    const [w0, u0, b0] = parts[0]!;
    for (let i = 1; i < used; i++) {
      const [wi, ui, bi] = parts[i]!;
      eng.call('add_into', w0!, wi!, I * G);
      eng.call('add_into', u0!, ui!, H * G);
      if (b0) eng.call('add_into', b0, bi!, biasLen);
    }
    const view = eng.f32();
    return {
      dx: get(view, dX, B * T * I),
      dStates: dS0.map((at) => get(view, at, B * H)),
      dKernel: get(view, w0!, I * G),
      dRecurrentKernel: get(view, u0!, H * G),
      dBias: b0 ? get(view, b0, biasLen) : null,
    };
  } finally {
    k.release();
    releaseSaved(saved);
  }
}

/** Frees what a forward pass kept (when its gradient will not be taken). */
export function releaseSaved(saved: Saved): void {
  if (saved.freed) return;
  saved.freed = true;
  unreleased.unregister(saved);
  const eng = fusedEngine();
  if (eng) for (const at of Object.values(saved.blocks)) eng.free(at);
}

function requireEngine(): FusedEngine {
  const eng = fusedEngine();
  if (!eng) throw new Error('fused recurrent kernels are not available');
  return eng;
}
