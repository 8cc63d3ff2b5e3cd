/**
 * The foundation's promises (issue #7), as tests that fail when they are broken:
 * - the layer table is the only home of per-layer knowledge: no map, set, switch or comparison keyed
 *   by layer names outside compiler/layers/;
 * - regressions of the bugs found by trying lstmc as a new user (the rest are in specs/invalid/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { ACTIVATIONS, LAYERS } from '../compiler/layers/table.js';
import { UNSUPPORTED_LAYERS } from '../compiler/layers/unsupported.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** DSL layer names. Words that also name an activation (softmax) or a layer category (embedding) are left out. */
const OTHER_MEANINGS = new Set<string>([...ACTIVATIONS, ...[...LAYERS.values()].map((d) => d.category)]);
const LAYER_WORDS = new Set<string>(
  [...LAYERS.keys(), ...Object.keys(UNSUPPORTED_LAYERS)].filter((w) => !OTHER_MEANINGS.has(w)),
);

/**
 * Places in `text` that key something by layer names: comparisons with a layer name, `case` labels,
 * object keys, and lists / sets of two or more quoted layer names. 'lstm' alone also names the
 * `.lstm` spelling (format: 'lstm' | 'yaml'), so it counts only beside another layer name.
 */
export function layerKeyedPlaces(text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `${i + 1}: ${line.trim()}`;
    for (const m of line.matchAll(
      /(?:\.(?:type|name|factory|className)|\bfactory|\btype)\s*[!=]==?\s*['"]([A-Za-z0-9]+)['"]/g,
    )) {
      if (LAYER_WORDS.has(m[1]!) && m[1] !== 'lstm') found.push(where);
      else if (m[1] === 'lstm' && !/format|form\b|spelling/.test(line)) found.push(where);
    }
    const kase = /\bcase\s+['"]([A-Za-z0-9]+)['"]\s*:/.exec(line);
    if (kase && LAYER_WORDS.has(kase[1]!) && kase[1] !== 'lstm') found.push(where);
    const key = /^\s*['"]?([A-Za-z0-9]+)['"]?\s*:\s*(?:\[|\{|'|")/.exec(line);
    if (key && LAYER_WORDS.has(key[1]!) && key[1] !== 'lstm') found.push(where);
    const quoted = [...line.matchAll(/['"]([A-Za-z0-9]+)['"]/g)].map((m) => m[1]!).filter((w) => LAYER_WORDS.has(w));
    if (new Set(quoted).size >= 2 && /[[(]/.test(line)) found.push(where);
  });
  return [...new Set(found)];
}

describe('the layer table is the only home of per-layer knowledge', () => {
  it('the scanner finds a per-layer map (it can fail)', () => {
    const old = `const LAYER_KERNELS: Record<string, string[]> = {\n  conv1d: ['Conv2D'],\n  lstm: ['BatchMatMul'],\n};\nif (layer.type === 'reshape') x();\nconst W = new Set(['timeDistributed', 'bidirectional']);`;
    expect(layerKeyedPlaces(old)).toHaveLength(3);
    expect(layerKeyedPlaces(`const f = format === 'lstm' ? a : b;`)).toEqual([]);
  });

  it('no source file outside compiler/layers/ keys anything by layer names', () => {
    const dirs = ['base', 'grammar', 'compiler', 'emit', 'runtime', 'cli'].map((d) => path.join(ROOT, d));
    const offenders: string[] = [];
    for (const f of dirs.flatMap(sourceFiles)) {
      const rel = path.relative(ROOT, f);
      if (rel.startsWith(path.join('compiler', 'layers') + path.sep)) continue;
      for (const p of layerKeyedPlaces(readFileSync(f, 'utf8'))) offenders.push(`${rel}:${p}`);
    }
    expect(offenders, 'per-layer knowledge belongs in the layer table (compiler/layers/)').toEqual([]);
  });

  it('a layer in the table is never also listed as unsupported', () => {
    for (const name of Object.keys(UNSUPPORTED_LAYERS)) expect(LAYERS.has(name), name).toBe(false);
  });

  it('every layer has its documentation, shape rule in words and a TF.js lowering', () => {
    for (const def of LAYERS.values()) {
      expect(def.doc, def.name).toMatch(/^[A-Z`].*\.$/);
      expect(def.shapeDoc, def.name).toMatch(/->/);
      expect(typeof def.lower.tfjs.spec, def.name).toBe('function');
      expect(
        def.readsSequence === (def.category === 'recurrent' || def.category === 'wrapper' || /1d$/.test(def.name)),
        def.name,
      ).toBe(true);
      for (const [arg, spec] of Object.entries(def.args)) expect(spec.doc, `${def.name}.${arg}`).not.toBe('');
    }
  });
});

/** Every module a file imports, type-only imports included (a type circle is still a circle). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g))
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  return out;
}

/** Every circle of a directed graph met by a depth-first walk, as `a -> b -> a`. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const visit = (f: string, stack: string[]): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (!state.has(d)) visit(d, stack);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f, []);
  return found;
}

/** The floors, lowest first: a file imports only from its own floor or below. */
const FLOORS: Readonly<Record<string, number>> = { base: 0, grammar: 1, compiler: 2, emit: 3, runtime: 3, cli: 4 };

describe('floors without loops', () => {
  const files = Object.keys(FLOORS).flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const floorOf = (f: string): number | undefined => FLOORS[path.relative(ROOT, f).split(path.sep)[0]!];

  it('every import goes to the same floor or below (base < grammar < compiler < emit, runtime < cli)', () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const dep of importsOf(f)) {
        const a = floorOf(f)!;
        const b = floorOf(dep);
        if (b !== undefined && b > a) bad.push(`${path.relative(ROOT, f)} -> ${path.relative(ROOT, dep)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the circle finder finds circles (it can fail)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(circles(g)).toEqual(['a -> b -> c -> a', 'd -> d']);
  });

  it('no import circles between files, type imports included', () => {
    const graph = new Map(
      files.map((f) => [
        path.relative(ROOT, f),
        importsOf(f)
          .filter((d) => files.includes(d))
          .map((d) => path.relative(ROOT, d)),
      ]),
    );
    expect(circles(graph)).toEqual([]);
  });
});

describe('regressions (issue #7)', () => {
  const read = (f: string): string => readFileSync(path.join(ROOT, 'specs', f), 'utf8');

  it('bug 4: --param vocab=60 on the generative spec checks clean in both spellings', () => {
    for (const f of ['generative.lstm', 'generative.yaml']) {
      const r = checkSource(read(f), `specs/${f}`, { params: { vocab: '60' } });
      expect(r.diagnostics, f).toEqual([]);
      expect(r.models[0]!.outputShapes).toEqual([[60]]);
    }
    // Smaller than the corpus's alphabet: the data cannot be one-hot encoded; a located error.
    const small = checkSource(read('generative.lstm'), 'specs/generative.lstm', { params: { vocab: '30' } });
    expect(small.diagnostics.map((d) => [d.code, d.line])).toEqual([['LSTM4005', 20]]);
    expect(small.diagnostics[0]!.message).toContain('got vocab = 30');
  });

  it('bug 3: check refuses every model name compile refuses', () => {
    for (const name of ['CON', 'lpt1', 'nul']) {
      const r = checkSource(`model ${name} {\n  input x: [3]\n  dense(2)\n}\n`, 'm.lstm');
      expect(
        r.diagnostics.map((d) => d.code),
        name,
      ).toEqual(['LSTM2019']);
    }
    const clash = checkSource(
      'model Abc {\n  input x: [3]\n  dense(2)\n}\nmodel ABC {\n  input x: [3]\n  dense(2)\n}\n',
      'm.lstm',
    );
    expect(clash.diagnostics.map((d) => [d.code, d.line])).toEqual([['LSTM2019', 5]]);
  });

  it('bug 6: after a failed destructuring, uses of its names say nothing more', () => {
    const src = readFileSync(path.join(ROOT, 'specs/invalid/093-destructure-without-return-state.lstm'), 'utf8');
    const r = checkSource(src, 'x.lstm');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['LSTM2017']);
  });

  it('layer names written as bare words are checked like quoted ones (unique, valid for TF.js)', () => {
    const dup =
      'model: M\ninputs:\n  x: [3]\nlayers:\n  - dense: {units: 2, name: enc}\n  - dense: {units: 2, name: enc}\n';
    expect(checkSource(dup, 'm.yaml').diagnostics.map((d) => [d.code, d.line])).toEqual([['LSTM2009', 6]]);
    const viaParam = 'model M {\n  param n = "enc"\n  input x: [3]\n  dense(2, name: n)\n  dense(2, name: enc)\n}\n';
    expect(checkSource(viaParam, 'm.lstm').diagnostics.map((d) => [d.code, d.line])).toEqual([['LSTM2009', 5]]);
  });

  it('Python constants get a hint in lstmc spelling (None as an argument or a dimension)', () => {
    const arg = checkSource('model M {\n  input x: [3]\n  dense(2, activation: None)\n}\n', 'm.lstm').diagnostics;
    expect(arg.map((d) => [d.code, d.hint])).toEqual([
      ['LSTM2011', 'Leave the argument out to get its default; `None` is Python.'],
    ]);
    const units = checkSource('model M {\n  input x: [3]\n  dense(None)\n}\n', 'm.lstm').diagnostics;
    expect(units.map((d) => d.hint)).toEqual(['Leave the argument out to get its default; `None` is Python.']);
    const dim = checkSource('model: M\ninputs:\n  x: [None, 1]\nlayers:\n  - dense: 2\n', 'm.yaml').diagnostics;
    expect(dim.map((d) => [d.code, d.hint])).toEqual([
      ['LSTM3008', 'An unknown dimension is written `?` (or `null`) in a shape; `None` is Python.'],
    ]);
  });

  it('bidirectional takes forward then backward initial states', () => {
    const src = [
      'model BiInit {',
      '  input x: [T, 4]',
      '  input h0: [8]',
      '  let y = x -> bidirectional(lstm(8), initialState: [h0, h0, h0, h0])',
      '  output y',
      '}',
    ].join('\n');
    expect(checkSource(src, 'b.lstm').diagnostics).toEqual([]);
    const wrong = checkSource(src.replace('[h0, h0, h0, h0]', '[h0, h0]'), 'b.lstm');
    expect(wrong.diagnostics.map((d) => d.code)).toEqual(['LSTM3004']);
    expect(wrong.diagnostics[0]!.message).toContain('takes 4 initial state(s), got 2');
  });
});
