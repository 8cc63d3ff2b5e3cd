/**
 * The user docs cannot rot:
 * - docs/layers.md is exactly what `renderLayerDocs()` makes of the layer table (`npm run docs`, or
 *   UPDATE_GOLDEN=1 to rewrite it), and every example call in it lowers to the same IR in both spellings;
 * - every fenced ```lstm / ```yaml block of docs/language.md that is a whole model checks clean, a
 *   `.lstm` model followed directly by a YAML one lowers to the same IR, and blocks marked
 *   ```lstm wrong LSTMnnnn report those codes;
 * - the tables of docs/language.md agree with the code: main arguments, train and earlyStopping keys
 *   and defaults, optimizers, losses, metrics, data sources and their keys, every diagnostic code;
 * - links between headings resolve.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { layerExamples, renderLayerDocs } from '../compiler/layer-docs.js';
import { LAYERS } from '../compiler/layers/table.js';
import {
  defaultTrain,
  EARLY_STOPPING_SCHEMA,
  LOSSES,
  METRIC_TABLE,
  OPTIMIZER_TABLE,
  OPTIMIZERS,
  TRAIN_SCHEMA,
} from '../compiler/train.js';
import { DATA_SOURCES, SYNTHETIC_PROBLEMS } from '../compiler/data-schema.js';
import { Diagnostics } from '../base/diagnostics.js';
import type { IRModel } from '../compiler/ir.js';

const ROOT = join(import.meta.dirname, '..');
const LAYERS_MD = join(ROOT, 'docs', 'layers.md');
const LANGUAGE_MD = join(ROOT, 'docs', 'language.md');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** IR without source positions and file names, for comparing the two spellings. */
function stripSpans(models: IRModel[]): unknown {
  const positional = new Set(['span', 'spans', 'argSpans', 'file']);
  return JSON.parse(JSON.stringify(models, (k, v) => (positional.has(k) ? undefined : v)));
}

/** Diagnostics as short lines, for failure messages. */
function codes(source: string, file: string): string[] {
  return checkSource(source, file).diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`);
}

const tick = (s: string): string => `\`${s}\``;

/** A GitHub heading anchor: lower case, punctuation dropped (but `-` and `_`), spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of the headings outside fenced blocks. */
function anchors(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (h) out.push(anchorOf(h[1]!));
  }
  return out;
}

/** Headings must have unique anchors, and every `(#anchor)` link must hit one. */
function checkAnchors(text: string, page: string): void {
  const all = anchors(text);
  expect(
    all.filter((a, i) => all.indexOf(a) !== i),
    `${page}: headings with the same anchor`,
  ).toEqual([]);
  const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
  expect(
    links.filter((a) => !all.includes(a)),
    `${page}: links to no heading`,
  ).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// docs/layers.md
// ---------------------------------------------------------------------------------------------

describe('docs/layers.md', () => {
  it('is generated from the layer table (run `npm run docs` after changing a layer)', () => {
    const text = renderLayerDocs();
    if (UPDATE) writeFileSync(LAYERS_MD, text);
    expect(existsSync(LAYERS_MD), 'docs/layers.md is missing: run `npm run docs`').toBe(true);
    // Not toBe(text): a diff of an 800-line page is noise; say what to do.
    const stale = 'docs/layers.md is stale: run `npm run docs` (or UPDATE_GOLDEN=1 npx vitest run test/docs.test.ts)';
    expect(readFileSync(LAYERS_MD, 'utf8') === text, stale).toBe(true);
  });

  it('is deterministic, documents every layer, and its links resolve', () => {
    const text = renderLayerDocs();
    expect(renderLayerDocs()).toBe(text);
    for (const name of LAYERS.keys()) expect(text, name).toContain(`\n### ${name}\n`);
    checkAnchors(text, 'docs/layers.md');
    expect(text).toContain('](language.md)');
  });

  /** Input shapes to try an example on; the first that checks clean is used. */
  const SHAPES = ['[8, 3]', '[8, 8, 3]', '[8, 8, 8, 3]', '[8]'];

  for (const def of LAYERS.values()) {
    it(`${def.name}: the example calls check clean and lower to the same IR in both spellings`, () => {
      const examples = layerExamples(def);
      expect(examples.length, 'at least one example').toBeGreaterThan(0);
      const graph = def.inputs.min >= 2;
      for (const ex of examples) {
        const models = SHAPES.map((shape) =>
          graph
            ? {
                lstm: `model E {\n  input a: ${shape}\n  input b: ${shape}\n  ${ex.lstm}\n  output m\n}\n`,
                yaml: `model: E\ninputs:\n  a: ${shape}\n  b: ${shape}\ngraph:\n  ${ex.yaml}\noutputs: [m]\n`,
              }
            : {
                lstm: `model E {\n  input x: ${shape}\n  ${ex.lstm}\n}\n`,
                yaml: `model: E\ninputs:\n  x: ${shape}\nlayers:\n  ${ex.yaml}\n`,
              },
        );
        const fit = models.find((m) => checkSource(m.lstm, 'e.lstm').diagnostics.length === 0);
        expect(fit, `no input shape fits \`${ex.lstm}\`: ${codes(models[0]!.lstm, 'e.lstm').join('; ')}`).toBeDefined();
        const lstm = checkSource(fit!.lstm, 'e.lstm');
        const yaml = checkSource(fit!.yaml, 'e.yaml');
        expect(yaml.diagnostics, `\`${ex.yaml}\``).toEqual([]);
        expect(stripSpans(yaml.models), `\`${ex.yaml}\` vs \`${ex.lstm}\``).toEqual(stripSpans(lstm.models));
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// docs/language.md
// ---------------------------------------------------------------------------------------------

interface Block {
  /** The fence's info string split in words: `lstm wrong LSTM3001` → ['lstm', 'wrong', 'LSTM3001']. */
  info: string[];
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Only blank lines separate it from the previous block. */
  followsBlock: boolean;
}

function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let open: { info: string[]; line: number; body: string[]; followsBlock: boolean } | undefined;
  let lastClose = -1;
  lines.forEach((line, i) => {
    if (!line.startsWith('```')) {
      open?.body.push(line);
      return;
    }
    if (open) {
      blocks.push({ ...open, body: open.body.join('\n') + '\n' });
      open = undefined;
      lastClose = i;
      return;
    }
    const info = line.slice(3).trim().split(/\s+/).filter(Boolean);
    const followsBlock = lastClose >= 0 && lines.slice(lastClose + 1, i).every((l) => l.trim() === '');
    open = { info, line: i + 1, body: [], followsBlock };
  });
  expect(open, 'an unclosed ``` fence').toBeUndefined();
  return blocks;
}

/** A whole model: `.lstm` text whose first statement is `model`, YAML with a `model:` key. */
function isWholeModel(b: Block): boolean {
  if (b.info[0] === 'lstm') return /^model\s/.test(b.body.replace(/^\s*#.*$/gm, '').trimStart());
  if (b.info[0] === 'yaml') return /^model:/m.test(b.body);
  return false;
}

/** Cells of the Markdown table rows under the first heading that contains `heading`, up to the next heading. */
function sectionRows(text: string, heading: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{2,6} /.test(l) && l.includes(heading));
  expect(start, `no heading containing ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && !/^#{2,6} /.test(lines[i]!); i++) {
    const l = lines[i]!;
    if (!l.startsWith('|') || /^\|[-|\s]+\|$/.test(l)) continue;
    rows.push(
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** Rows whose first cell is one `name` in backticks (a key table's rows, not its header). */
function keyRows(text: string, heading: string): string[][] {
  return sectionRows(text, heading).filter((r) => /^`\w+`$/.test(r[0]!));
}

const key = (row: string[]): string => row[0]!.slice(1, -1);

/** How a key table shows a default. */
function defaultCell(spec: { default?: unknown; required?: boolean }): string {
  if (spec.required) return '**required**';
  return spec.default !== undefined ? tick(String(spec.default)) : '—';
}

describe('docs/language.md', () => {
  const text = existsSync(LANGUAGE_MD) ? readFileSync(LANGUAGE_MD, 'utf8') : '';
  const blocks = text ? fencedBlocks(text) : [];
  const models = blocks.filter(isWholeModel);

  it('exists, its links resolve, and it has whole-model examples in both spellings', () => {
    expect(text, 'docs/language.md is missing').not.toBe('');
    checkAnchors(text, 'docs/language.md');
    expect(text).toContain('](layers.md)');
    const layerAnchors = anchors(renderLayerDocs());
    const intoLayers = [...text.matchAll(/\]\(layers\.md#([^)]+)\)/g)].map((m) => m[1]!);
    expect(
      intoLayers.filter((a) => !layerAnchors.includes(a)),
      'links into docs/layers.md that hit no heading',
    ).toEqual([]);
    expect(models.filter((b) => b.info[0] === 'lstm').length).toBeGreaterThanOrEqual(10);
    expect(models.filter((b) => b.info[0] === 'yaml').length).toBeGreaterThanOrEqual(10);
  });

  for (const b of models) {
    const [lang, mark, ...want] = b.info;
    const file = `docs/language.md:${b.line}.${lang}`;
    if (mark === 'wrong') {
      it(`line ${b.line}: the wrong ${lang} example reports ${want.join(', ') || '(codes missing)'}`, () => {
        expect(want.length, 'name the expected codes in the fence: ```lstm wrong LSTM3001').toBeGreaterThan(0);
        const got = checkSource(b.body, file).diagnostics.map((d) => d.code);
        for (const code of want) expect(got, `${code} at line ${b.line}`).toContain(code);
      });
    } else {
      it(`line ${b.line}: the ${lang} example checks clean`, () => {
        expect(codes(b.body, file)).toEqual([]);
      });
    }
  }

  /** A plain `.lstm` model directly followed by a plain YAML model: the same model in two spellings. */
  const twins = blocks.flatMap((b, i) => {
    const prev = blocks[i - 1];
    const plain = (x: Block | undefined, lang: string): boolean =>
      x?.info.length === 1 && x.info[0] === lang && isWholeModel(x);
    return plain(prev, 'lstm') && plain(b, 'yaml') && b.followsBlock ? [[prev!, b] as const] : [];
  });
  it('pairs most .lstm examples with a YAML twin', () => {
    expect(twins.length).toBeGreaterThanOrEqual(10);
  });
  for (const [lstm, yaml] of twins) {
    it(`lines ${lstm.line} and ${yaml.line}: the two spellings lower to the same IR`, () => {
      const a = checkSource(lstm.body, 'a.lstm');
      const b = checkSource(yaml.body, 'b.yaml');
      expect(a.models.length).toBeGreaterThan(0);
      expect(stripSpans(b.models)).toEqual(stripSpans(a.models));
    });
  }

  it('names only diagnostic codes that exist, and lists every code with its severity', () => {
    const known = new Map<string, string>(Object.values(Diagnostics).map((d) => [d.code, d.severity]));
    const mentioned = [...new Set([...text.matchAll(/LSTM\d{4}/g)].map((m) => m[0]))];
    expect(
      mentioned.filter((c) => !known.has(c)),
      'codes that do not exist',
    ).toEqual([]);
    const rows = sectionRows(text, 'Every code').filter((r) => /^LSTM\d{4}$/.test(r[0]!));
    const listed = new Map(rows.map((r) => [r[0]!, r[1]!]));
    for (const [code, severity] of known) {
      expect(listed.get(code), `add ${code} (${severity}) to "Every code" in docs/language.md`).toBe(severity);
    }
    expect(rows.length).toBe(known.size);
  });

  it('documents every train key and earlyStopping key, with the defaults of the code', () => {
    const rows = keyRows(text, '8. The `train` block');
    expect(rows.map(key).sort()).toEqual(Object.keys(TRAIN_SCHEMA.fields).sort());
    const d = defaultTrain() as unknown as Record<string, unknown>;
    const shown = (v: unknown): string => {
      if (Array.isArray(v)) return `[${v.join(', ')}]`;
      return typeof v === 'object' && v !== null ? String((v as { name: string }).name) : String(v);
    };
    for (const r of rows) {
      // A value of the wrong kind: the key must be known (never LSTM4004, unknown key).
      const src = `model M {\n  input x: [4, 1]\n  lstm(2)\n  dense(1)\n  train { ${key(r)}: "zz" }\n}\n`;
      expect(
        checkSource(src, 'm.lstm').diagnostics.map((x) => x.code),
        key(r),
      ).not.toContain('LSTM4004');
      expect(r[2], `default of ${key(r)}`).toBe(key(r) in d ? tick(shown(d[key(r)])) : '—');
      const declared = TRAIN_SCHEMA.fields[key(r)]!.default;
      if (declared !== undefined) expect(r[2], `TRAIN_SCHEMA default of ${key(r)}`).toBe(tick(String(declared)));
    }
    const es = keyRows(text, 'Early stopping');
    expect(es.map(key).sort()).toEqual(Object.keys(EARLY_STOPPING_SCHEMA.fields).sort());
    for (const r of es) {
      expect(r[2], `earlyStopping ${key(r)}`).toBe(defaultCell(EARLY_STOPPING_SCHEMA.fields[key(r)]!));
    }
  });

  it('lists every optimizer with the arguments and defaults of the train table', () => {
    const rows = keyRows(text, 'Optimizers');
    expect(rows.map(key).sort()).toEqual(Object.keys(OPTIMIZER_TABLE).sort());
    for (const r of rows) {
      const name = key(r);
      const numeric = OPTIMIZER_TABLE[name]!.params.filter((p) => OPTIMIZERS[name]!.includes(p.name));
      expect(r[1], name).toBe(numeric.map((p) => `${tick(p.name)} = ${p.default}`).join(', '));
    }
  });

  it('lists every loss and metric with its aliases', () => {
    for (const [table, heading] of [
      [LOSSES, 'Losses'],
      [METRIC_TABLE, 'Metrics'],
    ] as const) {
      const rows = sectionRows(text, heading).slice(1);
      const canonical = rows.flatMap((r) => r[0]!.split(', '));
      const aliases = rows.flatMap((r) => (r[1] ? r[1].split(', ').map((a) => [a, r[0]!] as const) : []));
      for (const [name, id] of Object.entries(table)) {
        if (name === id) expect(canonical, `${heading}: ${name}`).toContain(tick(name));
        else expect(aliases.find(([a]) => a === tick(name))?.[1], `${heading}: ${name} for ${id}`).toBe(tick(id));
      }
      for (const c of canonical) expect(Object.values(table).map(tick), `${heading}: ${c}`).toContain(c);
    }
  });

  it('documents every data source and synthetic problem key with its default', () => {
    type Keys = Readonly<Record<string, { default?: unknown; required?: boolean }>>;
    const check = (heading: string, keys: Keys): void => {
      const rows = keyRows(text, heading);
      expect(rows.map(key).sort(), heading).toEqual(Object.keys(keys).sort());
      for (const r of rows) expect(r[2], `${heading} ${r[0]}`).toBe(defaultCell(keys[key(r)]!));
    };
    expect(Object.keys(DATA_SOURCES).sort()).toEqual(['csv', 'synthetic', 'text']);
    check('Synthetic problems', DATA_SOURCES.synthetic!.keys);
    check('### `csv`', DATA_SOURCES.csv!.keys);
    check('### `text`', DATA_SOURCES.text!.keys);
    for (const [name, p] of Object.entries(SYNTHETIC_PROBLEMS)) check(`\`synthetic: ${name}\``, p.keys);
  });
});
