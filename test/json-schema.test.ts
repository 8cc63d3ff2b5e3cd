/**
 * The JSON Schema of the YAML form (compiler/json-schema.ts, `lstmc schema`, lstmc.schema.json),
 * validated with ajv (strict mode) the way editors with the YAML language server use it.
 *
 * - Every reference YAML spec is valid; so is every YAML document `printYaml` writes for random
 *   architectures (the schema must not reject what lstmc accepts).
 * - Every YAML file under specs/invalid/ is classified in EXPECTED (a new fixture fails until it is):
 *   `schema` — the schema rejects it (unknown layer, argument or key, wrong type, bad enum, out of range);
 *   `semantic` — valid against the schema, only the checker can tell (shapes, names, cycles);
 *   `yaml` — not a YAML document the schema sees (syntax errors, aliases, duplicate keys);
 *   `empty` — no document at all.
 * - The schema is generated from the tables: every layer, argument, default, enum value, loss,
 *   optimizer, metric and data source appears with its documentation.
 * - The committed lstmc.schema.json is current (UPDATE_GOLDEN=1 or `npm run schema` rewrites it),
 *   and `lstmc schema` prints it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { yamlJsonSchema, type JsonSchema } from '../compiler/json-schema.js';
import { DATA_SOURCES, SYNTHETIC_PROBLEMS } from '../compiler/data-schema.js';
import { getLayer, layerNames } from '../compiler/layers/table.js';
import { printYaml } from '../compiler/print.js';
import { LOSSES, METRIC_TABLE, OPTIMIZER_TABLE } from '../compiler/train.js';
import { schemaText } from '../cli/schema-command.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SPECS = path.join(ROOT, 'specs');
const INVALID = path.join(SPECS, 'invalid');
const SHIPPED = path.join(ROOT, 'lstmc.schema.json');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

type Verdict = 'schema' | 'semantic' | 'yaml' | 'empty';

/** Every YAML fixture of specs/invalid/ and what the schema makes of it. */
const EXPECTED: Record<string, Verdict> = {
  '001-stacked-missing-return-sequences.yaml': 'semantic',
  '002-keras-class-name-LSTM.yaml': 'schema', // unknown layer LSTM
  '003-snake-case-time-distributed.yaml': 'schema', // unknown layer time_distributed
  '004-snake-case-return-sequences.yaml': 'schema', // unknown argument return_sequences
  '005-typo-activaton.yaml': 'schema', // unknown argument activaton
  '006-dropout-rate-above-one.yaml': 'schema', // out of range
  '007-zero-units.yaml': 'schema', // out of range
  '008-units-overflow.yaml': 'schema', // out of range
  '009-negative-dim.yaml': 'schema', // a dimension below 1
  '010-fractional-dim.yaml': 'schema', // a dimension that is not an integer
  '011-conv-kernel-larger-than-frame.yaml': 'semantic',
  '012-reshape-element-count.yaml': 'semantic',
  '013-permute-zero-based.yaml': 'schema', // permute dims are 1-based
  '014-concatenate-T-vs-S.yaml': 'semantic',
  '015-initial-state-units-mismatch.yaml': 'semantic',
  '016-destructure-two-from-lstm.yaml': 'semantic',
  '017-return-state-used-as-single.yaml': 'semantic',
  '018-typed-let-does-not-hold.yaml': 'semantic',
  '019-undefined-name.yaml': 'semantic',
  '020-cycle.yaml': 'semantic',
  '021-duplicate-let.yaml': 'semantic',
  '022-unused-input.warn.yaml': 'semantic',
  '023-crossentropy-on-sigmoid.warn.yaml': 'semantic',
  '024-clipnorm-and-clipvalue.warn.yaml': 'semantic',
  '025-unknown-loss.yaml': 'schema', // bad enum
  '026-unknown-optimizer.yaml': 'schema', // bad enum
  '027-unknown-metric.yaml': 'schema', // bad enum
  '028-unknown-train-key.yaml': 'schema', // unknown key in train
  '029-zero-epochs.yaml': 'schema', // out of range
  '030-data-target-vector-for-sequence-output.yaml': 'semantic',
  '031-data-input-mismatch.yaml': 'semantic',
  '032-data-unknown-problem.yaml': 'schema', // bad enum
  '033-data-bad-key.yaml': 'schema', // unknown key in data
  '034-no-input.yaml': 'semantic',
  '035-no-layers.yaml': 'semantic',
  '036-duplicate-model-name.yaml': 'semantic',
  '037-empty-file.yaml': 'empty',
  '038-binary-garbage.yaml': 'schema', // a scalar document, not a mapping
  '039-unterminated-string.yaml': 'yaml',
  '040-invalid-character.yaml': 'yaml',
  '041-nesting-bomb.yaml': 'yaml',
  '042-yaml-alias-bomb.yaml': 'yaml',
  '043-yaml-duplicate-keys.yaml': 'yaml',
  '044-yaml-tab-indentation.yaml': 'yaml',
  '045-yaml-unknown-top-key.yaml': 'schema', // unknown top-level key
  '046-yaml-layers-is-mapping.yaml': 'schema', // wrong type
  '047-bidirectional-wraps-dense.yaml': 'semantic',
  '049-embedding-input-length.yaml': 'schema', // three main arguments
  '050-duplicate-argument.yaml': 'yaml',
  '051-return-sequences-string.yaml': 'schema', // wrong type
  '052-unknown-activation.yaml': 'schema', // bad enum
  '053-unknown-merge-mode.yaml': 'schema', // bad enum
  '054-undefined-param.yaml': 'semantic',
  '055-invalid-param-value.yaml': 'schema', // a list as a param value
  '056-invalid-model-name.yaml': 'schema', // not a name
  '057-three-mistakes.yaml': 'schema',
  '058-unknown-feature-dim.yaml': 'semantic',
  '059-concatenate-axis-out-of-range.yaml': 'semantic',
  '060-concatenate-dim-mismatch.yaml': 'semantic',
  '061-concatenate-one-input.yaml': 'semantic',
  '062-output-multi-value.yaml': 'semantic',
  '063-missing-units.yaml': 'schema', // a required argument missing
  '064-windows-path-escape.yaml': 'yaml',
  '065-missing-comma.yaml': 'yaml',
  '066-optimizer-snake-case-arg.yaml': 'schema', // unknown optimizer argument
  '067-dense-before-lstm.yaml': 'semantic',
  '070-validation-split-percent.yaml': 'schema', // out of range
  '071-no-model.yaml': 'empty',
  '072-permute-wrong-rank.yaml': 'semantic',
  '073-metric-tfjs-lacks.yaml': 'schema', // bad enum
  '074-units-two-pow-53.yaml': 'schema', // out of range
  '076-tuple-shape.yaml': 'schema', // a shape that is not a list
  '077-flow-map-no-space.yaml': 'schema', // `{units:50}` is one key "units:50"
  '078-layer-as-call.yaml': 'schema', // a layer item that is a string call
  '080-block-key-no-space.yaml': 'yaml',
  '084-layer-no-space.yaml': 'schema',
  '085-float-underflow.yaml': 'schema', // 1e-400 is 0: learningRate must be > 0
  '086-tuple-none-shape.yaml': 'schema',
  '088-graph-shape-tuple.yaml': 'schema',
  '089-layer-as-keras-call.yaml': 'schema',
  '090-unsupported-keras-layer.yaml': 'schema', // unknown layer
  '091-data-source-as-key.yaml': 'schema', // unknown key in data
  '092-model-name-device.yaml': 'semantic',
  '093-destructure-without-return-state.yaml': 'semantic',
  '094-keras-input-shape-argument.yaml': 'schema', // unknown argument input_shape
  '095-csv-file-missing.warn.yaml': 'semantic',
  '096-labels-count.yaml': 'semantic',
  '100-mask-stops-at-flatten.warn.yaml': 'semantic',
  '101-masked-sequence-output.warn.yaml': 'semantic',
  '102-add-masked-sequences.yaml': 'semantic',
  '103-time-distributed-lstm-masked.yaml': 'semantic',
  '104-go-backwards-sequence-mask.warn.yaml': 'semantic',
  '110-attention-feature-mismatch.yaml': 'semantic',
  '111-attention-key-length.yaml': 'semantic',
  '112-additive-attention-scale.yaml': 'semantic',
  '120-conv-lstm-initial-state.yaml': 'semantic', // initialState is valid YAML; TF.js cannot build it
  '130-stateful-without-batch.yaml': 'semantic', // the schema does not tie `stateful` to a batch
  '131-input-batches-differ.yaml': 'semantic',
  '132-invalid-batch.yaml': 'schema', // a batch size below 1
  '133-train-batch-size-differs.yaml': 'semantic',
  '134-stateful-shuffle.warn.yaml': 'semantic',
  '140-causal-padding-conv2d.yaml': 'semantic', // the padding enum is shared by convolutions and pooling
  '141-causal-padding-pooling.yaml': 'semantic',
  '150-loss-list-count.yaml': 'semantic', // the count of outputs is not the schema's
  '151-loss-unknown-output.yaml': 'semantic',
  '152-loss-weights-missing-output.yaml': 'semantic',
  '153-data-multi-output.yaml': 'semantic',
  '154-loss-weight-negative.yaml': 'schema', // a weight below 0
  '155-per-output-loss-activation.warn.yaml': 'semantic',
};

const ajv = new Ajv({ strict: true, allErrors: true });
const validate = ajv.compile(yamlJsonSchema());

/** What the schema makes of a YAML text, with the first errors for messages. */
function verdict(text: string): { verdict: Verdict; errors: string } {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const contents = docs.filter((d) => d.contents !== null);
  if (contents.length === 0 && docs.every((d) => d.errors.length === 0)) return { verdict: 'empty', errors: '' };
  let invalid = '';
  for (const doc of docs) {
    if (doc.errors.length > 0) return { verdict: 'yaml', errors: doc.errors[0]!.message };
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      return { verdict: 'yaml', errors: String(e) };
    }
    if (js === null) continue;
    if (!validate(js)) invalid ||= ajv.errorsText(validate.errors?.slice(0, 3));
  }
  return invalid ? { verdict: 'schema', errors: invalid } : { verdict: 'semantic', errors: '' };
}

describe('the reference YAML specs are valid', () => {
  for (const f of readdirSync(SPECS).filter((x) => /\.ya?ml$/.test(x))) {
    it(f, () => {
      const r = verdict(readFileSync(path.join(SPECS, f), 'utf8'));
      expect(r.errors).toBe('');
      expect(r.verdict).toBe('semantic');
    });
  }
});

describe('specs/invalid: schema errors fail, semantic errors pass the schema', () => {
  const files = readdirSync(INVALID).filter((x) => /\.ya?ml$/.test(x));
  it('every YAML fixture is classified', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
  });
  for (const f of files) {
    it(`${f}: ${EXPECTED[f] ?? '?'}`, () => {
      const text = readFileSync(path.join(INVALID, f), 'utf8');
      const r = verdict(text);
      expect(r.verdict, r.errors).toBe(EXPECTED[f]);
      // Passing the schema means the front end had nothing to say either: the checker finds it.
      const codes = checkSource(text, f).diagnostics.map((d) => d.code);
      if (r.verdict === 'semantic') expect(codes.filter((c) => c.startsWith('LSTM1'))).toEqual([]);
    });
  }
});

describe('no false alarms: YAML that lstmc writes is valid', () => {
  it('printYaml of 200 random architectures (sequential and graph)', () => {
    const r = rng(20261202);
    for (let i = 0; i < 200; i++) {
      const m = i % 2 === 0 ? randSequential(r, i) : randFunctional(r, i);
      for (const names of ['user', 'all'] as const) {
        const text = printYaml(m, { names, omitDefaults: i % 4 < 2 });
        const v = verdict(text);
        expect(v.errors, text).toBe('');
      }
    }
  });
  it('params as $name, symbols, unknown dimensions, graph steps with shapes', () => {
    const text = `model: G
params: {units: 16, act: relu}
inputs:
  a: [T, $units]
  b: [?, 8]
  c: [null, 8]
graph:
  - {let: [_, h, c], from: a, layers: [lstm: {units: $units, returnState: true}]}
  - let: y
    shape: [T, 16]
    from: b
    layers:
      - lstm: {units: 16, returnSequences: true, initialState: [h, c]}
      - timeDistributed: {dense: {units: $units, activation: $act}}
      - bidirectional: {layer: {gru: 8}, mergeMode: concat}
      - embedding: [1000, 64]
outputs: y
train:
  loss: mse
  optimizer: {adam: {learningRate: 0.01}}
  metrics: mae
  earlyStopping: {patience: 2, monitor: loss}
data: {csv: "prices.csv", column: close, window: 12, scale: MinMax}
`;
    expect(verdict(text).errors).toBe('');
  });
});

describe('docs/tooling.md', () => {
  it('its YAML example is valid', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'tooling.md'), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(verdict(b)).toEqual({ verdict: 'semantic', errors: '' });
  });
});

describe('the schema comes from the tables', () => {
  const schema = yamlJsonSchema();
  const defs = schema['definitions'] as Record<string, JsonSchema>;
  const layers = (defs['layerObject']!['properties'] as Record<string, JsonSchema>)!;

  it('every layer, with its documentation and every argument with type, default and doc', () => {
    expect(Object.keys(layers).sort()).toEqual(layerNames().sort());
    for (const name of layerNames()) {
      const def = getLayer(name)!;
      const value = layers[name]!;
      expect(value['description']).toContain(def.doc);
      const forms = value['anyOf'] as JsonSchema[];
      const object = forms[forms.length - 1]!;
      const props = object['properties'] as Record<string, JsonSchema>;
      expect(Object.keys(props).sort(), name).toEqual(Object.keys(def.args).sort());
      for (const [k, spec] of Object.entries(def.args)) {
        expect(props[k]!['description'], `${name}.${k}`).toBe(spec.doc);
        if (spec.default !== undefined) expect(props[k]!['default'], `${name}.${k}`).toEqual(spec.default);
        if (spec.type.kind === 'enum') expect(JSON.stringify(props[k])).toContain(JSON.stringify(spec.type.values[0]));
      }
      expect(object['required'] ?? []).toEqual(
        Object.entries(def.args)
          .filter(([, s]) => s.required)
          .map(([k]) => k),
      );
    }
  });

  it('every loss, optimizer, metric, data source and synthetic problem', () => {
    const text = JSON.stringify(schema);
    for (const k of [...Object.keys(LOSSES), ...Object.keys(OPTIMIZER_TABLE), ...Object.keys(METRIC_TABLE)])
      expect(text).toContain(JSON.stringify(k));
    for (const k of [...Object.keys(DATA_SOURCES), ...Object.keys(SYNTHETIC_PROBLEMS)])
      expect(text).toContain(JSON.stringify(k));
  });

  it('rejects what it should, at the right place', () => {
    const errorPath = (yaml: string): string[] => {
      validate(parseAllDocuments(yaml)[0]!.toJS());
      return (validate.errors ?? []).map((e) => e.instancePath);
    };
    expect(errorPath('model: M\ninputs: {x: [5]}\nlayers: [{dense: {units: 2, activaton: relu}}]\n')).toContain(
      '/layers/0/dense',
    );
    expect(errorPath('model: M\ntrain: {loss: mse, epochz: 3}\n')).toContain('/train');
    expect(errorPath('model: M\ntrain: {optimizer: {adam: {learning_rate: 0.1}}}\n')).toContain(
      '/train/optimizer/adam',
    );
    expect(errorPath('model: M\ndata: {synthetic: echo, horizon: 3}\n')).toContain('/data');
    expect(errorPath('model: M\nlayers: [{bidirectional: {layer: {lstm: 4}, mergeMode: stack}}]\n')).toContain(
      '/layers/0/bidirectional/mergeMode',
    );
  });
});

describe('lstmc.schema.json (shipped) and lstmc schema', () => {
  it('the committed file is current (UPDATE_GOLDEN=1 or npm run schema rewrites it)', async () => {
    const text = await schemaText();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(SHIPPED, text);
    expect(readFileSync(SHIPPED, 'utf8')).toBe(text);
  });
  it('lstmc schema prints it', () => {
    const r = spawnSync(process.execPath, [MAIN, 'schema'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(SHIPPED, 'utf8'));
  });
});
