/** Each output's loss fits its activation (softmax for categorical cross-entropy, sigmoid for binary). */
import { Diagnostics } from '../../base/diagnostics.js';
import type { IRNode } from '../ir.js';
import { perOutput } from '../train.js';
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
  const losses = train.losses ? perOutput(train.losses, outputs.names) : outputs.names.map(() => train.loss);
  if (!losses) return; // a per-output list or map that does fit the outputs (output-losses.ts reports it)
  outputs.producers.forEach((p, i) => {
    const loss = losses[i]!;
    const expected = WANT[loss];
    // Per-output losses point at their own entry; one loss for every output at the `loss` key.
    const lossSpan = train.losses
      ? train.losses.spans[train.losses.by === 'list' ? i : train.losses.names.indexOf(outputs.names[i]!)]
      : train.spans['loss'];
    if (!expected || !lossSpan) return;
    const activation = finalActivation(p);
    if (!p || activation === undefined || activation === expected) return;
    const fitting = FITTING_LOSS[activation];
    st.err(
      Diagnostics.LossActivation,
      lossSpan,
      { loss, expected: `a ${expected} output`, layer: p.name, activation },
      `Add \`activation: ${expected}\` to ${p.name} (line ${p.span.line}), or pick a loss that fits a ${activation} output${fitting ? ` (${fitting})` : ''}.`,
    );
  });
};
