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

let nodeAvailable: boolean | undefined;
let wasmLoaded: boolean | undefined;

/** Whether `@tensorflow/tfjs-node` loads here. */
export async function tfNodeAvailable(): Promise<boolean> {
  if (nodeAvailable !== undefined) return nodeAvailable;
  try {
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    nodeAvailable = tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
  } catch {
    nodeAvailable = false;
  }
  return nodeAvailable;
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
 * Sets the tfjs backend. Throws an Error with a clear message when the requested backend cannot load.
 */
export async function setupBackend(requested: BackendChoice = 'auto', spec?: TfModelSpec): Promise<BackendInfo> {
  const needs = requiredKernels(spec);
  const gap = (): string[] => (wasmLoaded ? registerWasmGapKernels() : []);
  const use = async (name: 'node' | 'wasm' | 'cpu', reason: string): Promise<BackendInfo> => {
    const ok = await tf.setBackend(TF_NAME[name]);
    if (!ok) throw new Error(`The ${name} backend failed to initialise.`);
    await tf.ready();
    return { requested, name, tfName: tf.getBackend(), reason, gapKernels: name === 'wasm' ? gap() : [] };
  };
  if (requested === 'node') {
    if (!(await tfNodeAvailable())) throw new Error('The node backend (@tensorflow/tfjs-node) is not installed or does not load here; use --backend wasm or cpu.');
    return use('node', 'requested');
  }
  if (requested === 'wasm') {
    if (!(await loadWasm())) throw new Error('The wasm backend (@tensorflow/tfjs-backend-wasm) does not load here; use --backend cpu.');
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
    if (miss.length === 0) return use('wasm', `fastest available with every kernel the model needs (${skipped.join('; ')})`);
    skipped.push(`wasm lacks ${miss.join(', ')}`);
  } else {
    skipped.push('wasm does not load');
  }
  return use('cpu', `fallback (${skipped.join('; ')})`);
}

export function describeBackend(b: BackendInfo): string {
  return `backend: ${b.name}${b.requested === 'auto' ? ` (auto: ${b.reason})` : ''}`;
}
