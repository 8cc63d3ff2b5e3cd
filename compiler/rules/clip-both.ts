/** clipNorm and clipValue together are rarely meant (norm first, then value). */
import { Diagnostics } from '../../base/diagnostics.js';
import type { ModelRule } from './types.js';

export const clipBoth: ModelRule = ({ st, train }) => {
  if (train.clipNorm !== undefined && train.clipValue !== undefined) {
    st.err(Diagnostics.ClipBoth, train.spans['clipValue'] ?? st.decl.trainSpan ?? st.decl.span);
  }
};
