/**
 * `lstmc graph` (issue 12, item 6): the graph description built from the IR (compiler/graph.ts), its
 * DOT text against goldens, the SVG Graphviz (WASM) lays out from it, the PNG resvg rasterises, and the
 * command's bad inputs. Goldens: test/golden/graph/<spec>.<Model>.dot; accept changes with
 * `UPDATE_GOLDEN=1 npx vitest run test/graph.test.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sax from 'sax';
import { beforeAll, describe, expect, it } from 'vitest';
import { dotToSvg, svgToPng } from '../cli/graph-render.js';
import { dotString, graphToDot, htmlEscape, modelGraph, type ModelGraph } from '../compiler/graph.js';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { getLayer } from '../compiler/layers/table.js';
import { shapeText, withBatch } from '../compiler/summary.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GOLDEN = path.join(ROOT, 'test', 'golden', 'graph');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const REFERENCE = readdirSync(path.join(ROOT, 'specs'))
  .filter((f) => f.endsWith('.lstm'))
  .sort()
  .map((f) => `specs/${f}`);
const FIXTURES = ['test/golden/graph/functional.lstm'];

function models(rel: string): IRModel[] {
  const r = checkSource(readFileSync(path.join(ROOT, rel), 'utf8'), rel);
  expect(
    r.diagnostics.filter((d) => d.severity === 'error'),
    rel,
  ).toEqual([]);
  return r.models;
}

/** What the graph must have, computed straight from the IR: edges = data inputs + initial states + outputs. */
function irEdgeCount(m: IRModel): number {
  return m.nodes.reduce((a, n) => a + n.inputs.length + (n.initialState?.length ?? 0), 0) + m.outputs.length;
}

/** Every text node of an SVG, through a strict XML parser (throws on malformed XML). */
function svgTexts(svg: string): { texts: string[]; groups: Record<string, number> } {
  const parser = sax.parser(true, {});
  const texts: string[] = [];
  const groups: Record<string, number> = {};
  let inText = 0;
  let current = '';
  parser.onerror = (e) => {
    throw e;
  };
  parser.onopentag = (tag) => {
    if (tag.name === 'text') {
      inText++;
      current = '';
    }
    const cls = tag.attributes.class;
    if (tag.name === 'g' && typeof cls === 'string') groups[cls] = (groups[cls] ?? 0) + 1;
  };
  parser.ontext = (t) => {
    if (inText > 0) current += t;
  };
  parser.onclosetag = (name) => {
    if (name === 'text') {
      inText--;
      texts.push(current.replace(/\u00a0/g, ' ').trim());
    }
  };
  parser.write(svg).close();
  return { texts, groups };
}

describe('graph description (compiler/graph.ts)', () => {
  const all = [...REFERENCE, ...FIXTURES].flatMap((rel) => models(rel).map((m) => ({ rel, m })));

  it('covers the six reference specs and the functional fixtures', () => {
    expect(REFERENCE.length).toBeGreaterThanOrEqual(7); // the six architectures and encoder-decoder-attention
    expect(all.filter((x) => x.m.kind === 'functional').length).toBeGreaterThanOrEqual(4);
  });

  it.each(all.map((x) => [`${x.rel} ${x.m.name}`, x.m] as const))(
    '%s: one node per input, layer and output; one edge per data input, initial state and output',
    (_, m) => {
      const g = modelGraph(m);
      expect(g.nodes.filter((n) => n.kind === 'input').map((n) => n.name)).toEqual(m.inputs.map((i) => i.name));
      expect(g.nodes.filter((n) => n.kind === 'layer').map((n) => n.name)).toEqual(m.nodes.map((n) => n.name));
      expect(g.nodes.filter((n) => n.kind === 'output')).toHaveLength(m.outputs.length);
      expect(g.edges).toHaveLength(irEdgeCount(m));
      const ids = new Set(g.nodes.map((n) => n.id));
      expect(ids.size).toBe(g.nodes.length);
      for (const e of g.edges) {
        expect(ids.has(e.from), e.from).toBe(true);
        expect(ids.has(e.to), e.to).toBe(true);
      }
      // Shapes and params are the IR's; the type is the table's class name (wrappers name the inner one).
      for (const n of m.nodes) {
        const gn = g.nodes.find((x) => x.id === `layer:${n.name}`)!;
        expect(gn.params).toBe(n.params.trainable + n.params.nonTrainable);
        expect(gn.inputShapes).toEqual(n.inputShapes.map((s) => shapeText(withBatch(s))));
        expect(gn.type.startsWith(getLayer(n.type)!.className)).toBe(true);
        if (n.inner) expect(gn.type).toContain(`(${getLayer(n.inner.type)!.className})`);
        expect(gn.call.startsWith(`${n.type}(`)).toBe(true);
      }
      expect(g.totalParams).toBe(m.nodes.reduce((a, n) => a + n.params.trainable + n.params.nonTrainable, 0));
    },
  );

  it('labels states: initialState edges with the state they set, returnState outputs with their name', () => {
    const byName = new Map(models(FIXTURES[0]!).map((m) => [m.name, modelGraph(m)]));
    const labels = (g: ModelGraph, kind: string) =>
      g.edges.filter((e) => e.kind === kind && e.label !== '').map((e) => `${e.from}->${e.to} ${e.label}`);
    expect(labels(byName.get('Translate')!, 'state')).toEqual([
      'layer:lstm_1->layer:lstm_2 initial h',
      'layer:lstm_1->layer:lstm_2 initial c',
    ]);
    expect(labels(byName.get('BiStates')!, 'state')).toEqual([
      'layer:bidirectional_1->layer:bidirectional_2 initial h fwd',
      'layer:bidirectional_1->layer:bidirectional_2 initial c fwd',
      'layer:bidirectional_1->layer:bidirectional_2 initial h bwd',
      'layer:bidirectional_1->layer:bidirectional_2 initial c bwd',
      'layer:gru_1->layer:gru_2 initial h',
    ]);
    const enc = byName.get('EncoderStates')!;
    expect(labels(enc, 'data')).toEqual(['layer:encoder->layer:dense_1 h']);
    expect(labels(enc, 'output')).toEqual(['layer:encoder->output:2 c']);
    expect(enc.nodes.find((n) => n.name === 'encoder')!.outputShapes).toEqual([
      'out: (batch, 20, 32)',
      'h: (batch, 32)',
      'c: (batch, 32)',
    ]);
    // A merge has one data edge per input.
    const merge = byName.get('Merge')!;
    expect(merge.edges.filter((e) => e.to === 'layer:concatenate_2')).toHaveLength(2);
  });

  it('both spellings of a reference spec give the same DOT', () => {
    for (const rel of REFERENCE) {
      const yaml = rel.replace(/\.lstm$/, '.yaml');
      const a = models(rel).map((m) => graphToDot(modelGraph(m)));
      const b = models(yaml).map((m) => graphToDot(modelGraph(m)));
      expect(b, yaml).toEqual(a);
    }
  });

  it('escapes names in DOT and in HTML labels', () => {
    const [m] = checkSource(`model Q {\n  input x: [4, 2]\n  lstm(3, name: "enc/a.b-1")\n}\n`, 'q.lstm').models;
    const dot = graphToDot(modelGraph(m!));
    expect(dot).toContain('"input:x" -> "layer:enc/a.b-1";');
    expect(dot).toContain('<b>enc/a.b-1</b> (LSTM)');
    expect(dotString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(htmlEscape('<b>&"x"</b>')).toBe('&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;');
  });
});

describe('DOT goldens', () => {
  const cases = [...REFERENCE, ...FIXTURES].flatMap((rel) =>
    models(rel).map((m) => [`${path.basename(rel).replace(/\.(lstm|yaml)$/, '')}.${m.name}.dot`, m] as const),
  );
  it.each(cases)('%s', (name, m) => {
    const dot = graphToDot(modelGraph(m));
    const file = path.join(GOLDEN, name);
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) throw new Error(`missing golden ${file}: run with UPDATE_GOLDEN=1`);
      writeFileSync(file, dot);
    }
    expect(dot).toBe(readFileSync(file, 'utf8'));
  });
});

describe('layout and rendering (Graphviz WASM, resvg)', () => {
  const all = [...REFERENCE, ...FIXTURES].flatMap((rel) => models(rel).map((m) => ({ rel, m })));

  it.each(all.map((x) => [`${x.rel} ${x.m.name}`, x.m] as const))(
    '%s: the SVG parses and shows every box, its text and every edge',
    async (_, m) => {
      const g = modelGraph(m);
      const svg = await dotToSvg(graphToDot(g));
      const { texts, groups } = svgTexts(svg);
      expect(groups.node).toBe(g.nodes.length);
      expect(groups.edge).toBe(irEdgeCount(m));
      const joined = texts.join('\n');
      for (const n of g.nodes) {
        expect(texts, n.name).toContain(n.name);
        if (n.kind !== 'output') expect(joined, n.type).toContain(`(${n.type})`);
        for (const s of [...n.inputShapes, ...n.outputShapes]) expect(texts, `${n.name} ${s}`).toContain(s);
        if (n.kind === 'layer') expect(texts).toContain(n.params.toLocaleString('en-US'));
      }
      for (const e of g.edges.filter((x) => x.label !== '')) expect(texts).toContain(e.label);
    },
  );

  it('rasterises PNG at twice the SVG size, with ink on the page', async () => {
    const m = models('specs/encoder-decoder.lstm')[0]!;
    const svg = await dotToSvg(graphToDot(modelGraph(m)));
    const png = Buffer.from(await svgToPng(svg));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    const pt = /<svg width="(\d+)pt" height="(\d+)pt"/.exec(svg)!;
    // Graphviz sizes in points (1pt = 1px for resvg at 96 dpi is 4/3 px): the zoom is 2.
    const svgW = Number(pt[1]) * (4 / 3);
    const svgH = Number(pt[2]) * (4 / 3);
    expect(Math.abs(width - 2 * svgW)).toBeLessThan(4);
    expect(Math.abs(height - 2 * svgH)).toBeLessThan(4);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('Graphviz errors surface as an error, not a crash', async () => {
    await expect(dotToSvg('digraph { a -> }')).rejects.toThrow(/Graphviz could not lay out the graph/);
  });
});

describe('lstmc graph (CLI)', () => {
  let dir: string;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [MAIN, 'graph', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', LSTMC_DEBUG: '' },
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at |internal error/);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'lstmc-graph-'));
    writeFileSync(path.join(dir, 'broken.lstm'), 'model Broken {\n  input x: [5, 10]\n  lstm(25)\n  lstm(10)\n}\n');
    writeFileSync(path.join(dir, 'two.lstm'), readFileSync(path.join(ROOT, FIXTURES[0]!), 'utf8'));
    mkdirSync(path.join(dir, 'out'));
  });

  it('writes DOT to stdout by default, and svg/png/dot files by extension', () => {
    const spec = path.join(ROOT, 'specs', 'stacked.lstm');
    const dot = run([spec]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toBe(readFileSync(path.join(GOLDEN, 'stacked.StackedSine.dot'), 'utf8'));
    for (const ext of ['svg', 'png', 'dot', 'gv']) {
      const r = run([spec, '-o', `out/model.${ext}`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Wrote out/model\\.${ext}: StackedSine, 3 layers`));
    }
    expect(readFileSync(path.join(dir, 'out/model.svg'), 'utf8')).toMatch(/<svg[\s\S]*lstm_2[\s\S]*<\/svg>/);
    expect(readFileSync(path.join(dir, 'out/model.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(path.join(dir, 'out/model.gv'), 'utf8')).toBe(dot.stdout);
    // No temp files are left beside the outputs.
    expect(readdirSync(path.join(dir, 'out')).sort()).toEqual(['model.dot', 'model.gv', 'model.png', 'model.svg']);
  });

  it('picks a model of a file with several with --model', () => {
    const r = run(['two.lstm', '--model', 'BiStates', '--format', 'svg']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bidirectional_2');
  });

  it('spec errors: the located diagnostics, exit 1, nothing written', () => {
    const r = run(['broken.lstm', '-o', 'out/broken.svg']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.lstm:4:\d+/);
    expect(r.stderr).toMatch(/LSTM3\d{3}/);
    expect(existsSync(path.join(dir, 'out/broken.svg'))).toBe(false);
    noStack(r.stderr);
  });

  it('an unknown model, several models without --model, an unknown format: usage errors (exit 2)', () => {
    const unknown = run(['two.lstm', '--model', 'Nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'lstmc: no model named "Nope" in two.lstm (models: Translate, Merge, BiStates, EncoderStates)\n',
    );
    const several = run(['two.lstm']);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/defines 4 models .*choose one with --model NAME/);
    const jpg = run(['two.lstm', '--model', 'Merge', '-o', 'm.jpg']);
    expect(jpg.code).toBe(2);
    expect(jpg.stderr).toMatch(/cannot tell the graph format from "m\.jpg"/);
    const missing = run(['nope.lstm']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no files matched "nope\.lstm"/);
  });

  it('an unwritable output: one line naming the path, exit 1, no stack, nothing left behind', () => {
    const spec = path.join(ROOT, 'specs', 'vanilla.lstm');
    const noDir = run([spec, '-o', 'missing/dir/model.svg']);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toBe('lstmc: error: cannot write missing/dir/model.svg: no such directory\n');
    const isDir = run([spec, '-o', 'out', '--format', 'svg']);
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toMatch(/^lstmc: error: cannot write out: /);
    expect(readdirSync(path.join(dir, 'out')).filter((f) => f.startsWith('.lstmc-tmp-'))).toEqual([]);
    noStack(noDir.stderr + isDir.stderr);
  });
});
