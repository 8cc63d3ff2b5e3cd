/**
 * tfjs for the layer oracle suites: the CPU backend with the orthogonal-initializer warning silenced, and tfjs
 * layers built from the table's plain-data specs.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import type { TfLayerSpec } from '../../compiler/layers/types.js';
import { lstmcLayerFactory } from '../../runtime/layers/index.js';

export type TfLayer = ReturnType<typeof tf.layers.dense>;

/**
 * Registers beforeAll/afterAll in the calling suite: the tfjs CPU backend, console.warn without tfjs's orthogonal
 * initializer warning on big matrices (keeps the log readable); afterwards the warning is back and variables go.
 */
export function useQuietTfCpu(): void {
  const origWarn = console.warn;
  beforeAll(async () => {
    console.warn = (...a: unknown[]) => {
      if (typeof a[0] === 'string' && a[0].includes('Orthogonal initializer')) return;
      origWarn(...a);
    };
    await tf.setBackend('cpu');
    await tf.ready();
  });
  afterAll(() => {
    console.warn = origWarn;
    tf.disposeVariables();
  });
}

/** Build a tfjs layer from plain data (as the runtime does): configs are cloned, tfjs mutates some. */
export function buildTfLayer(spec: TfLayerSpec): TfLayer {
  const config: Record<string, unknown> = structuredClone(spec.config);
  if (spec.inner) config.layer = buildTfLayer(spec.inner);
  // lstmc's own classes (module: 'lstmc', runtime/layers/) for what tfjs 4.22 lacks.
  const factory =
    spec.module === 'lstmc'
      ? (lstmcLayerFactory(spec.factory) as ((c: unknown) => TfLayer) | undefined)
      : (tf.layers as unknown as Record<string, (c: unknown) => TfLayer>)[spec.factory];
  if (typeof factory !== 'function') throw new Error(`${spec.module ?? 'tf.layers'}.${spec.factory} does not exist`);
  return factory(config);
}
