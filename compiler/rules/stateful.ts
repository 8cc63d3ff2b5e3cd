/**
 * Declared batch sizes and stateful layers: a stateful layer needs every input to declare the batch,
 * declared batches agree, `train { batchSize }` equals the declared batch, and shuffling a stateful
 * model's samples is warned about (compiler/lower/batch.ts fills the defaults first).
 */
import { Diagnostics } from '../../base/diagnostics.js';
import type { Span } from '../../base/span.js';
import { statefulLayers } from '../lower/batch.js';
import type { ModelRule } from './types.js';

export const statefulAndBatch: ModelRule = ({ st, train }) => {
  const batchSpan = (name: string): Span | undefined => {
    for (const s of st.decl.statements) if (s.kind === 'input' && s.name.name === name) return s.batch?.span;
    return undefined;
  };
  const declared = st.inputs.filter((i) => i.batch !== undefined);
  const first = declared[0];
  for (const other of declared.slice(1)) {
    if (other.batch !== first!.batch)
      st.err(Diagnostics.InputBatchMismatch, batchSpan(other.name) ?? other.span, {
        name: other.name,
        batch: other.batch,
        other: first!.name,
        otherBatch: first!.batch,
      });
  }
  if (first !== undefined && train.spans['batchSize'] !== undefined && train.batchSize !== first.batch) {
    st.err(Diagnostics.TrainBatchMismatch, train.spans['batchSize'], {
      batchSize: train.batchSize,
      input: first.name,
      batch: first.batch,
    });
  }
  const stateful = statefulLayers(st.nodes);
  if (stateful.length === 0) return;
  const { node, layer } = stateful[0]!;
  const at = layer.argSpans['stateful'] ?? layer.span;
  const missing = st.inputs.find((i) => i.batch === undefined);
  if (missing !== undefined) {
    const dims = missing.shape.map((d) => (d === null ? '?' : String(d))).join(', ');
    st.err(
      Diagnostics.StatefulWithoutBatch,
      at,
      { name: node.name, input: missing.name },
      `Declare the batch size: ${st.spell(
        `\`input ${missing.name}: [${dims}] batch 25\``,
        `\`inputs: {${missing.name}: {shape: [${dims}], batch: 25}}\``,
      )}.`,
    );
  }
  if (train.shuffle && train.spans['shuffle'] !== undefined) {
    st.err(Diagnostics.StatefulShuffle, train.spans['shuffle'], { name: node.name });
  }
};
