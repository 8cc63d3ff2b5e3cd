/**
 * Backend selection: `auto | node | wasm | cpu`.
 *
 * - node: `@tensorflow/tfjs-node` (native TensorFlow), used only when `import()` of it succeeds.
 * - wasm: `@tensorflow/tfjs-backend-wasm` (single-threaded SIMD in Node) with the gap kernels of
 *   ./kernels registered, so conv and embedding training work there too.
 * - cpu: the plain JavaScript backend of `@tensorflow/tfjs`.
 *
 * `auto` picks the fastest available backend that has every kernel the model needs
 * (node > wasm > cpu) and says why.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmGapKernels } from './kernels/index.js';
import type { TfModelSpec } from '../compiler/tfspec.js';

export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  /** What the user asked for. */
  requested: BackendChoice;
  /** The backend in use: 'node' | 'wasm' | 'cpu'. */
  name: 'node' | 'wasm' | 'cpu';
  /** tf.getBackend(): 'tensorflow' | 'wasm' | 'cpu'. */
  tfName: string;
  /** One line for the user: why this one. */
  reason: string;
  /** Kernels registered for wasm by lstmc (delegated / composed). */
  gapKernels: string[];
}

const TF_NAME = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' } as const;

/**
 * The requested backend cannot run here (not installed, does not load, fails to initialise): the
 * user's choice, not a bug, so the CLI reports it as a usage error (one plain line, exit 2).
 */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

let nodeAvailable: boolean | undefined;
/** Why `@tensorflow/tfjs-node` did not load, for the message. */
let nodeProblem = 'is not installed';
let wasmLoaded: boolean | undefined;

/** Whether `@tensorflow/tfjs-node` loads here. */
export async function tfNodeAvailable(): Promise<boolean> {
  if (nodeAvailable !== undefined) return nodeAvailable;
  try {
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    nodeAvailable = tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
    if (!nodeAvailable) nodeProblem = 'loads but registers no "tensorflow" backend';
  } catch (e) {
    nodeAvailable = false;
    const err = e as NodeJS.ErrnoException;
    const notFound = err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND';
    nodeProblem = notFound ? 'is not installed' : `does not load here (${String(err?.message ?? e).split('\n')[0]})`;
  }
  return nodeAvailable;
}

/**
 * tfjs's CPU backend prints a console banner ("Hi, looks like you are running TensorFlow.js in
 * Node.js...") on its first tensor write; lstmc says itself which backend it uses and why. So the
 * first write happens here, with tfjs's own warnings muted: `backend_util.warn` (tfjs-core log.ts)
 * prints nothing while the PROD flag is set. The flag is restored at once: later tfjs warnings still
 * reach the user, and nothing else (no console method) is touched.
 */
function firstWriteQuietly(): void {
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.tensor1d([0]).dispose();
  } finally {
    env.set('PROD', prod);
  }
}

async function loadWasm(): Promise<boolean> {
  if (wasmLoaded !== undefined) return wasmLoaded;
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmGapKernels();
    wasmLoaded = tf.engine().registryFactory['wasm'] != null;
  } catch {
    wasmLoaded = false;
  }
  return wasmLoaded;
}

/** The kernels a model's layers need for training (decided by the layer table, see compiler/tfspec.ts). */
export function requiredKernels(spec: TfModelSpec | undefined): string[] {
  return spec?.kernels ?? [];
}

function missingKernels(tfName: string, kernels: string[]): string[] {
  return kernels.filter((k) => tf.getKernel(k, tfName) == null);
}

/**
 * Sets the tfjs backend. Throws a BackendUnavailableError with a clear message when the requested
 * backend cannot load.
 */
export async function setupBackend(requested: BackendChoice = 'auto', spec?: TfModelSpec): Promise<BackendInfo> {
  const needs = requiredKernels(spec);
  const gap = (): string[] => (wasmLoaded ? registerWasmGapKernels() : []);
  const use = async (name: 'node' | 'wasm' | 'cpu', reason: string): Promise<BackendInfo> => {
    const ok = await tf.setBackend(TF_NAME[name]);
    if (!ok) {
      const instead = name === 'cpu' ? '' : '; use --backend cpu';
      throw new BackendUnavailableError(`--backend ${name}: the ${name} backend failed to initialise here${instead}.`);
    }
    await tf.ready();
    firstWriteQuietly();
    return { requested, name, tfName: tf.getBackend(), reason, gapKernels: name === 'wasm' ? gap() : [] };
  };
  if (requested === 'node') {
    if (!(await tfNodeAvailable())) {
      throw new BackendUnavailableError(
        `--backend node: @tensorflow/tfjs-node ${nodeProblem}; ` +
          'install it (npm install @tensorflow/tfjs-node) or use --backend auto, wasm or cpu.',
      );
    }
    return use('node', 'requested');
  }
  if (requested === 'wasm') {
    if (!(await loadWasm()))
      throw new BackendUnavailableError(
        '--backend wasm: @tensorflow/tfjs-backend-wasm does not load here; use --backend auto or cpu.',
      );
    return use('wasm', 'requested');
  }
  if (requested === 'cpu') return use('cpu', 'requested');
  // auto
  const skipped: string[] = [];
  if (await tfNodeAvailable()) {
    const miss = missingKernels('tensorflow', needs);
    if (miss.length === 0) return use('node', 'fastest available (native TensorFlow)');
    skipped.push(`node lacks ${miss.join(', ')}`);
  } else {
    skipped.push('node (@tensorflow/tfjs-node) not installed');
  }
  if (await loadWasm()) {
    const miss = missingKernels('wasm', needs);
    if (miss.length === 0)
      return use('wasm', `fastest available with every kernel the model needs (${skipped.join('; ')})`);
    skipped.push(`wasm lacks ${miss.join(', ')}`);
  } else {
    skipped.push('wasm does not load');
  }
  return use('cpu', `fallback (${skipped.join('; ')})`);
}

export function describeBackend(b: BackendInfo): string {
  return `backend: ${b.name}${b.requested === 'auto' ? ` (auto: ${b.reason})` : ''}`;
}
