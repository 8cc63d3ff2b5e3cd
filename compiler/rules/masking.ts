/**
 * Masks through the model, as TF.js 4.22 runs them: `masking` and `embedding(..., maskZero: true)` make a
 * mask, each layer's `MaskRule` (the layer table) says whether it passes it on, reads it or drops it.
 * Tells the user where TF.js would silently lose a mask (LSTM3020), that the loss is not masked (LSTM3021),
 * and refuses what TF.js 4.22 would fail on or compute wrongly (LSTM3022, LSTM3023).
 */
import { Diagnostics } from '../../base/diagnostics.js';
import type { IRNode, ValueRef } from '../ir.js';
import { instanceOf } from '../layers/table.js';
import type { MaskRule } from '../layers/types.js';
import type { ModelRule } from './types.js';

/**
 * The mask a value carries: the layer that made it, the add/multiply/average it went through, and the
 * goBackwards layer that reversed the sequence but not the mask, if any.
 */
interface Mask {
  source: IRNode;
  merge?: IRNode;
  reversedBy?: IRNode;
}

const NO_MASKS: MaskRule = { supports: false, output: 'none' };

const key = (r: ValueRef): string => `${r.node}\u0000${r.index}`;
const label = (n: IRNode): string => `${n.name} (line ${n.span.line})`;

export const maskFlow: ModelRule = ({ st, outputs, train, data }) => {
  const masks = new Map<string, Mask>();
  const reportedMerges = new Set<IRNode>();
  for (const node of st.nodes) {
    const inst = instanceOf(node);
    if (!inst) continue;
    const rule = inst.def.masking?.(inst) ?? NO_MASKS;
    const incoming = node.inputs.map((r) => masks.get(key(r))).filter((m): m is Mask => m !== undefined);
    const first = incoming.find((m) => m.merge) ?? incoming[0];
    if (first) {
      if (!rule.supports) {
        st.err(
          Diagnostics.MaskDropped,
          node.span,
          { source: label(first.source), layer: node.name },
          'Read the masked sequence with a recurrent layer first (without returnSequences its output carries no mask), or drop the mask.',
        );
      }
      if (rule.refuses) {
        st.err(Diagnostics.MaskRefused, node.span, {
          layer: node.name,
          source: label(first.source),
          reason: rule.refuses,
        });
      }
      if (rule.reads) {
        const reversed = incoming.find((m) => m.reversedBy);
        if (reversed?.reversedBy) {
          st.err(
            Diagnostics.MaskReversed,
            node.span,
            { reader: label(node), reverser: label(reversed.reversedBy), source: label(reversed.source) },
            'Run backwards with bidirectional (it reverses the backward sequence back), or end the mask before (returnSequences: false).',
          );
        }
        for (const m of incoming) {
          if (!m.merge || reportedMerges.has(m.merge)) continue;
          reportedMerges.add(m.merge);
          st.err(
            Diagnostics.MaskMerged,
            m.merge.span,
            { merge: m.merge.name, source: label(m.source), reader: `${node.name} (line ${node.span.line})` },
            'Merge masked sequences with concatenate (which combines masks correctly), or merge after the recurrent layers.',
          );
        }
      }
    }
    let out: Mask | undefined;
    if (rule.refuses && first)
      out = undefined; // refused above: no cascade
    else if (rule.output === 'new') out = { source: node };
    else if (rule.supports && first && rule.output === 'carry')
      out = rule.reverses ? { ...first, reversedBy: node } : first;
    else if (rule.supports && first && rule.output === 'merge') out = { source: first.source, merge: node };
    if (out) masks.set(key({ node: node.name, index: 0 }), out);
  }
  // The loss matters to a model that is trained: one with a train or a data block.
  const trained = Object.keys(train.spans).length > 0 || data !== undefined;
  outputs.refs.forEach((r, i) => {
    const m = trained ? masks.get(key(r)) : undefined;
    const producer = outputs.producers[i];
    if (!m || !producer) return;
    st.err(
      Diagnostics.MaskedLoss,
      producer.span,
      { output: outputs.names[i] ?? r.node, source: label(m.source) },
      'The model also learns the padded steps; Keras 2 would leave them out. A recurrent layer without returnSequences before the output ends the mask.',
    );
  });
};
