/**
 * Printer round trips: IR -> `.lstm` / YAML text -> parse -> check -> the same IR (spans aside).
 * On the reference specs (both spellings, cross-converted) and on a few hundred random
 * architectures (test/helpers/random-arch.ts), which also exercises both front ends and the
 * checker on far more shapes of model than the hand-written specs do.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { lstmString, printLstm, printYaml } from '../compiler/print.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';

const SPECS = join(import.meta.dirname, '..', 'specs');

/**
 * The IR without positions or anything that only records where a value was written: also the `initialState`
 * argument's value names as written (the printer names values itself; the node's `initialState` refs stay).
 */
function comparable(m: IRModel): unknown {
  const names = (k: string, v: unknown) =>
    k === 'initialState' && Array.isArray(v) && v.every((x) => typeof x === 'string');
  return JSON.parse(
    JSON.stringify(m, (k, v) =>
      k === 'span' || k === 'spans' || k === 'argSpans' || k === 'file' || names(k, v) ? undefined : v,
    ),
  );
}

function check(text: string, file: string): IRModel[] {
  const r = checkSource(text, file);
  const errors = r.diagnostics.filter((d) => d.severity !== 'info');
  if (errors.length) throw new Error(`${file} did not re-check clean:\n${text}\n${JSON.stringify(errors, null, 1)}`);
  return r.models;
}

describe('printer round trip on the reference specs', () => {
  const files = readdirSync(SPECS).filter((f) => /\.(lstm|yaml)$/.test(f));
  for (const f of files) {
    it(f, () => {
      const [model] = check(readFileSync(join(SPECS, f), 'utf8'), f);
      const viaLstm = check(printLstm(model!), 'printed.lstm');
      const viaYaml = check(printYaml(model!), 'printed.yaml');
      expect(viaLstm.map(comparable)).toEqual([comparable(model!)]);
      expect(viaYaml.map(comparable)).toEqual([comparable(model!)]);
      // Printing is a fixed point: printing the re-read IR gives the same text.
      expect(printLstm(viaLstm[0]!)).toBe(printLstm(model!));
      expect(printYaml(viaYaml[0]!)).toBe(printYaml(model!));
    });
  }
});

describe('printer round trip on random architectures', () => {
  const r = rng(20261122);
  const models = [
    ...Array.from({ length: 150 }, (_, i) => randSequential(r, i)),
    ...Array.from({ length: 150 }, (_, i) => randFunctional(r, i)),
  ];
  it(`${models.length} random models re-check to the same shapes and parameter counts in both forms`, () => {
    for (const m of models) {
      for (const [form, text] of [
        ['lstm', printLstm(m, { names: 'all' })],
        ['yaml', printYaml(m, { names: 'all' })],
      ] as const) {
        const [back] = check(text, `random.${form}`);
        expect(back, text).toBeDefined();
        const want = m.nodes.map((n) => ({ name: n.name, type: n.type, shapes: n.outputShapes, params: n.params }));
        const got = back!.nodes.map((n) => ({ name: n.name, type: n.type, shapes: n.outputShapes, params: n.params }));
        expect(got, text).toEqual(want);
        expect(back!.outputShapes, text).toEqual(m.outputShapes);
      }
    }
  });
});

describe('string literals', () => {
  it('escape everything that could end or bend a string', () => {
    for (const s of [
      'plain',
      'quo"te',
      'back\\slash',
      'new\nline',
      'tab\there',
      'bell\u0007',
      'sep\u2028',
      'ünï©ødé',
      '${x}`',
    ]) {
      const text = `model M {\n  input x: [2, 3]\n  dense(1, name: ${lstmString(s)})\n}\n`;
      const r = checkSource(text, 's.lstm');
      const parsedName = r.models[0]?.nodes[0]?.args['name'];
      // Names TF.js rejects are diagnosed; the rest must come back unchanged.
      if (r.models.length) expect(parsedName).toBe(s);
      else expect(r.diagnostics.map((d) => d.code)).toEqual(['LSTM2019']);
    }
  });
});

describe('lstmc convert', () => {
  const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '..') });
  it('converts every reference spec to the other spelling, which re-checks to the same IR', () => {
    for (const f of readdirSync(SPECS).filter((x) => /\.(lstm|yaml)$/.test(x))) {
      const out = run(['convert', `specs/${f}`]);
      expect(out.status, out.stderr).toBe(0);
      const other = f.endsWith('.lstm') ? 'converted.yaml' : 'converted.lstm';
      const [original] = check(readFileSync(join(SPECS, f), 'utf8'), f);
      expect(check(out.stdout, other).map(comparable)).toEqual([comparable(original!)]);
    }
  });
  it('refuses a spec with errors (exit 1, diagnostics on stderr) and bad usage (exit 2)', () => {
    const bad = run(['convert', 'specs/invalid/001-stacked-missing-return-sequences.lstm']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('LSTM3001');
    expect(run(['convert', 'specs/vanilla.lstm', '--to', 'json']).status).toBe(2);
    expect(run(['convert', 'specs/no-such-file.lstm']).status).toBe(2);
  });
});
