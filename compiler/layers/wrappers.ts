/**
 * timeDistributed: applies the inner layer to every time step (shape.slice(1)) and prepends the
 * time dim. (bidirectional lives in recurrent.ts.)
 */
import type { Shape } from '../ir.js';
import type { LayerDef, ShapeResult } from './types.js';
import { arg, defineLayer, expectMinRank, fail, nameArg, ok, wrapperSpec } from './common.js';

export const timeDistributed: LayerDef = defineLayer({
  name: 'timeDistributed',
  className: 'TimeDistributed',
  pytorch: {
    className: 'TimeDistributed',
    // The inner layer sees one time step.
    innerInputShapes: (_inst, inputShapes) => [(inputShapes[0] ?? []).slice(1)],
  },
  category: 'wrapper',
  doc: 'Applies the inner layer to every time step of a sequence (the same weights at every step).',
  shapeDoc: '[T, ...] -> [T, inner output]',
  readsSequence: true,
  tfjs: {
    spec(inst, outputShape) {
      // The inner layer sees one time step: its output shape is ours without the time axis.
      return wrapperSpec('timeDistributed')(inst, outputShape, outputShape?.slice(1));
    },
  },
  main: ['layer'],
  args: {
    layer: arg({ kind: 'layer' }, 'The layer to apply to every time step.', { required: true, tf: false }),
    name: nameArg(),
  },
  canWrap: (inner) => inner.inputs.min <= 1 && inner.inputs.max >= 1,
  // TF.js passes the sequence's mask, unchanged, to the inner layer at every step: fine for layers that
  // ignore it (dense), fatal for one that reads it (a recurrent layer over the steps' sub-sequences).
  masking: (inst) => {
    const inner = inst.inner?.def.masking?.(inst.inner);
    return inner?.reads
      ? {
          supports: true,
          output: 'carry',
          refuses: `TF.js 4.22 hands the [batch, timesteps] mask of the sequence to the wrapped ${inst.inner?.def.name}, which fails on it`,
        }
      : { supports: true, output: 'carry' };
  },
  outputShapes(inst, inputs): ShapeResult {
    if (inputs.length !== 1) return fail('InputCount', { layer: 'timeDistributed', expected: 1, got: inputs.length });
    const x = inputs[0]!;
    const inner = inst.inner;
    if (!inner) return fail('NotAWrapper', { layer: 'timeDistributed', inner: 'nothing' });
    const r = expectMinRank('timeDistributed', x, 2, '[batch, timesteps, ...]');
    if (r) return r;
    const step: Shape = x.slice(1);
    const res = inner.def.outputShapes(inner, [step]);
    if (!res.ok) return res;
    if (res.shapes.length !== 1) {
      return fail(
        'MultiOutputAsSingle',
        { layer: inner.def.name, count: res.shapes.length },
        'Inside timeDistributed, use returnState: false.',
      );
    }
    return ok([x[0] ?? null, ...res.shapes[0]!]);
  },
  paramCount(inst, inputs) {
    const inner = inst.inner;
    if (!inner) return { trainable: 0, nonTrainable: 0 };
    return inner.def.paramCount(inner, [(inputs[0] ?? []).slice(1)]);
  },
});
