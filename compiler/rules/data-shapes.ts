/**
 * The examples the `data { }` block produces fit the model: one input shape per model input, one
 * target shape per output (LSTM4011, LSTM4007). Mismatches point at the entry that names the source.
 */
import { Diagnostics } from '../../base/diagnostics.js';
import { shapesCompatible } from '../data-schema.js';
import { formatShape } from '../layers/common.js';
import type { ModelRule } from './types.js';

export const dataShapes: ModelRule = ({ st, outputs, data }) => {
  if (!data) return;
  const at = data.data.spans[data.data.source] ?? data.data.span;
  const { input, target } = data.shapes;
  if (input.length === st.inputs.length) {
    input.forEach((s, i) => {
      const inp = st.inputs[i]!;
      if (shapesCompatible(s, inp.shape)) return;
      st.err(
        Diagnostics.DataInputShape,
        at,
        { data: formatShape(s), name: inp.name, input: formatShape(inp.shape) },
        `Declare ${st.inputExample(inp.name, s.map((d) => d ?? '?').join(', '))} or change the data options.`,
      );
    });
  }
  if (outputs.refs.length === 0 || target.length !== outputs.shapes.length) return;
  target.forEach((s, i) => {
    const out = outputs.shapes[i]!;
    if (shapesCompatible(s, out)) return;
    let hint: string | undefined;
    if (out.length === s.length + 1) {
      hint =
        'The model outputs a sequence but the targets are one vector per example: remove `returnSequences: true` from the last recurrent layer, or drop timeDistributed.';
    } else if (out.length + 1 === s.length) {
      hint =
        'The targets are sequences but the model outputs one vector per example: set `returnSequences: true` on the last recurrent layer and wrap the output layer in timeDistributed(...).';
    }
    st.err(Diagnostics.TargetShape, at, { target: formatShape(s), output: formatShape(out) }, hint);
  });
};
