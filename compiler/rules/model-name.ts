/**
 * A model's name becomes TypeScript identifiers (`buildName`) and a file name (`Name.ts`): every rule
 * `compile` needs is checked here, so `check` passes exactly what `compile` accepts.
 */
import { Diagnostics } from '../../base/diagnostics.js';
import type { ModelRule } from './types.js';

const ASCII_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** Why a model name cannot be used for a module, or undefined when it can. */
export function invalidModelNameReason(name: string): string | undefined {
  if (!ASCII_IDENT.test(name)) {
    return 'a model name becomes part of TypeScript identifiers and of a file name, so it must start with an ASCII letter or _ and contain only ASCII letters, digits and _';
  }
  if (WINDOWS_DEVICE.test(name)) return `${name}.ts is a reserved device name on Windows`;
  if (name.length > 200) return 'a model name must be at most 200 characters long';
  return undefined;
}

export const modelName: ModelRule = ({ st }) => {
  const n = st.decl.name;
  const reason = invalidModelNameReason(n.name);
  if (reason !== undefined) st.err(Diagnostics.InvalidModelName, n.span, { name: n.name, reason });
};
