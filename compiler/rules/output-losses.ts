/**
 * Per-output losses and loss weights fit the model's outputs: a list has one entry per output
 * (LSTM4040), a map names only outputs (LSTM4041, did-you-mean) and every one of them (LSTM4042).
 * Also: no data source gives targets for several outputs (LSTM4043).
 */
import { Diagnostics } from '../../base/diagnostics.js';
import { didYouMeanFixes, didYouMeanHint } from '../../base/did-you-mean.js';
import type { IRPerOutput } from '../ir.js';
import type { ModelRule, ModelRuleContext } from './types.js';

function checkPerOutput<T>({ st, outputs }: ModelRuleContext, key: string, p: IRPerOutput<T> | undefined): void {
  if (p === undefined || outputs.refs.length === 0) return;
  const names = outputs.names;
  const model = st.decl.name.name;
  if (p.by === 'list') {
    if (p.values.length === names.length) return;
    st.err(
      Diagnostics.LossOutputCount,
      p.span,
      { key, got: p.values.length, model, outputs: names.length },
      names.length === 1
        ? `The model has one output: give a single value${key === 'loss' ? ', e.g. `loss: ' + String(p.values[0]) + '`' : ''}.`
        : `Give one value per output, in the order of the outputs: ${names.join(', ')}; or a map by name: {${names.map((n) => `${n}: ...`).join(', ')}}.`,
    );
    return;
  }
  let unknown = false;
  p.names.forEach((n, i) => {
    if (names.includes(n)) return;
    unknown = true;
    const span = p.spans[i]!;
    st.err(
      Diagnostics.LossUnknownOutput,
      span,
      { key, name: n, model },
      didYouMeanHint(n, names) ?? `The outputs are: ${names.join(', ')}.`,
      didYouMeanFixes(span, n, names),
    );
  });
  if (unknown) return; // a misspelt name is the missing one, most likely: said once
  for (const n of names) {
    if (p.names.includes(n)) continue;
    st.err(Diagnostics.LossMissingOutput, p.span, { key, name: n }, `The outputs are: ${names.join(', ')}.`);
  }
}

export const outputLosses: ModelRule = (ctx) => {
  checkPerOutput(ctx, 'loss', ctx.train.losses);
  checkPerOutput(ctx, 'lossWeights', ctx.train.lossWeights);
  const { st, outputs, data } = ctx;
  if (data && outputs.refs.length > 1) {
    st.err(
      Diagnostics.DataMultiOutput,
      data.data.spans[data.data.source] ?? data.data.span,
      { model: st.decl.name.name, outputs: outputs.refs.length },
      'Remove the data block and train through the compiled module (compile<Model>, then model.fit with one target array per output) or the runtime API.',
    );
  }
};
