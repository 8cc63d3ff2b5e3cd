/**
 * A small JSON reader that keeps positions: every value carries the span of its text, so that
 * `lstmc import` can point a diagnostic at the layer object (or the setting) in the imported file.
 *
 * RFC 8259 JSON, plus the bare `NaN`, `Infinity` and `-Infinity` that Python's `json.dumps` writes
 * (Keras `to_json()` output may hold them). Duplicate keys keep the last value (as `JSON.parse`).
 * Nesting is capped (no stack overflow on 100,000 brackets). Never throws: a syntax error is
 * returned as a message with its position.
 */
import { lineOfOffset, type Span } from '../../base/span.js';

export type JsonNode =
  | { kind: 'object'; entries: Map<string, JsonEntry>; span: Span }
  | { kind: 'array'; items: JsonNode[]; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'null'; span: Span };

export interface JsonEntry {
  key: string;
  keySpan: Span;
  value: JsonNode;
}

export type JsonObject = Extract<JsonNode, { kind: 'object' }>;
export type JsonArray = Extract<JsonNode, { kind: 'array' }>;

export type JsonParse = { ok: true; value: JsonNode } | { ok: false; message: string; span: Span };

/** Deeper than this is not a model topology (Keras nests a wrapper's layer a few levels down). */
export const MAX_JSON_DEPTH = 256;

class JsonError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Line starts, for offset → line/column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export class Positions {
  private readonly starts: number[];
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.starts = lineStarts(text);
  }
  private lineOf(offset: number): number {
    return lineOfOffset(this.starts, offset);
  }
  span(start: number, end: number): Span {
    const s = Math.max(0, Math.min(start, this.text.length));
    const e = Math.max(s, Math.min(end, this.text.length));
    const l1 = this.lineOf(s);
    const l2 = this.lineOf(e);
    return {
      file: this.file,
      line: l1 + 1,
      column: s - this.starts[l1]! + 1,
      endLine: l2 + 1,
      endColumn: e - this.starts[l2]! + 1,
      offset: s,
      endOffset: e,
    };
  }
}

class Reader {
  i = 0;
  constructor(
    readonly text: string,
    readonly pos: Positions,
  ) {}

  ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  fail(message: string, at = this.i): never {
    throw new JsonError(message, at);
  }

  what(): string {
    if (this.i >= this.text.length) return 'end of file';
    const ch = this.text[this.i]!;
    return JSON.stringify(ch);
  }

  value(depth: number): JsonNode {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.ws();
    const start = this.i;
    const c = this.text[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') {
      const value = this.string();
      return { kind: 'string', value, span: this.pos.span(start, this.i) };
    }
    for (const [word, node] of [
      ['true', { kind: 'bool', value: true }],
      ['false', { kind: 'bool', value: false }],
      ['null', { kind: 'null' }],
      ['NaN', { kind: 'number', value: NaN }],
      ['Infinity', { kind: 'number', value: Infinity }],
      ['-Infinity', { kind: 'number', value: -Infinity }],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return { ...node, span: this.pos.span(start, this.i) } as JsonNode;
      }
    }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const num = m.exec(this.text);
    if (num && num[0] !== '' && num[0] !== '-') {
      this.i += num[0].length;
      return { kind: 'number', value: Number(num[0]), span: this.pos.span(start, this.i) };
    }
    return this.fail(`unexpected ${this.what()}; expected a value`);
  }

  string(): string {
    const t = this.text;
    const start = this.i;
    this.i++; // opening quote
    let out = '';
    let chunk = this.i;
    while (true) {
      if (this.i >= t.length) this.fail('unterminated string', start);
      const c = t.charCodeAt(this.i);
      if (c === 34) {
        out += t.slice(chunk, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('a control character inside a string');
      if (c === 92) {
        out += t.slice(chunk, this.i);
        const e = t[this.i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          this.i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(t.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          this.fail(`invalid escape ${JSON.stringify(t.slice(this.i, this.i + 2))}`);
        }
        chunk = this.i;
        continue;
      }
      this.i++;
    }
  }

  object(depth: number): JsonNode {
    const start = this.i;
    this.i++;
    const entries = new Map<string, JsonEntry>();
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'object', entries, span: this.pos.span(start, this.i) };
    }
    while (true) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail(`unexpected ${this.what()}; expected a key in double quotes`);
      const keyStart = this.i;
      const key = this.string();
      const keySpan = this.pos.span(keyStart, this.i);
      this.ws();
      if (this.text[this.i] !== ':') this.fail(`unexpected ${this.what()}; expected ":"`);
      this.i++;
      const value = this.value(depth + 1);
      entries.delete(key);
      entries.set(key, { key, keySpan, value });
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return { kind: 'object', entries, span: this.pos.span(start, this.i) };
      }
      this.fail(`unexpected ${this.what()}; expected "," or "}"`);
    }
  }

  array(depth: number): JsonNode {
    const start = this.i;
    this.i++;
    const items: JsonNode[] = [];
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return { kind: 'array', items, span: this.pos.span(start, this.i) };
    }
    while (true) {
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return { kind: 'array', items, span: this.pos.span(start, this.i) };
      }
      this.fail(`unexpected ${this.what()}; expected "," or "]"`);
    }
  }
}

/** Parse JSON text with positions. A leading byte-order mark is skipped. */
export function parseJson(text: string, file: string): JsonParse {
  const pos = new Positions(text, file);
  const r = new Reader(text, pos);
  if (text.charCodeAt(0) === 0xfeff) r.i = 1;
  try {
    const value = r.value(0);
    r.ws();
    if (r.i < text.length) r.fail(`unexpected ${r.what()} after the JSON value`);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, message: e.message, span: pos.span(e.offset, e.offset + 1) };
    return { ok: false, message: e instanceof Error ? e.message : String(e), span: pos.span(0, 0) };
  }
}

// ---------------------------------------------------------------------------------------------
// Accessors

export function field(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.kind === 'object' ? node.entries.get(key)?.value : undefined;
}

export function entryOf(node: JsonNode | undefined, key: string): JsonEntry | undefined {
  return node?.kind === 'object' ? node.entries.get(key) : undefined;
}

export function str(node: JsonNode | undefined): string | undefined {
  return node?.kind === 'string' ? node.value : undefined;
}

export function num(node: JsonNode | undefined): number | undefined {
  return node?.kind === 'number' ? node.value : undefined;
}

export function isObject(node: JsonNode | undefined): node is JsonObject {
  return node?.kind === 'object';
}

export function isArray(node: JsonNode | undefined): node is JsonArray {
  return node?.kind === 'array';
}

/** The plain JS value of a node (for comparisons and messages). */
export function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries([...node.entries].map(([k, e]) => [k, plain(e.value)]));
    case 'array':
      return node.items.map(plain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

/** A short text of a value for messages: `0.01`, `"l2"`, `L1L2` for a `{class_name: L1L2}`. */
export function shortText(node: JsonNode): string {
  if (node.kind === 'object') {
    const cls = str(field(node, 'class_name'));
    if (cls !== undefined) return cls;
    return '{...}';
  }
  if (node.kind === 'array') return node.items.length <= 4 ? `[${node.items.map(shortText).join(', ')}]` : '[...]';
  if (node.kind === 'string') return JSON.stringify(node.value);
  if (node.kind === 'null') return 'null';
  return String(node.value);
}
