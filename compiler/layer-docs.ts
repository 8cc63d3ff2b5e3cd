/**
 * docs/layers.md, generated from the layer table (compiler/layers/table.ts): per layer its doc
 * sentence, call form, argument table (type in words, Keras 2 default, description), shape rule,
 * TF.js / Keras differences and example calls in both spellings; then the enum value sets and the
 * layers lstmc knows of but does not support (compiler/layers/unsupported.ts).
 *
 * Pure: no tfjs, no file system. `npm run docs` writes the file (compiler/layer-docs-cli.ts);
 * test/docs.test.ts fails when docs/layers.md differs from `renderLayerDocs()`, and checks that every
 * example call checks clean and lowers to the same IR in both spellings.
 */
import { LAYERS } from './layers/table.js';
import { UNSUPPORTED_LAYERS } from './layers/unsupported.js';
import type { ArgSpec, ArgType, LayerCategory, LayerDef, LayerInstance } from './layers/types.js';
import type { ArgValue } from './ir.js';

/** Section titles, in the order the sections appear. Every category must have one (type-checked). */
export const CATEGORY_TITLES: Readonly<Record<LayerCategory, string>> = {
  recurrent: 'Recurrent layers',
  core: 'Core layers',
  embedding: 'Embedding layers',
  conv: 'Convolution layers',
  pooling: 'Pooling layers',
  normalization: 'Normalization layers',
  merge: 'Merge layers',
  attention: 'Attention layers',
  wrapper: 'Wrappers',
};

const UNSUPPORTED_TITLE = 'Not supported (yet)';

/** Enum value sets longer than this are listed once, under "Value sets", instead of in every row. */
const INLINE_ENUM_MAX = 6;

// ---------------------------------------------------------------------------------------------
// Example calls
// ---------------------------------------------------------------------------------------------

type ExValue = number | boolean | string | readonly number[] | ExCall;

/** An example call: main arguments positionally, the others by name. */
interface ExCall {
  def: LayerDef;
  positional: ExValue[];
  named: [string, ExValue][];
}

/** One example, spelled both ways, as docs/layers.md shows it. */
export interface LayerExample {
  /** The `.lstm` line: `lstm(32, returnSequences: true)`, or `let m = [a, b] -> add()` for merges. */
  lstm: string;
  /** The YAML line: `- lstm: {units: 32, returnSequences: true}`, or a graph step for merges. */
  yaml: string;
}

const isCall = (v: ExValue): v is ExCall => typeof v === 'object' && !Array.isArray(v);
const isWrapper = (def: LayerDef): boolean => def.args[def.main[0] ?? '']?.type.kind === 'layer';
const takesList = (def: LayerDef): boolean => def.inputs.min >= 2;

/** The layer a wrapper's example wraps: the first wrappable one that reads one step, else the first. */
function exampleInner(wrapper: LayerDef): LayerDef | undefined {
  const candidates = [...LAYERS.values()].filter((d) => !isWrapper(d) && (wrapper.canWrap?.(d) ?? true));
  return candidates.find((d) => !d.readsSequence) ?? candidates[0];
}

/** A value for a required argument (main arguments and required named ones): the default, or a typical one. */
function exampleValue(spec: ArgSpec): ExValue | undefined {
  const d = spec.default;
  if (typeof d === 'number' || typeof d === 'boolean' || typeof d === 'string') return d;
  if (Array.isArray(d) && d.every((x) => typeof x === 'number')) return d as number[];
  const t = spec.type;
  switch (t.kind) {
    case 'int':
      return Math.min(Math.max(32, t.min ?? 32), t.max ?? 32);
    case 'float':
      return (t.max ?? 1) <= 1 ? 0.2 : Math.max(1, t.min ?? 1);
    case 'bool':
      return true;
    case 'string':
      return 'name';
    case 'enum':
      // The first value of a set is often its identity (`linear`); the second shows more.
      return t.values[1] ?? t.values[0];
    case 'intOrList':
      return t.length === 1 ? 3 : new Array<number>(t.length).fill(3);
    case 'intList':
      return t.allowMinusOne ? [2, -1] : [2, 1];
    case 'layer':
    case 'valueRefs':
    case 'list':
    case 'column':
    case 'custom':
      return undefined;
  }
}

/** The smallest call: main arguments and required named arguments. */
function minimalCall(def: LayerDef): ExCall | undefined {
  const call: ExCall = { def, positional: [], named: [] };
  for (const k of def.main) {
    const spec = def.args[k]!;
    const inner = spec.type.kind === 'layer' ? exampleInner(def) : undefined;
    const v = inner ? minimalCall(inner) : exampleValue(spec);
    if (v === undefined) return undefined;
    call.positional.push(v);
  }
  for (const [k, spec] of Object.entries(def.args)) {
    if (!spec.required || def.main.includes(k)) continue;
    const v = exampleValue(spec);
    if (v === undefined) return undefined;
    call.named.push([k, v]);
  }
  return call;
}

/**
 * A named argument worth showing: the first optional flag that is off by default (turned on),
 * else the first optional enum that is not an initializer (set to another value).
 */
function showcaseArg(def: LayerDef): [string, ExValue] | undefined {
  const optional = Object.entries(def.args).filter(([k, s]) => !s.required && !def.main.includes(k));
  for (const [k, s] of optional) if (s.type.kind === 'bool' && s.default === false) return [k, true];
  for (const [k, s] of optional) {
    if (s.type.kind !== 'enum' || s.type.what === 'initializer') continue;
    const other = s.type.values.find((v) => v !== s.default);
    if (other !== undefined) return [k, other];
  }
  return undefined;
}

function exampleCalls(def: LayerDef): ExCall[] {
  const base = minimalCall(def);
  if (!base) return [];
  const extra = showcaseArg(def);
  return extra ? [base, { ...base, named: [...base.named, extra] }] : [base];
}

function lstmValue(v: ExValue): string {
  if (isCall(v)) return lstmCall(v);
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

function lstmCall(c: ExCall): string {
  const parts = [...c.positional.map(lstmValue), ...c.named.map(([k, v]) => `${k}: ${lstmValue(v)}`)];
  return `${c.def.name}(${parts.join(', ')})`;
}

/** A YAML value in flow style. */
function yamlValue(v: ExValue): string {
  if (isCall(v)) return yamlInner(v);
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

/** A layer used as a value (a wrapped layer, a graph step's item): its bare name, or `{dense: 32}`. */
function yamlInner(c: ExCall): string {
  const item = yamlItem(c);
  return item.includes(':') ? `{${item}}` : item;
}

/** A layer item as people write it (grammar/yaml.ts): `flatten`, `lstm: 32`, `dense: {units: 1, ...}`. */
function yamlItem(c: ExCall): string {
  const { def } = c;
  const named = c.named.map(([k, v]) => `${k}: ${yamlValue(v)}`);
  if (c.positional.length === 0 && named.length === 0) return def.name;
  if (isWrapper(def)) {
    const inner = yamlInner(c.positional[0] as ExCall);
    if (named.length === 0) return `${def.name}: ${inner}`;
    return `${def.name}: {${[`${def.main[0]}: ${inner}`, ...named].join(', ')}}`;
  }
  if (named.length === 0 && def.main.length > 1 && c.positional.length === def.main.length) {
    return `${def.name}: [${c.positional.map(yamlValue).join(', ')}]`;
  }
  if (named.length === 0 && c.positional.length === 1) return `${def.name}: ${yamlValue(c.positional[0]!)}`;
  const entries = [...c.positional.map((v, i) => `${def.main[i]}: ${yamlValue(v)}`), ...named];
  return `${def.name}: {${entries.join(', ')}}`;
}

/** The example calls docs/layers.md shows for a layer, in both spellings. */
export function layerExamples(def: LayerDef): LayerExample[] {
  return exampleCalls(def).map((c) =>
    takesList(def)
      ? { lstm: `let m = [a, b] -> ${lstmCall(c)}`, yaml: `- {let: m, from: [a, b], layers: [${yamlInner(c)}]}` }
      : { lstm: lstmCall(c), yaml: `- ${yamlItem(c)}` },
  );
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/** A GitHub heading anchor. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

const link = (d: LayerDef): string => `[${d.name}](#${anchor(d.name)})`;
const tick = (s: string): string => `\`${s}\``;

function valueSetHeading(what: string): string {
  return `${what[0]!.toUpperCase()}${what.slice(1)} values`;
}

type Range = { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean };

function withBounds(word: string, t: Range): string {
  if (t.min !== undefined && t.max !== undefined) {
    return `${word} in ${t.minExclusive ? '(' : '['}${t.min}, ${t.max}${t.maxExclusive ? ')' : ']'}`;
  }
  if (t.min !== undefined) return `${word} ${t.minExclusive ? '>' : '≥'} ${t.min}`;
  if (t.max !== undefined) return `${word} ${t.maxExclusive ? '<' : '≤'} ${t.max}`;
  return word;
}

/** The type of an argument in words: `int ≥ 1`, `number in [0, 1)`, `one of valid, same`. */
export function typeInWords(t: ArgType): string {
  switch (t.kind) {
    case 'int':
      return withBounds('int', t);
    case 'float':
      return withBounds('number', t);
    case 'bool':
      return 'true or false';
    case 'string':
      return 'string';
    case 'enum': {
      if (t.values.length <= INLINE_ENUM_MAX) return `one of ${t.values.map((v) => `\`${v}\``).join(', ')}`;
      const target = anchor(valueSetHeading(t.what));
      return `${t.what} (one of the [${t.values.length} ${t.what} values](#${target}))`;
    }
    case 'intOrList': {
      const one = withBounds('int', { min: t.min ?? 1 });
      return t.length === 1 ? `${one} (or a list of one)` : `${one}, or a list of ${t.length} such ints`;
    }
    case 'intList': {
      const extras: string[] = [];
      if (t.allowMinusOne) extras.push('at most one -1');
      if (t.minLength !== undefined && t.maxLength !== undefined) extras.push(`${t.minLength} to ${t.maxLength} items`);
      else if (t.minLength !== undefined && t.minLength > 1) extras.push(`at least ${t.minLength} items`);
      else if (t.maxLength !== undefined) extras.push(`at most ${t.maxLength} items`);
      return `list of ${withBounds('ints', { min: t.min ?? 1 })}${extras.length ? ` (${extras.join('; ')})` : ''}`;
    }
    case 'list':
      return `list of: ${typeInWords(t.item)}`;
    case 'column':
      return 'column name (string) or 0-based index (int)';
    case 'layer':
      return 'a layer call';
    case 'valueRefs':
      return 'list of value names (graph form only)';
    case 'custom':
      return t.expected;
  }
}

function defaultText(spec: ArgSpec): string {
  if (spec.required) return '**required**';
  const d: ArgValue | undefined = spec.default;
  if (Array.isArray(d)) return `\`[${d.join(', ')}]\``;
  if (typeof d === 'number' || typeof d === 'boolean' || typeof d === 'string') return `\`${String(d)}\``;
  return '—';
}

/** A table cell: no pipes or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Shapes in a shape rule as code: `[T, F] -> [units]` becomes `` `[T, F]` → `[units]` ``. */
function shapeWords(s: string): string {
  return s.replace(/\[[^\]]*\]/g, (m) => `\`${m}\``).replace(/->/g, '→');
}

/** How many states a recurrent layer has (`returnState` / `initialState`), from the table's rule. */
function stateCount(def: LayerDef): number | undefined {
  if (!def.stateShapes || isWrapper(def)) return undefined;
  const args: Record<string, ArgValue> = {};
  for (const [k, spec] of Object.entries(def.args)) if (spec.default !== undefined) args[k] = spec.default;
  const inst: LayerInstance = { def, args };
  return def.stateShapes(inst).length;
}

function inputCount({ min, max }: LayerDef['inputs']): string {
  if (max === Infinity) return `${min} or more`;
  return min === max ? `${min}` : `${min} to ${max}`;
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

function renderLayer(def: LayerDef): string[] {
  const out: string[] = [`### ${def.name}`, '', def.doc, ''];
  const call = `${def.name}(${[...def.main, '...'].join(', ')})`;
  const own = def.lower.tfjs.lstmcClasses;
  const tfjs =
    own === undefined
      ? `TF.js: \`tf.layers.${def.name}\``
      : `TF.js: lstmc's own ${own.map((c) => `\`${c}\``).join(', ')} (\`lstmcLayers\` of \`lstmc/runtime/layers\`; see the notes)`;
  out.push(`Call: \`${call}\` · ${tfjs} · summary type: \`${def.className}\``, '');

  out.push('| Argument | Type | Default (Keras 2) | Description |', '|---|---|---|---|');
  for (const [k, spec] of Object.entries(def.args)) {
    const main = def.main.indexOf(k);
    const name = main < 0 ? `\`${k}\`` : `\`${k}\` (main${def.main.length > 1 ? ` ${main + 1}` : ''})`;
    out.push(`| ${name} | ${cell(typeInWords(spec.type))} | ${defaultText(spec)} | ${cell(spec.doc)} |`);
  }
  out.push('');

  const facts: string[] = [`**Shape:** ${shapeWords(def.shapeDoc)}.`];
  if (def.inputs.min !== 1 || def.inputs.max !== 1) {
    const list = `\`[a, b] -> ${def.name}()\``;
    facts.push(`**Inputs:** ${inputCount(def.inputs)}; in the graph form, feed it a list: ${list}.`);
  }
  const states = stateCount(def);
  if (states !== undefined && states > 0) {
    const names = def.stateNames?.length === states ? def.stateNames : undefined;
    const which = names ? `${names.map(tick).join(', ')}` : `${states} state${states === 1 ? '' : 's'}`;
    const bind = names ? ` (\`let [out, ${names.join(', ')}] = x -> ${def.name}(..., returnState: true)\`)` : '';
    facts.push(
      `**States:** ${which}, returned after the output with \`returnState: true\`${bind}` +
        ' and taken by `initialState` in the graph form.',
    );
  }
  if (def.canWrap) {
    const all = [...LAYERS.values()];
    const wraps = all.filter((d) => def.canWrap!(d));
    const not = all.filter((d) => !def.canWrap!(d));
    facts.push(
      not.length < wraps.length
        ? `**Wraps:** every layer except ${not.map(link).join(', ')}.`
        : `**Wraps:** ${wraps.map(link).join(', ')}.`,
    );
  }
  for (const f of facts) out.push(f, '');

  if (def.notes && def.notes.length > 0) {
    out.push('**Differences from TF.js / Keras:**', '', ...def.notes.map((n) => `- ${n}`), '');
  }

  const examples = layerExamples(def);
  if (examples.length > 0) {
    out.push('```lstm', ...examples.map((e) => e.lstm), '```', '');
    out.push('```yaml', ...examples.map((e) => e.yaml), '```', '');
  }
  return out;
}

const INTRO = [
  '- **Call** shows the main (positional) arguments; `...` stands for the named ones (`name: value`).',
  '  Every layer takes `name: "..."` (unique in the model; generated as `lstm_1`, `dense_2`, ... otherwise).',
  '- **Default (Keras 2)**: when an argument is left out, lstmc uses the Keras 2 default and writes it',
  '  out explicitly in generated code, also where TensorFlow.js would default differently.',
  '- **Shape** rules leave out the batch dimension, as `input` declarations do: `T` is the time axis,',
  '  `F` features, `C` channels, `H`/`W` height and width; `?` is an unknown dimension.',
  '- Each layer ends with example calls in both spellings: `.lstm` first, then YAML.',
];

/** The whole of docs/layers.md. Deterministic: the same table gives the same bytes. */
export function renderLayerDocs(): string {
  const layers = [...LAYERS.values()];
  const categories = (Object.keys(CATEGORY_TITLES) as LayerCategory[]).filter((c) =>
    layers.some((d) => d.category === c),
  );
  const sets = new Map<string, readonly string[]>();
  for (const d of layers) {
    for (const { type: t } of Object.values(d.args)) {
      if (t.kind === 'enum' && t.values.length > INLINE_ENUM_MAX && !sets.has(t.what)) sets.set(t.what, t.values);
    }
  }
  const unsupported = Object.entries(UNSUPPORTED_LAYERS);

  const out: string[] = [
    '# Layer reference',
    '',
    '<!-- Generated from compiler/layers/table.ts by `npm run docs` (compiler/layer-docs.ts). Do not edit. -->',
    '',
    `lstmc knows ${layers.length} layers. Their names and argument names are TensorFlow.js \`tf.layers\` names`,
    'in camelCase; how to write a layer line, a wrapper or a graph step is in the',
    '[language reference](language.md).',
    '',
    ...INTRO,
    '',
    '## Contents',
    '',
  ];
  for (const c of categories) {
    const names = layers.filter((d) => d.category === c).map(link);
    out.push(`- [${CATEGORY_TITLES[c]}](#${anchor(CATEGORY_TITLES[c])}): ${names.join(', ')}`);
  }
  if (sets.size > 0) {
    const links = [...sets.keys()].map((w) => `[${w}](#${anchor(valueSetHeading(w))})`);
    out.push(`- [Value sets](#value-sets): ${links.join(', ')}`);
  }
  if (unsupported.length > 0) out.push(`- [${UNSUPPORTED_TITLE}](#${anchor(UNSUPPORTED_TITLE)})`);
  out.push('');

  for (const c of categories) {
    out.push(`## ${CATEGORY_TITLES[c]}`, '');
    for (const d of layers.filter((x) => x.category === c)) out.push(...renderLayer(d));
  }

  if (sets.size > 0) {
    out.push('## Value sets', '');
    for (const [what, values] of sets) {
      out.push(`### ${valueSetHeading(what)}`, '', values.map((v) => `\`${v}\``).join(', '), '');
    }
  }

  if (unsupported.length > 0) {
    out.push(
      `## ${UNSUPPORTED_TITLE}`,
      '',
      'Keras / TF.js layers that lstmc knows of but does not implement: a call to one is LSTM2021, with the',
      'note below as its hint.',
      '',
      '| Layer | Note |',
      '|---|---|',
      ...unsupported.map(([name, note]) => `| \`${name}\` | ${cell(note)} |`),
    );
  }
  while (out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}
