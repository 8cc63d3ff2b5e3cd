/**
 * The fused recurrent kernels on plain arrays: one call runs every time step of a layer forward (keeping
 * what the backward pass needs), one call runs the whole backward pass through time. tfjs-free, so the
 * maths can be tested on its own; runtime/fused/layer.ts wires them into tfjs layers.
 *
 * Buffers live in the engine's shared WebAssembly memory, laid out afresh for each call (a bump arena
 * from `engine.base`); inputs are copied in, results copied out.
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
}

/** Kernels by tfjs cell class. */
export const CELL_KERNELS: Readonly<Record<string, CellKernel>> = {
  LSTMCell: { gates: 4, states: 2, forward: 'lstm_forward', backward: 'lstm_backward', recurrentActivation: true },
  GRUCell: { gates: 3, states: 1, forward: 'gru_forward', backward: 'gru_backward', recurrentActivation: true },
  SimpleRNNCell: { gates: 1, states: 1, forward: 'rnn_forward', backward: 'rnn_backward', recurrentActivation: false },
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
  /** [I, G], [H, G], [G] or null. */
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
  /** Initial states, [B, H] each (h, then c for LSTM). */
  states: Float32Array[];
  /** Recurrent dropout mask [B, H], or null. */
  mask: Float32Array | null;
}

/** What the backward pass needs from the forward pass (the kernels' own buffers, copied out). */
export interface Saved {
  buffers: Float32Array[];
}

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

/** A bump allocator over the engine's memory for one call. */
class Arena {
  private next: number;
  constructor(private readonly eng: FusedEngine) {
    this.next = eng.base;
  }
  /** Reserves `floats` floats (16-byte aligned); returns the byte offset. */
  take(floats: number): number {
    const at = this.next;
    this.next += Math.ceil((floats * 4) / 16) * 16;
    return at;
  }
  /** Grows the memory to hold everything taken; call before writing. */
  commit(): Float32Array {
    this.eng.ensure(this.next);
    return this.eng.f32();
  }
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

/** Extra saved buffers per cell beyond Z and HP: LSTM C, TC; GRU RH. */
function extraSaved(cell: CellKernel): number {
  return cell === CELL_KERNELS.LSTMCell ? 2 : cell === CELL_KERNELS.GRUCell ? 1 : 0;
}

/** Runs the forward kernel. `keep`: copy out what the backward pass needs. */
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
  const a = new Arena(eng);
  const X = a.take(B * T * I);
  const W = a.take(I * G);
  const U = a.take(H * G);
  const bias = input.bias ? a.take(G) : 0;
  const S0 = input.states.map(() => a.take(B * H));
  const MASK = input.mask ? a.take(B * H) : 0;
  const Z = a.take(B * T * G);
  const HP = a.take(B * T * H);
  const Y = a.take(B * T * H);
  const extra = Array.from({ length: extraSaved(cell) }, () => a.take(B * T * H));
  const scratch = cell === CELL_KERNELS.GRUCell ? [a.take(B * 2 * H), a.take(B * H)] : [];
  const mem = a.commit();
  put(mem, X, input.x);
  put(mem, W, input.kernel);
  put(mem, U, input.recurrentKernel);
  if (input.bias) put(mem, bias, input.bias);
  input.states.forEach((s, i) => put(mem, S0[i]!, s));
  if (input.mask) put(mem, MASK, input.mask);
  const back = opt.backwards ? 1 : 0;
  if (cell === CELL_KERNELS.LSTMCell) {
    eng.run(cell.forward, B, [
      T,
      I,
      H,
      X,
      W,
      U,
      bias,
      S0[0]!,
      S0[1]!,
      MASK,
      Z,
      HP,
      Y,
      extra[0]!,
      extra[1]!,
      opt.act,
      opt.ract,
      back,
    ]);
  } else if (cell === CELL_KERNELS.GRUCell) {
    eng.run(cell.forward, B, [
      T,
      I,
      H,
      X,
      W,
      U,
      bias,
      S0[0]!,
      MASK,
      Z,
      HP,
      extra[0]!,
      Y,
      scratch[0]!,
      scratch[1]!,
      opt.act,
      opt.ract,
      back,
    ]);
  } else {
    eng.run(cell.forward, B, [T, I, H, X, W, U, bias, S0[0]!, MASK, Z, HP, Y, opt.act, back]);
  }
  const view = eng.f32();
  const y = get(view, Y, B * T * H);
  const lastOf = (buf: Float32Array): Float32Array => {
    const out = new Float32Array(B * H);
    for (let b = 0; b < B; b++) out.set(buf.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
    return out;
  };
  const last = [lastOf(y)];
  // LSTM: the cell state is the first extra buffer.
  let cs: Float32Array | undefined;
  if (cell.states === 2) {
    cs = get(view, extra[0]!, B * T * H);
    last.push(lastOf(cs));
  }
  const saved = keep
    ? {
        buffers: [
          get(view, Z, B * T * G),
          get(view, HP, B * T * H),
          ...extra.map((at, i) => (i === 0 && cs ? cs : get(view, at, B * T * H))),
        ],
      }
    : undefined;
  return { y, last, saved };
}

export interface BackwardInput {
  x: Float32Array;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  hasBias: boolean;
  /** Initial states (LSTM needs c0). */
  states: Float32Array[];
  mask: Float32Array | null;
  /** Gradient of the output sequence [B, T, H] (processing order), or null when only last states are used. */
  dy: Float32Array | null;
  /** Gradients of the last states [B, H] each, or null. */
  dLast: (Float32Array | null)[];
}

/** Runs the backward kernel over the saved forward pass. */
export function recurrentBackward(
  cell: CellKernel,
  d: Dims,
  opt: CellOptions,
  input: BackwardInput,
  saved: Saved,
): Gradients {
  const eng = requireEngine();
  const { B, T, I, H } = d;
  const G = cell.gates * H;
  const threads = eng.threads;
  const a = new Arena(eng);
  const X = a.take(B * T * I);
  const UT = a.take(G * H);
  const WT = a.take(G * I);
  const U = a.take(H * G);
  const W = a.take(I * G);
  const C0 = cell.states === 2 ? a.take(B * H) : 0;
  const MASK = input.mask ? a.take(B * H) : 0;
  const Z = a.take(B * T * G);
  const HP = a.take(B * T * H);
  const extra = Array.from({ length: extraSaved(cell) }, () => a.take(B * T * H));
  const dY = a.take(B * T * H);
  const dLast = input.dLast.map((g) => (g ? a.take(B * H) : 0));
  const dX = a.take(B * T * I);
  const dS0 = Array.from({ length: cell.states }, () => a.take(B * H));
  const scratch = Array.from({ length: 2 }, () => a.take(B * H));
  const parts = Array.from({ length: threads }, () => [a.take(I * G), a.take(H * G), input.hasBias ? a.take(G) : 0]);
  const mem = a.commit();
  put(mem, X, input.x);
  put(mem, U, input.recurrentKernel);
  put(mem, W, input.kernel);
  if (C0) put(mem, C0, input.states[1]!);
  if (input.mask) put(mem, MASK, input.mask);
  put(mem, Z, saved.buffers[0]!);
  put(mem, HP, saved.buffers[1]!);
  extra.forEach((at, i) => put(mem, at, saved.buffers[2 + i]!));
  if (input.dy) put(mem, dY, input.dy);
  else zero(mem, dY, B * T * H);
  input.dLast.forEach((g, i) => g && put(mem, dLast[i]!, g));
  for (const [pw, pu, pb] of parts) {
    zero(mem, pw!, I * G);
    zero(mem, pu!, H * G);
    if (pb) zero(mem, pb, G);
  }
  eng.call('transpose', U, H, G, UT);
  eng.call('transpose', W, I, G, WT);
  const back = opt.backwards ? 1 : 0;
  const per = (i: number): number[] => parts[i]!;
  let used: number;
  if (cell === CELL_KERNELS.LSTMCell) {
    used = eng.run(
      cell.backward,
      B,
      [
        T,
        I,
        H,
        X,
        UT,
        WT,
        C0,
        MASK,
        Z,
        HP,
        extra[0]!,
        extra[1]!,
        dY,
        dLast[0]!,
        dLast[1]!,
        dX,
        dS0[0]!,
        dS0[1]!,
        scratch[0]!,
        scratch[1]!,
        opt.act,
        opt.ract,
        back,
      ],
      per,
    );
  } else if (cell === CELL_KERNELS.GRUCell) {
    used = eng.run(
      cell.backward,
      B,
      [
        T,
        I,
        H,
        X,
        UT,
        WT,
        MASK,
        Z,
        HP,
        extra[0]!,
        dY,
        dLast[0]!,
        dX,
        dS0[0]!,
        scratch[0]!,
        scratch[1]!,
        opt.act,
        opt.ract,
        back,
      ],
      per,
    );
  } else {
    used = eng.run(
      cell.backward,
      B,
      [T, I, H, X, UT, WT, MASK, Z, HP, dY, dLast[0]!, dX, dS0[0]!, scratch[0]!, opt.act, back],
      per,
    );
  }
  const [w0, u0, b0] = parts[0]!;
  for (let i = 1; i < used; i++) {
    const [wi, ui, bi] = parts[i]!;
    eng.call('add_into', w0!, wi!, I * G);
    eng.call('add_into', u0!, ui!, H * G);
    if (b0) eng.call('add_into', b0, bi!, G);
  }
  const view = eng.f32();
  return {
    dx: get(view, dX, B * T * I),
    dStates: dS0.map((at) => get(view, at, B * H)),
    dKernel: get(view, w0!, I * G),
    dRecurrentKernel: get(view, u0!, H * G),
    dBias: b0 ? get(view, b0, G) : null,
  };
}

function requireEngine(): FusedEngine {
  const eng = fusedEngine();
  if (!eng) throw new Error('fused recurrent kernels are not available');
  return eng;
}
