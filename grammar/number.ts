/**
 * The one rule for numeric literals, used by both front ends (`.lstm` and YAML), so the same literal
 * gets the same AST value and the same diagnostic in either spelling:
 *
 * - A literal spelled as an integer (`25`, `-1`; YAML also `+1`, `0x1F`, `0o17`) is an `int`, any
 *   other number (`0.5`, `1e-3`, `1e3`) a `float`.
 * - A literal whose value is finite is a number, whatever its size: `units: 9007199254740992` parses,
 *   and the checker says whether it is in range for its place (LSTM2004, LSTM3008, ...). Integers
 *   beyond 2^53 lose precision, but every integer argument is range-checked against 2^53 - 1.
 * - A literal that does not denote a finite number is LSTM1006: overflow to infinity (`1e400`), YAML's
 *   `.inf` and `.nan`, and a non-zero literal that underflows to 0 (`1e-400`: the value written is
 *   not the value used).
 */

export interface NumberLiteral {
  kind: 'int' | 'float';
  value: number;
  /** Why the literal is not representable (the `{reason}` of LSTM1006), or undefined when it is. */
  problem?: string;
}

/** Integer spellings (YAML 1.2 core schema; the `.lstm` lexer produces only the decimal ones). */
const INT_SPELLING = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const INFINITY_SPELLING = /^[-+]?\.inf$/i;

/**
 * Classifies and checks one numeric literal. `raw` is the literal as written; `value` is what the
 * front end's parser made of it (default `Number(raw)`; YAML passes its own, e.g. for `.inf`).
 */
export function numberLiteral(raw: string, value: number = Number(raw)): NumberLiteral {
  const kind = INT_SPELLING.test(raw) ? 'int' : 'float';
  let problem: string | undefined;
  if (Number.isNaN(value)) problem = 'it is not a number';
  else if (!Number.isFinite(value))
    problem = INFINITY_SPELLING.test(raw) ? 'infinity is not allowed' : 'it is too large to be a finite number';
  else if (kind === 'float' && value === 0 && /[1-9]/.test(raw.split(/[eE]/)[0]!))
    problem = 'it is too small and would round to 0';
  return problem === undefined ? { kind, value } : { kind, value, problem };
}
