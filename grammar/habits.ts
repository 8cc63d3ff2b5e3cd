/**
 * Python / Keras habits, recognised so that a syntax error can say how lstmc spells the same thing.
 *
 * `rewriteHabits` rewrites a run of `.lstm` tokens the way a Keras user meant it:
 *
 *   lstm(50, return_sequences=True)   ->  lstm(50, returnSequences: true)
 *   input x: (None, 1)                ->  input x: [?, 1]
 *   dense(1, activation=None)         ->  dense(1)
 *
 * The `.lstm` front end shows the result in the hint of the parse error; the YAML front end parses
 * it to spell a layer item written as a call (`- lstm(50, returnSequences=True)`) in YAML. The
 * rewrite is purely lexical (no layer knowledge): a name before a `=` that is not `param x =` or
 * `let x =` is an argument or key; `(` that does not follow a name is a tuple.
 */
import { tokenMatcher, type IToken, type TokenType } from './chevrotain.js';
import {
  Colon,
  Comma,
  Equals,
  Identifier,
  Keyword,
  LBrace,
  LBracket,
  LParen,
  Let,
  Param,
  RBrace,
  RBracket,
  RParen,
} from './lexer.js';

export interface HabitRewrite {
  /** The rewritten source of the tokens (whitespace kept, line breaks and comments folded to one space). */
  text: string;
  /** What was rewritten, as short rules in lstmc words, in the order first met. */
  reasons: string[];
  /** Indexes (into the given token array) of the tokens that were rewritten or dropped. */
  changed: Set<number>;
}

const OPEN = new Set<TokenType>([LParen, LBracket, LBrace]);
const CLOSE = new Set<TokenType>([RParen, RBracket, RBrace]);
/** Tokens after which a name is in value position (`a: True`, `[None, 1]`, `f(True)`). */
const BEFORE_VALUE = new Set<TokenType>([Colon, Equals, Comma, LParen, LBracket]);

/** `return_sequences` -> `returnSequences` (a leading underscore is kept). */
export function camelCase(name: string): string {
  return name.replace(/(?<=[A-Za-z0-9])_+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isName(t: IToken | undefined): boolean {
  return t !== undefined && (t.tokenType === Identifier || tokenMatcher(t, Keyword));
}

/** True for the `=` of `name=value` inside a call or block (not `param x =`, not `let x =`). */
function isArgEquals(tokens: IToken[], i: number, from: number): boolean {
  if (tokens[i]?.tokenType !== Equals || i - 1 < from || !isName(tokens[i - 1])) return false;
  const before = i - 2 >= from ? tokens[i - 2] : undefined;
  return before === undefined || (before.tokenType !== Param && before.tokenType !== Let);
}

/**
 * Rewrites tokens[from..to] (inclusive) of `src`. Tokens need `startOffset` and `image`; the result
 * is the original text when nothing applies (then `changed` is empty).
 */
export function rewriteHabits(src: string, tokens: IToken[], from = 0, to = tokens.length - 1): HabitRewrite {
  const out = new Map<number, string>();
  const dropped = new Set<number>();
  /** One reason per rule (the first example wins), in the order first met. */
  const reasons = new Map<string, string>();
  const reason = (rule: string, r: string): void => {
    if (!reasons.has(rule)) reasons.set(rule, r);
  };
  const drop = (a: number, b: number): void => {
    for (let k = a; k <= b; k++) dropped.add(k);
    // with one neighbouring comma: the one after the argument, else the one before it
    if (b + 1 <= to && tokens[b + 1]!.tokenType === Comma) dropped.add(b + 1);
    else if (a - 1 >= from && tokens[a - 1]!.tokenType === Comma) dropped.add(a - 1);
  };
  /** For each opener index in the window, its closer's index (or -1). */
  const partner = new Map<number, number>();
  /** The innermost opener in force at each token. */
  const inside: number[] = [];
  {
    const stack: number[] = [];
    for (let i = from; i <= to; i++) {
      const t = tokens[i]!;
      inside[i] = stack.length > 0 ? stack[stack.length - 1]! : -1;
      if (OPEN.has(t.tokenType)) {
        stack.push(i);
        partner.set(i, -1);
      } else if (CLOSE.has(t.tokenType) && stack.length > 0) {
        partner.set(stack.pop()!, i);
      }
    }
  }
  /** The last token of the value that starts at tokens[k] (a token, or a bracketed group), within the window. */
  const valueEnd = (k: number): number | undefined => {
    if (k > to) return undefined;
    const p = partner.get(k);
    if (p === undefined) return CLOSE.has(tokens[k]!.tokenType) || tokens[k]!.tokenType === Comma ? undefined : k;
    return p >= 0 ? p : undefined;
  };
  const isCallParen = (o: number): boolean =>
    o >= from && tokens[o]!.tokenType === LParen && o - 1 >= from && isName(tokens[o - 1]);

  for (let i = from; i <= to; i++) {
    if (dropped.has(i)) continue;
    const t = tokens[i]!;
    const prev = i - 1 >= from ? tokens[i - 1] : undefined;
    // name=value -> name: value (and snake_case -> camelCase)
    if (isArgEquals(tokens, i, from)) {
      const name = tokens[i - 1]!.image;
      const camel = camelCase(name);
      const end = valueEnd(i + 1);
      if ((camel === 'inputShape' || camel === 'batchInputShape') && end !== undefined && isCallParen(inside[i]!)) {
        // Keras's input_shape=(60, 1): lstmc declares the input once, `input x: [60, 1]`.
        const shape = rewriteHabits(src, tokens, i + 1, end);
        let dims = shape.text.trim();
        if (camel === 'batchInputShape') dims = dims.replace(/^\[\s*[^,\]]*,\s*/, '[');
        drop(i - 1, end);
        for (const k of shape.changed) dropped.add(k);
        reason('input', `the input shape is declared once, \`input x: ${dims}\`, not as a layer argument`);
        i = end;
        continue;
      }
      out.set(i, ':');
      reason('equals', 'arguments and settings are written `name: value`, not `name=value`');
      if (camel !== name) {
        out.set(i - 1, camel);
        reason('camel', `names are camelCase (\`${camel}\`, not \`${name}\`)`);
      }
      continue;
    }
    // a tuple: "(" that follows no name (a call) and no ")" (a call's result)
    if (t.tokenType === LParen && !isName(prev) && prev?.tokenType !== RParen) {
      out.set(i, '[');
      const close = partner.get(i);
      if (close !== undefined && close >= 0) {
        out.set(close, ']');
        // `(60,)`: Python's one-element tuple; lstmc allows the trailing comma, but it reads better without.
        if (close - 1 > i && tokens[close - 1]!.tokenType === Comma) dropped.add(close - 1);
      }
      reason('tuple', 'shapes and other lists are written in square brackets');
      continue;
    }
    if (t.tokenType !== Identifier || (prev !== undefined && !BEFORE_VALUE.has(prev.tokenType))) continue;
    if (i + 1 <= to && tokens[i + 1]!.tokenType === LParen) continue; // a call named True(...)
    if (t.image === 'True' || t.image === 'False') {
      out.set(i, t.image === 'True' ? 'true' : 'false');
      reason('bool', 'booleans are `true` and `false`');
    } else if (t.image === 'None') {
      const o = inside[i]!;
      const afterKey = prev !== undefined && (prev.tokenType === Colon || prev.tokenType === Equals);
      const named = afterKey && i - 2 >= from && isName(tokens[i - 2]);
      if (named && (isCallParen(o) || (o >= from && tokens[o]!.tokenType === LBrace))) {
        // `activation=None`: the argument takes its default when left out.
        drop(i - 2, i);
        reason('noneArg', 'an argument that is `None` is left out (it takes its default)');
      } else {
        out.set(i, '?');
        reason('noneDim', 'an unknown dimension is `?`, not `None`');
      }
    }
  }

  // Reassemble: the text between two kept tokens is kept when it is plain spaces, else one space.
  let text = '';
  let prevEnd = -1;
  let prevKept: number | undefined;
  for (let i = from; i <= to; i++) {
    if (dropped.has(i)) continue;
    const t = tokens[i]!;
    if (prevKept !== undefined) {
      const gap = src.slice(prevEnd, t.startOffset);
      const after = text[text.length - 1];
      // No space after an opener or before a closer / comma when a token between them was dropped.
      const tight =
        (after === '(' || after === '[' || after === '{' || CLOSE.has(t.tokenType) || t.tokenType === Comma) &&
        prevKept !== i - 1;
      text += tight ? '' : /^[ \t]*$/.test(gap) ? gap : ' ';
    }
    const rep = out.get(i) ?? t.image;
    text += rep;
    if (rep === ':' && t.tokenType === Equals) {
      // `name=value` -> `name: value`; `name = value` -> `name: value`
      if (i + 1 <= to && tokens[i + 1]!.startOffset === t.startOffset + 1) text += ' ';
      if (text.endsWith(' : ') || text.endsWith(' :')) text = text.replace(/ :( ?)$/, ':$1');
    }
    prevEnd = t.startOffset + t.image.length;
    prevKept = i;
  }
  const changed = new Set<number>([...out.keys(), ...dropped]);
  return { text, reasons: [...reasons.values()], changed };
}

/** A hint from a rewrite: `Write \`...\`: rule; rule.` (the example only when it is short). */
export function habitHint(r: HabitRewrite, maxExample = 100): string | undefined {
  if (r.reasons.length === 0) return undefined;
  const why = r.reasons.join('; ');
  const text = r.text.trim();
  return text.length > 0 && text.length <= maxExample
    ? `Write \`${text}\`: ${why}.`
    : `${why[0]!.toUpperCase()}${why.slice(1)}.`;
}

/**
 * A hint for Python's `True` / `False` / `None` used as a name where lstmc expects a value (for the
 * checker: such a name is syntactically an identifier, and only the checker knows it is not a param
 * or a symbol). `where` is `dimension` in a shape, `value` elsewhere; the hint is in the spelling of
 * the file. Undefined for any other name.
 */
export function pythonConstantHint(
  name: string,
  format: 'lstm' | 'yaml',
  where: 'value' | 'dimension',
): string | undefined {
  if (name === 'True' || name === 'False') {
    return `Booleans are written \`${name.toLowerCase()}\` and \`${name === 'True' ? 'false' : 'true'}\`; \`${name}\` is Python.`;
  }
  if (name === 'None') {
    if (where === 'dimension') {
      return format === 'yaml'
        ? 'An unknown dimension is written `?` (or `null`) in a shape; `None` is Python.'
        : 'An unknown dimension is written `?`; `None` is Python.';
    }
    return 'Leave the argument out to get its default; `None` is Python.';
  }
  return undefined;
}

/**
 * `units:50` (no space after the colon): YAML reads it as one plain scalar, not as `key: value`.
 * Returns the intended `key: value`, or undefined when the text does not look like that.
 */
export function missingSpaceAfterColon(text: string): string | undefined {
  const m = /^([A-Za-z_$][A-Za-z0-9_]*):([^\s:][^\n]*)$/.exec(text.trim());
  if (!m || /^\/\//.test(m[2]!)) return undefined; // not a URL such as http://...
  return `${m[1]}: ${m[2]}`;
}

/**
 * `(60, 1)` / `(None, 1)` / `(60,)` written where a list belongs: the lstmc list, or undefined
 * when the text is not a parenthesised tuple.
 */
export function tupleAsList(text: string): string | undefined {
  const m = /^\(([^()]*)\)$/.exec(text.trim());
  if (!m) return undefined;
  const items = m[1]!.split(',').map((s) => s.trim());
  if (items.length > 0 && items[items.length - 1] === '') items.pop();
  if (items.length === 0 || items.some((s) => s === '')) return undefined;
  return `[${items.map((s) => (s === 'None' ? '?' : s)).join(', ')}]`;
}
