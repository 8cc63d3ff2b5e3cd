/**
 * `GRUResetAfter`: Keras 2's GRU with `reset_after=True` (the tf.keras 2 default), which tfjs 4.22 lacks (its
 * GRUCell throws on `resetAfter: true`).
 *
 * With reset-after the reset gate multiplies the recurrent product instead of the previous output, and the cell has
 * two bias rows, one for the input projection and one for the recurrent projection (bias [2, 3·units]):
 *
 *   x̂ = x·W + b_in                      (W [features, 3u], gates z, r, h)
 *   ĥ = h·U + b_rec                     (U [units, 3u])
 *   z = σ(x̂_z + ĥ_z)   r = σ(x̂_r + ĥ_r)
 *   h̃ = act(x̂_h + r ⊙ ĥ_h)
 *   h' = z ⊙ h + (1 − z) ⊙ h̃
 *
 * Weights keep Keras's names, shapes and order (kernel, recurrent_kernel, bias [2, 3u]), so Keras and TF.js
 * weights load 1:1. Dropout masks are drawn as tfjs's GRUCell draws them (three per call, the first used), and
 * with recurrent dropout the masked previous output enters the update too (Keras implementation 2, tfjs).
 *
 * The layer is tfjs's `RNN` around this cell, so returnSequences, returnState, goBackwards, initial states,
 * masks and stateful layers are tfjs's own; `GRUResetAfterCell` subclasses tfjs's GRUCell (arguments, initializers,
 * regularizers, serialisation of the common config) and replaces its weights and step. runtime/fused runs it on
 * the fused kernels (the cell's class name selects them).
 */
import * as tf from '@tensorflow/tfjs';
import { registerLstmcClass, tfjsRegisteredClass } from './registry.js';

type GRUCellInstance = ReturnType<typeof tf.layers.gruCell>;
type GRUCellConstructor = (new (args: tf.GRUCellLayerArgs) => GRUCellInstance) & {
  className: string;
  fromConfig: tf.serialization.SerializableConstructor<tf.serialization.Serializable>['fromConfig'];
};

/** tfjs's GRUCell class (not exported by name). */
const TfGRUCell = tfjsRegisteredClass('GRUCell') as GRUCellConstructor;

/** Arguments of the reset-after GRU (tfjs's GRU arguments; `resetAfter` is always true). */
export type GRUResetAfterArgs = Omit<tf.GRULayerArgs, 'resetAfter' | 'cell'> & { resetAfter?: true };
export type GRUResetAfterCellArgs = Omit<tf.GRUCellLayerArgs, 'resetAfter'> & { resetAfter?: true };

interface Masks {
  dropoutMask: tf.Tensor[] | null;
  recurrentDropoutMask: tf.Tensor[] | null;
}

/** One mask per gate like tfjs's `generateDropoutMask` (count 3): dropped in training, ones otherwise, kept. */
function dropoutMasks(
  like: tf.Tensor,
  rate: number,
  training: boolean,
  dropoutFunc: ((x: tf.Tensor, rate: number) => tf.Tensor) | undefined,
): tf.Tensor[] {
  const one = (): tf.Tensor => {
    const ones = tf.onesLike(like);
    const m = training ? (dropoutFunc ? dropoutFunc(ones, rate) : tf.dropout(ones, rate)) : ones;
    return tf.keep(m.clone());
  };
  return [one(), one(), one()];
}

function refuseResetAfterFalse(args: { resetAfter?: unknown }, who: string): void {
  if (args.resetAfter === false) {
    throw new Error(`${who} is the reset-after GRU; for resetAfter: false use tf.layers.gru (TF.js's GRU).`);
  }
}

export class GRUResetAfterCell extends TfGRUCell {
  static override className = 'GRUResetAfterCell';

  constructor(args: GRUResetAfterCellArgs) {
    refuseResetAfterFalse(args, 'GRUResetAfterCell');
    super({ ...args, resetAfter: false });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inputDim = shape[shape.length - 1] as number;
    const u = this.units;
    this.kernel = this.addWeight(
      'kernel',
      [inputDim, 3 * u],
      undefined,
      this.kernelInitializer,
      this.kernelRegularizer,
      true,
      this.kernelConstraint,
    );
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [u, 3 * u],
      undefined,
      this.recurrentInitializer,
      this.recurrentRegularizer,
      true,
      this.recurrentConstraint,
    );
    if (this.useBias) {
      // Keras: bias [2, 3u], row 0 the input bias, row 1 the recurrent bias.
      this.bias = this.addWeight(
        'bias',
        [2, 3 * u],
        undefined,
        this.biasInitializer,
        this.biasRegularizer,
        true,
        this.biasConstraint,
      );
    } else {
      (this as unknown as { bias: null }).bias = null;
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = inputs as tf.Tensor[];
      if (list.length !== 2) throw new Error(`GRUResetAfterCell expects 2 input tensors (x, h), got ${list.length}.`);
      const training = kwargs.training == null ? false : Boolean(kwargs.training);
      let x = list[0]!;
      let hPrev = list[1]!;
      const masks = this as unknown as Masks;
      const dropoutFunc = this.dropoutFunc as ((x: tf.Tensor, rate: number) => tf.Tensor) | undefined;
      if (0 < this.dropout && this.dropout < 1 && masks.dropoutMask == null) {
        masks.dropoutMask = dropoutMasks(x, this.dropout, training, dropoutFunc);
      }
      if (0 < this.recurrentDropout && this.recurrentDropout < 1 && masks.recurrentDropoutMask == null) {
        masks.recurrentDropoutMask = dropoutMasks(hPrev, this.recurrentDropout, training, dropoutFunc);
      }
      if (0 < this.dropout && this.dropout < 1) x = tf.mul(x, masks.dropoutMask![0]!);
      if (0 < this.recurrentDropout && this.recurrentDropout < 1)
        hPrev = tf.mul(hPrev, masks.recurrentDropoutMask![0]!);
      let matrixX = tf.matMul(x, this.kernel.read());
      let matrixInner = tf.matMul(hPrev, this.recurrentKernel.read());
      if (this.useBias) {
        const [bIn, bRec] = tf.unstack(this.bias.read(), 0);
        matrixX = tf.add(matrixX, bIn!);
        matrixInner = tf.add(matrixInner, bRec!);
      }
      const [xZ, xR, xH] = tf.split(matrixX, 3, -1);
      const [hZ, hR, hH] = tf.split(matrixInner, 3, -1);
      const z = this.recurrentActivation.apply(tf.add(xZ!, hZ!));
      const r = this.recurrentActivation.apply(tf.add(xR!, hR!));
      const hh = this.activation.apply(tf.add(xH!, tf.mul(r, hH!)));
      const h = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), hh));
      return [h, h];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), resetAfter: true };
  }
}
registerLstmcClass(GRUResetAfterCell);

/** The layer: tfjs's RNN over one GRUResetAfterCell (as tfjs's GRU is an RNN over a GRUCell). */
export class GRUResetAfter extends tf.RNN {
  static override className = 'GRUResetAfter';

  constructor(args: GRUResetAfterArgs) {
    refuseResetAfterFalse(args, 'GRUResetAfter');
    const { cell: _cell, ...rest } = args as GRUResetAfterArgs & { cell?: unknown };
    super({ ...rest, cell: new GRUResetAfterCell(rest) } as tf.RNNLayerArgs);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      // Fresh dropout masks per call (tfjs's GRU does the same with its cell's masks).
      const masks = this.cell as unknown as Masks;
      if (masks.dropoutMask != null) {
        tf.dispose(masks.dropoutMask);
        masks.dropoutMask = null;
      }
      if (masks.recurrentDropoutMask != null) {
        tf.dispose(masks.recurrentDropoutMask);
        masks.recurrentDropoutMask = null;
      }
      const mask = kwargs == null ? null : kwargs.mask;
      const training = kwargs == null ? null : kwargs.training;
      const initialState = kwargs == null ? null : kwargs.initialState;
      return super.call(inputs, { mask, training, initialState });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // RNN.getConfig flattens the cell's config (units, activations, initializers, dropout, ...) into the layer's.
    return { ...super.getConfig(), resetAfter: true };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { cell: _cell, ...rest } = config as tf.serialization.ConfigDict & { cell?: unknown };
    return new cls(rest);
  }
}
registerLstmcClass(GRUResetAfter);

/** `lstmcLayers.gruResetAfter({...})`: a Keras 2 GRU with `resetAfter: true`. */
export function gruResetAfter(config: GRUResetAfterArgs): GRUResetAfter {
  return new GRUResetAfter(config);
}
