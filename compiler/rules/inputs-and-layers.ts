/** A model declares an input and has at least one layer (not after syntax errors: a dropped line may explain it). */
import { Diagnostics } from '../../base/diagnostics.js';
import type { ModelRule } from './types.js';

export const hasInput: ModelRule = ({ st }) => {
  const declaresInput = st.decl.statements.some((s) => s.kind === 'input');
  // An input that is declared but invalid was reported where it is; do not also say "no input".
  if (!declaresInput && !st.afterSyntaxErrors)
    st.err(Diagnostics.NoInput, st.decl.name.span, { model: st.decl.name.name });
};

export const hasLayers: ModelRule = ({ st }) => {
  const stmts = st.decl.statements;
  const declaresInput = stmts.some((s) => s.kind === 'input');
  const hasAny = stmts.some((s) => s.kind === 'layer' || (s.kind === 'let' && s.chain.length > 0));
  if (!hasAny && declaresInput && !st.afterSyntaxErrors) {
    st.err(
      Diagnostics.EmptyModel,
      st.decl.name.span,
      { model: st.decl.name.name },
      st.spell('Add a layer line such as `lstm(32)` after the input.', 'Add layers such as `layers: [{lstm: 32}]`.'),
    );
  }
};
