/**
 * The JSON Schema (draft-07) of the YAML form (LANGUAGE.md section 3), generated from the layer
 * table, the train table and the data sources, so that editors with the YAML language server
 * complete and validate specs (`# yaml-language-server: $schema=...`). `lstmc schema` prints it and
 * the package ships it as `dist/lstmc.schema.json`. Pure: plain data, no I/O.
 *
 * What it checks is what can be checked value by value: the keys of a document, a graph step, a
 * layer, `train` and `data` (unknown ones are errors), every argument's type, range, enum and list
 * length, which layers exist and which arguments they take. What needs the whole model (shapes,
 * names that must be defined, cycles, which keys go together) is the checker's: run `lstmc check`.
 *
 * Params: in YAML a value may be a param reference `$name` wherever a value goes (the form
 * `lstmc convert` writes); a bare name is accepted where a name or string is (enum values, shape
 * symbols), as the checker reads it.
 */
import { DATA_SOURCES, SYNTHETIC_PROBLEMS, type DataKeySpec } from './data-schema.js';
import { getLayer, LAYER_SYNTAX, layerNames } from './layers/table.js';
import type { LayerDef } from './layers/types.js';
import type { ArgValue } from './ir.js';
import { MAX_INT, type FieldSpec, type ValueType } from './schema.js';
import {
  EARLY_STOPPING_SCHEMA,
  LOSSES,
  METRIC_TABLE,
  OPTIMIZER_TABLE,
  optimizerSchema,
  TRAIN_SCHEMA,
} from './train.js';

/** A JSON Schema node (plain JSON). */
export type JsonSchema = { [key: string]: unknown };

const IDENT = '^[A-Za-z_][A-Za-z0-9_]*$';
const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });
/** A reference with its own description (draft-07 ignores keywords beside `$ref`). */
const documented = (description: string, name: string): JsonSchema => ({ description, allOf: [ref(name)] });

/** `MinMax` for a case-insensitive enum: a pattern with a character class per letter. */
function caseInsensitive(values: readonly string[]): string {
  const letter = (ch: string): string =>
    /[A-Za-z]/.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return `^(${values.map((v) => [...v].map(letter).join('')).join('|')})$`;
}

function range(t: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }): JsonSchema {
  const out: JsonSchema = {};
  if (t.min !== undefined) out[t.minExclusive ? 'exclusiveMinimum' : 'minimum'] = t.min;
  if (t.max !== undefined) out[t.maxExclusive ? 'exclusiveMaximum' : 'maximum'] = t.max;
  return out;
}

/** The schema of one value type (without the `$param` alternative). */
function typeSchema(t: ValueType): JsonSchema {
  switch (t.kind) {
    case 'int':
      return { type: 'integer', minimum: -MAX_INT, maximum: MAX_INT, ...range(t) };
    case 'float':
      return { type: 'number', ...range(t) };
    case 'bool':
      return { type: 'boolean' };
    case 'string':
      return t.nonEmpty ? { type: 'string', minLength: 1 } : { type: 'string' };
    case 'enum': {
      const values = [...t.values, ...Object.keys(t.aliases ?? {})];
      return t.caseInsensitive
        ? { anyOf: [{ enum: values }, { type: 'string', pattern: caseInsensitive(values) }] }
        : { enum: values };
    }
    case 'intOrList': {
      const item = { type: 'integer', minimum: t.min ?? 1, maximum: MAX_INT };
      return { anyOf: [item, { type: 'array', items: item, minItems: t.length, maxItems: t.length }] };
    }
    case 'intList': {
      const base = { type: 'integer', minimum: t.min ?? 1, maximum: MAX_INT };
      const item = t.allowMinusOne ? { anyOf: [base, { const: -1 }] } : base;
      const out: JsonSchema = { type: 'array', items: item };
      if (t.minLength !== undefined) out['minItems'] = t.minLength;
      if (t.maxLength !== undefined) out['maxItems'] = t.maxLength;
      return out;
    }
    case 'list': {
      const item = typeSchema(t.item);
      return { anyOf: [item, { type: 'array', items: item }] };
    }
    case 'column':
      return {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'integer', minimum: 0, maximum: MAX_INT },
        ],
      };
    case 'layer':
      return ref('innerLayer');
    case 'valueRefs':
      return { type: 'array', items: ref('name'), minItems: 1 };
    case 'custom':
      return {};
  }
}

/** A field: its type or a `$param`, with its documentation and default. */
function fieldSchema(spec: FieldSpec | DataKeySpec): JsonSchema {
  const t = spec.type;
  const base = typeSchema(t);
  const out: JsonSchema =
    t.kind === 'layer' || t.kind === 'valueRefs' || t.kind === 'custom' ? base : { anyOf: [base, ref('paramRef')] };
  out['description'] = spec.doc;
  if (spec.default !== undefined) out['default'] = jsonDefault(spec.default);
  return out;
}

function jsonDefault(v: ArgValue): unknown {
  return Array.isArray(v) ? v.map(jsonDefault) : v;
}

// ------------------------------------------------------------------------------------ layers

/** The object form `{units: 50, returnSequences: true}`: every argument by name. */
function argsObject(def: LayerDef): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, spec] of Object.entries(def.args)) properties[k] = fieldSchema(spec);
  const required = Object.entries(def.args)
    .filter(([, s]) => s.required)
    .map(([k]) => k);
  const out: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) out['required'] = required;
  return out;
}

function hasRequired(def: LayerDef): boolean {
  return Object.values(def.args).some((s) => s.required);
}

/** What may follow `- <layer>:`. */
function layerValue(def: LayerDef): JsonSchema {
  const forms: JsonSchema[] = [];
  if (!hasRequired(def)) forms.push({ type: 'null' });
  const main = def.main.map((k) => def.args[k]!);
  const wrapper = LAYER_SYNTAX.isWrapper(def.name);
  // Other required arguments than the main ones rule the short forms out.
  const onlyMainRequired = Object.entries(def.args).every(([k, s]) => !s.required || def.main.includes(k));
  if (wrapper) {
    // `- timeDistributed: flatten`, `- timeDistributed: {dense: 12}`.
    forms.push(ref('bareLayer'), ref('layerObject'));
  } else if (main.length > 1 && LAYER_SYNTAX.spreadsMain(def.name) && onlyMainRequired) {
    // `- embedding: [1000, 64]`: the main arguments in order.
    const required = main.filter((s) => s.required).length;
    forms.push({ type: 'array', items: main.map(fieldSchema), minItems: required, maxItems: main.length });
  } else if (main.length >= 1 && onlyMainRequired) {
    forms.push(fieldSchema(main[0]!));
  }
  forms.push(argsObject(def));
  const notes = def.notes?.length ? `\n\n${def.notes.join('\n')}` : '';
  return {
    description: `${def.doc} Shape: ${def.shapeDoc}.${notes}`,
    anyOf: forms,
  };
}

function layerDefs(): LayerDef[] {
  return layerNames()
    .map((n) => getLayer(n))
    .filter((d): d is LayerDef => d !== undefined);
}

// ------------------------------------------------------------------------------------ train, data

function trainSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, spec] of Object.entries(TRAIN_SCHEMA.fields)) properties[k] = fieldSchema(spec);
  const loss = { enum: Object.keys(LOSSES) };
  const oneLoss = { anyOf: [loss, ref('paramRef')] };
  // One loss for every output, a list in output order, or a map by output name (compiler/train.ts).
  properties['loss'] = {
    ...properties['loss'],
    anyOf: [
      loss,
      ref('paramRef'),
      { type: 'array', items: oneLoss, minItems: 1 },
      { type: 'object', additionalProperties: oneLoss, minProperties: 1 },
    ],
  };
  const weight = { anyOf: [{ type: 'number', minimum: 0 }, ref('paramRef')] };
  properties['lossWeights'] = {
    ...properties['lossWeights'],
    anyOf: [
      { type: 'array', items: weight, minItems: 1 },
      { type: 'object', additionalProperties: weight, minProperties: 1 },
    ],
  };
  const optimizers = Object.keys(OPTIMIZER_TABLE);
  const optimizerObject: JsonSchema = {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
    properties: Object.fromEntries(
      optimizers.map((name) => {
        const s = optimizerSchema(name)!;
        const args: Record<string, JsonSchema> = {};
        for (const [k, f] of Object.entries(s.fields)) args[k] = fieldSchema(f);
        return [
          name,
          {
            anyOf: [
              { type: 'null' },
              args['learningRate'] ?? {},
              { type: 'object', properties: args, additionalProperties: false },
            ],
          },
        ];
      }),
    ),
  };
  properties['optimizer'] = {
    description: TRAIN_SCHEMA.fields['optimizer']!.doc,
    default: 'adam',
    anyOf: [{ enum: optimizers }, optimizerObject, ref('paramRef')],
  };
  const metric = { enum: Object.keys(METRIC_TABLE) };
  properties['metrics'] = {
    description: TRAIN_SCHEMA.fields['metrics']!.doc,
    anyOf: [metric, { type: 'array', items: metric }],
  };
  const es: Record<string, JsonSchema> = {};
  for (const [k, f] of Object.entries(EARLY_STOPPING_SCHEMA.fields)) es[k] = fieldSchema(f);
  properties['earlyStopping'] = {
    description: TRAIN_SCHEMA.fields['earlyStopping']!.doc,
    anyOf: [
      { type: 'integer', minimum: 0, maximum: MAX_INT, description: 'The patience.' },
      { type: 'object', properties: es, additionalProperties: false },
    ],
  };
  return {
    description: 'How to train: loss, optimizer, metrics, epochs, ...',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

function keysSchema(keys: Readonly<Record<string, DataKeySpec>>): {
  properties: Record<string, JsonSchema>;
  required: string[];
} {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [k, spec] of Object.entries(keys)) {
    properties[k] = fieldSchema(spec);
    if (spec.required) required.push(k);
  }
  return { properties, required };
}

function dataSchema(): JsonSchema {
  const forms: JsonSchema[] = [];
  for (const source of Object.values(DATA_SOURCES)) {
    const common = keysSchema(source.keys);
    if (source.name === 'synthetic') {
      // One form per problem: the keys a problem takes are its own plus the common ones.
      for (const p of Object.values(SYNTHETIC_PROBLEMS)) {
        const own = keysSchema(p.keys);
        const names = [p.name, ...p.aliases];
        forms.push({
          description: p.doc,
          type: 'object',
          properties: {
            [source.name]: {
              description: `${source.doc} This one: ${p.doc}`,
              anyOf: [{ enum: names }, { type: 'string', pattern: caseInsensitive(names) }, ref('paramRef')],
            },
            ...common.properties,
            ...own.properties,
          },
          required: [source.name, ...common.required, ...own.required],
          additionalProperties: false,
        });
      }
      continue;
    }
    forms.push({
      description: source.doc,
      type: 'object',
      properties: {
        [source.name]: { ...fieldSchema({ type: source.value, doc: source.doc }) },
        ...common.properties,
      },
      required: [source.name, ...common.required],
      additionalProperties: false,
    });
  }
  return { description: 'Where `lstmc train` gets its examples: one data source and its options.', anyOf: forms };
}

// ------------------------------------------------------------------------------------ the document

/** The JSON Schema of one YAML model document. */
export function yamlJsonSchema(): JsonSchema {
  const defs = layerDefs();
  const layerProps: Record<string, JsonSchema> = {};
  for (const d of defs) layerProps[d.name] = layerValue(d);
  const bare = defs.filter((d) => !hasRequired(d)).map((d) => d.name);
  const paramValue = { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'lstmc model spec (YAML form)',
    description:
      'One model per YAML document (LANGUAGE.md section 3). Generated by `lstmc schema` from the layer table; `lstmc check` proves the shapes.',
    type: 'object',
    properties: {
      model: documented('The model name.', 'name'),
      params: {
        description: 'Parameters: `name: value`; refer to them as `$name`, override with `--param name=value`.',
        type: 'object',
        propertyNames: { pattern: IDENT },
        additionalProperties: paramValue,
      },
      inputs: {
        description:
          'The inputs: `name: [dims]` without the batch dimension, or `name: {shape: [dims], batch: N}` with a declared batch size (stateful layers need it).',
        type: 'object',
        propertyNames: { pattern: IDENT },
        additionalProperties: { anyOf: [ref('shape'), ref('batchedInput')] },
      },
      layers: {
        description: 'A sequential chain, one layer per item (same as bare layer lines).',
        type: 'array',
        items: ref('layer'),
      },
      graph: {
        description: 'Graph steps `{let: name, from: name, layers: [...]}` (same as `let name = from -> ...`).',
        type: 'array',
        items: ref('step'),
      },
      outputs: documented('The model outputs.', 'names'),
      train: trainSchema(),
      data: dataSchema(),
    },
    required: ['model'],
    additionalProperties: false,
    definitions: {
      name: { type: 'string', pattern: IDENT },
      names: { anyOf: [ref('name'), { type: 'array', items: ref('name'), minItems: 1 }] },
      paramRef: {
        description: 'A param reference: `$name`.',
        type: 'string',
        pattern: '^\\$[A-Za-z_][A-Za-z0-9_]*$',
      },
      dim: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: MAX_INT, description: 'A known size.' },
          { type: 'null', description: 'An unknown size.' },
          { const: '?', description: 'An unknown size.' },
          {
            // `[?, 10]`: in a YAML flow sequence `?` starts an explicit key, read as `{"": null}`.
            description: 'An unknown size (`?`).',
            type: 'object',
            maxProperties: 1,
            propertyNames: { const: '' },
            additionalProperties: { type: 'null' },
          },
          { type: 'string', pattern: IDENT, description: 'A symbol (unknown, the same size wherever it appears).' },
          ref('paramRef'),
        ],
      },
      shape: { type: 'array', items: ref('dim') },
      batchedInput: {
        description: 'An input with a declared batch size: `{shape: [1, 1], batch: 25}`.',
        type: 'object',
        properties: {
          shape: documented('The dimensions without the batch dimension.', 'shape'),
          batch: {
            description: 'The batch size: every batch has exactly this many samples (stateful layers need it).',
            anyOf: [{ type: 'integer', minimum: 1, maximum: MAX_INT }, ref('paramRef')],
          },
        },
        required: ['shape'],
        additionalProperties: false,
      },
      bareLayer: { description: 'A layer without arguments.', enum: bare },
      layerObject: {
        description: 'A layer: `name: main argument` or `name: {argument: value, ...}`.',
        type: 'object',
        minProperties: 1,
        maxProperties: 1,
        properties: layerProps,
        additionalProperties: false,
      },
      layer: { anyOf: [ref('bareLayer'), ref('layerObject')] },
      innerLayer: {
        description: 'The wrapped layer: a layer name or `{name: arguments}`.',
        anyOf: [ref('bareLayer'), ref('layerObject')],
      },
      step: {
        type: 'object',
        properties: {
          let: documented('The name(s) the result is bound to (`_` discards).', 'names'),
          from: documented('The input value(s).', 'names'),
          shape: documented('A shape the checker must prove (typed let).', 'shape'),
          layers: { description: 'The layers applied in order.', type: 'array', items: ref('layer') },
        },
        required: ['let', 'from'],
        additionalProperties: false,
      },
    },
  };
}
