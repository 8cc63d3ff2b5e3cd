/**
 * A fix for TF.js 4.22's model executor: one training step (`model.fit`, `trainOnBatch`) hands the same `kwargs`
 * object to every layer it runs, and `RNN.apply` / `Bidirectional.apply` write the initial states they were given
 * into it (`kwargs.initialState = [...]`). A recurrent layer run later in that step then sees another layer's states:
 * it fails ("When inputs is an array, neither initialState or constants should be provided") or, on the fused
 * kernels, silently starts from them. The executor also runs a layer once per output it needs, so an encoder with
 * `returnState` whose sequence output is read after a decoder started from its states (encoder-decoder attention)
 * meets it. Installed when this folder loads: each call of those two `apply`s gets its own shallow copy of `kwargs`.
 */
import * as tf from '@tensorflow/tfjs';
import { tfjsRegisteredClass } from './registry.js';

const PATCHED = Symbol.for('lstmc.recurrentKwargsCopy');

type Apply = (this: unknown, inputs: unknown, kwargs?: Record<string, unknown>) => unknown;
type Patchable = { apply: Apply; [PATCHED]?: true };

/**
 * Makes `RNN.apply` (lstm, gru, simpleRNN, convLstm2d, lstmc's own recurrent classes) and `Bidirectional.apply`
 * copy `kwargs`. Idempotent.
 */
export function installRecurrentKwargsCopy(): void {
  const protos = [
    tf.layers.RNN.prototype as unknown as Patchable,
    (tfjsRegisteredClass('Bidirectional') as { prototype: Patchable }).prototype,
  ];
  for (const proto of protos) {
    if (!proto || Object.prototype.hasOwnProperty.call(proto, PATCHED)) continue;
    const original = proto.apply;
    proto.apply = function (this: unknown, inputs: unknown, kwargs?: Record<string, unknown>) {
      return original.call(this, inputs, kwargs == null ? kwargs : { ...kwargs });
    };
    proto[PATCHED] = true;
  }
}

installRecurrentKwargsCopy();
