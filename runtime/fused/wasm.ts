/**
 * The fused recurrent kernels' WebAssembly module (built from wasm/assembly/recurrent.ts by `npm run build`
 * into dist/wasm/recurrent.wasm), one shared memory, and a pool of worker threads that run the same module
 * on the same memory.
 *
 * Work is split over batch rows: a kernel call runs the exported function on rows [b0, b1) in this thread
 * and on the other row ranges in the workers at once, then waits for them (Atomics.wait on the control
 * block at the start of the memory). Workers start lazily and, until one reports ready, this thread does
 * its share itself, so a call never waits for a thread to start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The exported kernel functions JavaScript calls (all arguments are i32: row bounds, sizes, byte offsets, codes). */
export type KernelName = (typeof FN_IDS)[number];

type Exports = Record<KernelName, (...args: number[]) => void>;

/** The part of the WebAssembly API used here (lib ES2022 and @types/node 20 do not declare it). */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (m: WasmModule, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
const MAX_PAGES = 32768; // 2 GiB
/** The control block: 1 KiB at offset 0. Per worker w, 64 ints at CTRL_BASE + 64·w. */
const CTRL_BYTES = 1024;
const CTRL_BASE = 16;
const SLOT = 64;
const S_SEQ = 0;
const S_DONE = 1;
const S_READY = 2;
const S_FN = 3;
const S_NARGS = 4;
const S_ARGS = 8;
const MAX_ARGS = SLOT - S_ARGS;
const FN_STOP = -1;
/**
 * Below this many rows per thread, or this much work in a call (waking a worker costs tens of
 * microseconds; 4 MFLOP is ~0.2 ms on one thread), splitting a call costs more than it saves.
 */
const MIN_ROWS_PER_THREAD = 4;
const MIN_FLOPS_TO_SPLIT = 4e6;

/** Their ids in the control block (a worker calls `FN_IDS[id]`). */
const FN_IDS = [
  'lstm_forward',
  'lstm_backward',
  'gru_forward',
  'gru_backward',
  'gru2_forward',
  'gru2_backward',
  'rnn_forward',
  'rnn_backward',
  'transpose',
  'add_into',
] as const;

/** The worker: instantiates the module on the shared memory and runs the functions the main thread posts. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, slot, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } });
const ctrl = new Int32Array(memory.buffer, 0, ${CTRL_BYTES / 4});
const fns = names.map((n) => instance.exports[n]);
Atomics.store(ctrl, slot + ${S_READY}, 1);
let seen = Atomics.load(ctrl, slot + ${S_SEQ});
for (;;) {
  Atomics.wait(ctrl, slot + ${S_SEQ}, seen);
  seen = Atomics.load(ctrl, slot + ${S_SEQ});
  const fn = ctrl[slot + ${S_FN}];
  if (fn === ${FN_STOP}) break;
  const n = ctrl[slot + ${S_NARGS}];
  const args = [];
  for (let i = 0; i < n; i++) args.push(ctrl[slot + ${S_ARGS} + i]);
  try { fns[fn](...args); } catch (e) { Atomics.store(ctrl, slot + ${S_READY}, 2); }
  Atomics.store(ctrl, slot + ${S_DONE}, seen);
  Atomics.notify(ctrl, slot + ${S_DONE});
}
`;

export interface FusedEngine {
  memory: WasmMemory;
  exports: Exports;
  /** Threads a call may use (this one included). */
  threads: number;
  /** Float32 view of the whole memory (renewed after growth). */
  f32(): Float32Array;
  /** Reserves `floats` floats (16-byte aligned, memory grown as needed); returns the byte offset. */
  alloc(floats: number): number;
  /** Returns a block `alloc` gave. */
  free(at: number): void;
  /** Bytes currently reserved (tests check that calls give back what they take). */
  reserved(): number;
  /**
   * Runs `name(b0, b1, ...args)` over rows [0, rows), split across the threads. `perThread(i)` may give
   * extra trailing arguments for thread i (e.g. its own gradient partial buffers).
   */
  run(name: KernelName, rows: number, args: number[], perThread?: (i: number) => number[], flops?: number): number;
  /** Calls `name(...args)` on this thread only. */
  call(name: KernelName, ...args: number[]): void;
}

/** Why the fused kernels cannot run here, or undefined. */
let unavailable: string | undefined;
let engine: FusedEngine | undefined;

function wasmPath(): string | undefined {
  // dist/runtime/fused/wasm.js → dist/wasm/recurrent.wasm; runtime/fused/wasm.ts (tests) → dist/wasm/...
  const candidates = [
    fileURLToPath(new URL('../../wasm/recurrent.wasm', import.meta.url)),
    fileURLToPath(new URL('../../dist/wasm/recurrent.wasm', import.meta.url)),
  ];
  return candidates.find((p) => existsSync(p));
}

/** Threads to use: LSTMC_THREADS, else the machine's parallelism (at most 8). */
function threadCount(): number {
  const env = Number(process.env.LSTMC_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** The engine, or undefined with `fusedUnavailableReason()` saying why. Loads once. */
export function fusedEngine(): FusedEngine | undefined {
  if (engine || unavailable) return engine;
  try {
    const file = wasmPath();
    if (!file) {
      unavailable = 'dist/wasm/recurrent.wasm is missing (run npm run build)';
      return undefined;
    }
    const bytes = readFileSync(file);
    if (!WA.validate(bytes)) {
      unavailable = 'this JavaScript engine lacks WebAssembly SIMD or threads';
      return undefined;
    }
    const module = new WA.Module(bytes);
    const memory = new WA.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    const instance = new WA.Instance(module, {
      env: {
        memory,
        abort() {
          throw new Error('wasm abort');
        },
      },
    });
    engine = makeEngine(module, memory, instance.exports as unknown as Exports, threadCount());
  } catch (e) {
    unavailable = `the kernels do not load here (${String((e as Error).message ?? e).split('\n')[0]})`;
  }
  return engine;
}

export function fusedUnavailableReason(): string | undefined {
  fusedEngine();
  return unavailable;
}

function makeEngine(module: WasmModule, memory: WasmMemory, exports: Exports, threads: number): FusedEngine {
  let view = new Float32Array(memory.buffer);
  const ctrl = new Int32Array(memory.buffer, 0, CTRL_BYTES / 4);
  const workers: Worker[] = [];
  const started = (): void => {
    if (workers.length > 0 || threads <= 1) return;
    for (let w = 0; w < threads - 1; w++) {
      const slot = CTRL_BASE + SLOT * w;
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, slot, names: FN_IDS },
      });
      worker.unref();
      worker.on('error', () => Atomics.store(ctrl, slot + S_READY, 2));
      workers.push(worker);
    }
  };
  const ready = (w: number): boolean => Atomics.load(ctrl, CTRL_BASE + SLOT * w + S_READY) === 1;
  // First-fit allocator over the memory after the control block: free blocks sorted by offset, merged
  // with their neighbours; the memory grows when nothing fits.
  const freeList: { at: number; size: number }[] = [];
  const used = new Map<number, number>();
  let top = CTRL_BYTES;
  const grow = (bytes: number): void => {
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`fused kernels: ${bytes} bytes exceed the 2 GiB memory`);
    memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4)));
    view = new Float32Array(memory.buffer);
  };
  const eng: FusedEngine = {
    memory,
    exports,
    threads,
    f32() {
      if (view.buffer.byteLength !== memory.buffer.byteLength) view = new Float32Array(memory.buffer);
      return view;
    },
    alloc(floats: number) {
      const size = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
      const i = freeList.findIndex((b) => b.size >= size);
      let at: number;
      if (i >= 0) {
        const b = freeList[i]!;
        at = b.at;
        if (b.size === size) freeList.splice(i, 1);
        else {
          b.at += size;
          b.size -= size;
        }
      } else {
        at = top;
        grow(top + size);
        top += size;
      }
      used.set(at, size);
      return at;
    },
    free(at: number) {
      const size = used.get(at);
      if (size === undefined) return;
      used.delete(at);
      let i = 0;
      while (i < freeList.length && freeList[i]!.at < at) i++;
      freeList.splice(i, 0, { at, size });
      // Merge with the next and the previous block; a free block at the top goes back to the top.
      const next = freeList[i + 1];
      if (next && at + size === next.at) {
        freeList[i]!.size += next.size;
        freeList.splice(i + 1, 1);
      }
      const prev = freeList[i - 1];
      if (prev && prev.at + prev.size === at) {
        prev.size += freeList[i]!.size;
        freeList.splice(i, 1);
      }
      const last = freeList[freeList.length - 1];
      if (last && last.at + last.size === top) {
        top = last.at;
        freeList.pop();
      }
    },
    reserved() {
      let n = 0;
      for (const size of used.values()) n += size;
      return n;
    },
    call(name: KernelName, ...args: number[]) {
      exports[name](...args);
    },
    run(name, rows, args, perThread, flops = Infinity) {
      started();
      const fn = FN_IDS.indexOf(name);
      // Threads that are ready, this one first.
      const helpers: number[] = [];
      for (let w = 0; w < workers.length; w++) if (ready(w)) helpers.push(w);
      const n =
        flops < MIN_FLOPS_TO_SPLIT
          ? 1
          : Math.max(1, Math.min(1 + helpers.length, Math.floor(rows / MIN_ROWS_PER_THREAD)));
      const bounds = (i: number): [number, number] => [Math.floor((rows * i) / n), Math.floor((rows * (i + 1)) / n)];
      const posted: number[] = [];
      for (let i = 1; i < n; i++) {
        const w = helpers[i - 1]!;
        const slot = CTRL_BASE + SLOT * w;
        const full = [...bounds(i), ...args, ...(perThread ? perThread(i) : [])];
        if (full.length > MAX_ARGS) throw new RangeError(`${name}: too many arguments for a worker`);
        ctrl[slot + S_FN] = fn;
        ctrl[slot + S_NARGS] = full.length;
        for (let k = 0; k < full.length; k++) ctrl[slot + S_ARGS + k] = full[k]!;
        const seq = Atomics.add(ctrl, slot + S_SEQ, 1) + 1;
        Atomics.notify(ctrl, slot + S_SEQ);
        posted.push(w, seq);
      }
      exports[name](...bounds(0), ...args, ...(perThread ? perThread(0) : []));
      for (let k = 0; k < posted.length; k += 2) {
        const slot = CTRL_BASE + SLOT * posted[k]!;
        const seq = posted[k + 1]!;
        while (Atomics.load(ctrl, slot + S_DONE) !== seq) {
          if (Atomics.load(ctrl, slot + S_READY) === 2)
            throw new Error(`fused kernel ${name} failed in a worker thread`);
          Atomics.wait(ctrl, slot + S_DONE, Atomics.load(ctrl, slot + S_DONE), 1000);
        }
      }
      return n;
    },
  };
  return eng;
}
