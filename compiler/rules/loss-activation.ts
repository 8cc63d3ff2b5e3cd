/** The loss fits the output activation (softmax for categorical cross-entropy, sigmoid for binary). */
import { Diagnostics } from '../../base/diagnostics.js';
import type { IRNode } from '../ir.js';
import type { ModelRule } from './types.js';

/** The output activation each loss expects. */
const WANT: Readonly<Record<string, string>> = {
  categoricalCrossentropy: 'softmax',
  sparseCategoricalCrossentropy: 'softmax',
  binaryCrossentropy: 'sigmoid',
};

/** The loss that usually goes with an output activation (for hints). */
const FITTING_LOSS: Readonly<Record<string, string>> = {
  sigmoid: 'binaryCrossentropy',
  softmax: 'categoricalCrossentropy',
  linear: 'meanSquaredError',
};

/** The activation applied last by a node (looking through timeDistributed / bidirectional). */
function finalActivation(node: IRNode | undefined): string | undefined {
  const a = node?.args['activation'] ?? node?.inner?.args['activation'];
  return typeof a === 'string' ? a : undefined;
}

export const lossActivation: ModelRule = ({ st, outputs, train }) => {
  const lossSpan = train.spans['loss'];
  const expected = WANT[train.loss];
  if (!expected || !lossSpan) return;
  for (const p of outputs.producers) {
    const activation = finalActivation(p);
    if (!p || activation === undefined || activation === expected) continue;
    const fitting = FITTING_LOSS[activation];
    st.err(
      Diagnostics.LossActivation,
      lossSpan,
      { loss: train.loss, expected: `a ${expected} output`, layer: p.name, activation },
      `Add \`activation: ${expected}\` to ${p.name} (line ${p.span.line}), or pick a loss that fits a ${activation} output${fitting ? ` (${fitting})` : ''}.`,
    );
  }
};
