/**
 * Merge layers: concatenate (along one axis), add, multiply, average (all shapes equal).
 * Dims agree when equal, or when either is unknown (null); a symbol and a different symbol or a
 * number are not provably equal (SymbolMismatch). No broadcasting.
 * Exception (TF.js): concatenate's non-axis dims must be identical as TF.js sees them, so an unknown
 * or symbolic dim against a number is a SymbolMismatch there; a symbol against null is fine.
 */
import type { Dim, Shape } from '../ir.js';
import type { LayerDef, ShapeResult, TfLayerSpec } from './types.js';
import {
  arg,
  configFromArgs,
  axisIndex,
  defineLayer,
  dimsAgree,
  fail,
  formatShape,
  intT,
  isKnown,
  nameArg,
  noParams,
  numArg,
  ok,
  unifyDim,
} from './common.js';

const MANY = { min: 2, max: Infinity };

function countCheck(layer: string, inputs: readonly Shape[]): ShapeResult | undefined {
  if (inputs.length >= 2) return undefined;
  return fail(
    'InputCount',
    { layer, expected: 'at least 2', got: inputs.length },
    'Feed a list: `[a, b] -> ' + layer + '()`.',
  );
}

function rankCheck(layer: string, inputs: readonly Shape[]): ShapeResult | undefined {
  const first = inputs[0]!;
  for (const s of inputs.slice(1)) {
    if (s.length !== first.length) {
      return fail('RankMismatch', {
        layer,
        expected: `${first.length + 1}-D`,
        expectedShape: formatShape(first),
        got: formatShape(s),
      });
    }
  }
  return undefined;
}

function mismatch(kind: 'dim' | 'symbol', what: string, dim: number, a: Dim, b: Dim): ShapeResult {
  const show = (d: Dim) => (d === null ? '?' : String(d));
  if (kind === 'dim') return fail('DimMismatch', { what, dim, a: show(a), b: show(b) });
  return fail(
    'SymbolMismatch',
    { what, a: show(a), b: show(b) },
    'Use the same symbol for dimensions that must be equal, or a concrete size.',
  );
}

function elementwise(name: string, className: string): LayerDef {
  return defineLayer({
    name,
    className,
    pytorch: { className },
    doc: `Element-wise ${name === 'add' ? 'sum' : name === 'multiply' ? 'product' : name === 'average' ? 'mean' : name} of two or more inputs of the same shape.`,
    shapeDoc: '[...], [...] -> [...] (all inputs the same shape)',
    category: 'merge',
    main: [],
    inputs: MANY,
    args: { name: nameArg() },
    // TF.js 4.22's Merge.computeMask returns a mis-shaped mask (the first input's, with a leading axis).
    masking: () => ({ supports: true, output: 'merge' }),
    outputShapes(_inst, inputs): ShapeResult {
      const c = countCheck(name, inputs) ?? rankCheck(name, inputs);
      if (c) return c;
      const out: Shape = inputs[0]!.slice();
      for (let k = 1; k < inputs.length; k++) {
        const s = inputs[k]!;
        for (let i = 0; i < out.length; i++) {
          const agree = dimsAgree(out[i]!, s[i]!);
          if (agree !== 'ok') {
            return mismatch(
              agree,
              `${name} inputs ${formatShape(inputs[0]!)} and ${formatShape(s)}`,
              i + 1,
              out[i]!,
              s[i]!,
            );
          }
          out[i] = unifyDim(out[i]!, s[i]!);
        }
      }
      return ok(out);
    },
    paramCount: noParams,
  });
}

export const add = elementwise('add', 'Add');
export const multiply = elementwise('multiply', 'Multiply');
export const average = elementwise('average', 'Average');

export const concatenate: LayerDef = defineLayer({
  name: 'concatenate',
  className: 'Concatenate',
  pytorch: { className: 'Concatenate' },
  category: 'merge',
  doc: 'Concatenates two or more inputs along `axis` (default the last).',
  notes: [
    'A negative axis other than -1 is lowered as a positive one: TF.js joins the last axis at run time for any negative axis.',
  ],
  tfjs: {
    spec(inst, outputShape): TfLayerSpec {
      const config = configFromArgs(inst);
      // tfjs-layers 4.22's K.concatenate turns every negative axis into the last one at run time,
      // contradicting its own output shape: lower the checked positive axis (batch is 0).
      const axis = config.axis;
      if (typeof axis === 'number' && axis < -1 && outputShape) config.axis = outputShape.length + 1 + axis;
      return { factory: 'concatenate', config };
    },
  },
  shapeDoc: '[..., A], [..., B] -> [..., A + B] (other dims equal)',
  main: [],
  inputs: MANY,
  // Keeps a step when every input keeps it (an unmasked input keeps all).
  masking: () => ({ supports: true, reads: true, output: 'carry' }),
  args: {
    axis: arg(intT(), 'The axis to concatenate along (batch is 0; -1 is the last axis).', { default: -1 }),
    name: nameArg(),
  },
  outputShapes(inst, inputs): ShapeResult {
    const c = countCheck('concatenate', inputs) ?? rankCheck('concatenate', inputs);
    if (c) return c;
    const first = inputs[0]!;
    const axis = numArg(inst, 'axis', -1);
    const ax = axisIndex(axis, first.length);
    if (ax === undefined) {
      return fail(
        'AxisOutOfRange',
        { axis, shape: formatShape(first) },
        'Axes count the batch as 0; -1 is the last axis.',
        'axis',
      );
    }
    const out: Shape = first.slice();
    let sum: number | null = typeof first[ax] === 'number' ? (first[ax] as number) : null;
    for (let k = 1; k < inputs.length; k++) {
      const s = inputs[k]!;
      for (let i = 0; i < out.length; i++) {
        if (i === ax) continue;
        const what = `concatenate inputs ${formatShape(first)} and ${formatShape(s)}`;
        const agree = dimsAgree(out[i]!, s[i]!);
        if (agree !== 'ok') return mismatch(agree, what, i + 1, out[i]!, s[i]!);
        // TF.js Concatenate compares the non-axis dims exactly as it sees them (symbols are null there):
        // an unknown dim against a known size fails when the layer is built.
        const tfA = isKnown(out[i]!) ? out[i] : null;
        const tfB = isKnown(s[i]!) ? s[i] : null;
        if (tfA !== tfB) {
          return fail(
            'SymbolMismatch',
            { what, a: out[i] ?? '?', b: s[i] ?? '?' },
            'TF.js concatenate needs the other dimensions to be identical; declare the unknown dimension with the same size.',
          );
        }
        out[i] = unifyDim(out[i]!, s[i]!);
      }
      const d = s[ax];
      sum = sum !== null && typeof d === 'number' ? sum + d : null;
    }
    out[ax] = sum;
    return ok(out);
  },
  paramCount: noParams,
});
