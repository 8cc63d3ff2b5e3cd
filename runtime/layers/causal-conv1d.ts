/**
 * `CausalConv1D`: Keras's `Conv1D(padding='causal')`, which tfjs 4.22 lacks (its conv1dWithBias throws
 * "The support for CAUSAL padding mode ... is not implemented yet").
 *
 * Causal padding puts (kernelSize − 1)·dilationRate zeros before the first step and none after, then convolves
 * without padding: output step t sees input steps ≤ t only, and the output length is ceil(length / strides)
 * (the input length at stride 1). This is tfjs's Conv1D (weights kernel [kernelSize, channels, filters] and bias
 * [filters], Keras's names and shapes) run with `valid` padding on the left-padded input; the config says
 * `padding: 'causal'`, as Keras's does.
 */
import * as tf from '@tensorflow/tfjs';
import { registerLstmcClass, tfjsRegisteredClass } from './registry.js';

type Conv1DInstance = ReturnType<typeof tf.layers.conv1d>;
type Conv1DArgs = Parameters<typeof tf.layers.conv1d>[0];
type Conv1DConstructor = (new (args: Conv1DArgs) => Conv1DInstance) & {
  className: string;
  fromConfig: tf.serialization.SerializableConstructor<tf.serialization.Serializable>['fromConfig'];
};

/** tfjs's Conv1D class (not exported by name). */
const TfConv1D = tfjsRegisteredClass('Conv1D') as Conv1DConstructor;

/** Arguments: tfjs's Conv1D arguments; `padding` is `causal` (the default here). */
export type CausalConv1DArgs = Omit<Conv1DArgs, 'padding'> & { padding?: 'causal' };

export class CausalConv1D extends TfConv1D {
  static override className = 'CausalConv1D';

  constructor(args: CausalConv1DArgs) {
    const padding = (args as { padding?: string }).padding;
    if (padding !== undefined && padding !== 'causal') {
      throw new Error(`CausalConv1D pads causally; for padding ${padding} use tf.layers.conv1d.`);
    }
    super({ ...args, padding: 'valid' });
  }

  /** Zeros before the first step: (kernelSize − 1)·dilationRate. */
  get leftPad(): number {
    const k = (this as unknown as { kernelSize: number[] }).kernelSize[0]!;
    const d = (this as unknown as { dilationRate: number[] }).dilationRate[0]!;
    return (k - 1) * d;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const length = s[1];
    return super.computeOutputShape([s[0]!, length == null ? null : length + this.leftPad, s[2]!]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const padded =
        this.leftPad > 0
          ? tf.pad(x, [
              [0, 0],
              [this.leftPad, 0],
              [0, 0],
            ])
          : x;
      return super.call(padded, kwargs);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: 'causal' };
  }
}
registerLstmcClass(CausalConv1D);

/** `lstmcLayers.causalConv1d({...})`: a Keras `Conv1D` with `padding: 'causal'`. */
export function causalConv1d(config: CausalConv1DArgs): CausalConv1D {
  return new CausalConv1D(config);
}
