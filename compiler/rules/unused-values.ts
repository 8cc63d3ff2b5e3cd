/** Inputs and `let` values that feed nothing (names starting with _ are exempt; not after syntax errors). */
import { Diagnostics } from '../../base/diagnostics.js';
import type { ModelRule } from './types.js';

export const unusedValues: ModelRule = ({ st }) => {
  if (st.afterSyntaxErrors) return;
  for (const [name, b] of st.env) {
    if (b.used || b.kind === 'chain' || name.startsWith('_')) continue;
    st.err(
      Diagnostics.UnusedValue,
      b.span,
      { name },
      b.kind === 'input' ? 'Remove the input or feed it to a layer.' : 'Feed it to a layer or list it in `output`.',
    );
  }
};
