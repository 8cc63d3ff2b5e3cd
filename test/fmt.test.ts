/**
 * `lstmc fmt` (grammar/format.ts, cli/fmt-command.ts).
 *
 * - Goldens: every `test/fixtures/fmt/*.lstm` formats to its `.lstm.golden` (UPDATE_GOLDEN=1
 *   rewrites them), and the golden is a fixed point.
 * - The six reference specs are already formatted (so `lstmc fmt --check specs/*.lstm` holds in CI).
 * - Properties (fast-check) on the reference specs, the fixtures and random architectures printed by
 *   compiler/print.ts, each re-laid-out at random (spaces, line breaks, blank lines and new comments
 *   between any two tokens): the formatter accepts it, is idempotent, keeps every comment (the same
 *   comments in the same order) and preserves the checked IR (spans aside) and the diagnostics.
 * - Bad input: syntax errors give diagnostics and no text; never a throw.
 * - The CLI: --check exit codes and messages, rewriting only changed files, untouched files with
 *   syntax errors, stdin, YAML files left alone.
 */
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { printLstm } from '../compiler/print.js';
import { formatSource, lstmComments } from '../grammar/format.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';
import { relayout } from './helpers/relayout.js';
import { runCli } from './helpers/cli.js';
import { growth, GROWTH_BOUND, TIMED } from './helpers/growth.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'fmt');
const SPECS = path.join(ROOT, 'specs');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function comparable(models: readonly IRModel[]): unknown {
  return JSON.parse(
    JSON.stringify(models, (k, v: unknown) =>
      k === 'span' || k === 'spans' || k === 'argSpans' || k === 'file' ? undefined : v,
    ),
  );
}

function diagnosticCodes(text: string): string[] {
  return checkSource(text, 'x.lstm').diagnostics.map((d) => `${d.code} ${d.message}`);
}

function fmt(text: string): string {
  const r = formatSource(text, 'x.lstm');
  if (r.text === undefined) throw new Error(`not formatted:\n${text}\n${JSON.stringify(r.diagnostics, null, 1)}`);
  return r.text;
}

const commentTexts = (text: string): string[] => lstmComments(text).map((c) => c.text);

/** What fmt must keep: the checked IR, the diagnostics, the comments. */
function expectSameMeaning(before: string, after: string): void {
  expect(comparable(checkSource(after, 'x.lstm').models)).toEqual(comparable(checkSource(before, 'x.lstm').models));
  expect(diagnosticCodes(after)).toEqual(diagnosticCodes(before));
  expect(commentTexts(after)).toEqual(commentTexts(before));
}

describe('fmt goldens (test/fixtures/fmt)', () => {
  const inputs = readdirSync(FIXTURES).filter((f) => f.endsWith('.lstm'));
  it('has fixtures', () => expect(inputs.length).toBeGreaterThanOrEqual(4));
  for (const f of inputs) {
    it(f, () => {
      const source = readFileSync(path.join(FIXTURES, f), 'utf8');
      const out = fmt(source);
      const golden = path.join(FIXTURES, `${f}.golden`);
      if (UPDATE) writeFileSync(golden, out);
      expect(out).toBe(readFileSync(golden, 'utf8'));
      expect(out).not.toBe(source); // every fixture needs formatting
      expect(fmt(out)).toBe(out);
      expectSameMeaning(source, out);
    });
  }
  it('keeps CRLF line ends and a byte-order mark', () => {
    const out = fmt('\ufeffmodel M {\r\n  input x: [5, 10]   # c\r\n  lstm( 25 )\r\n}\r\n');
    expect(out).toBe('\ufeffmodel M {\r\n  input x: [5, 10]                    # c\r\n  lstm(25)\r\n}\r\n');
  });
});

describe('docs/tooling.md', () => {
  it('its fmt example formats as it says', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'tooling.md'), 'utf8');
    const blocks = [...doc.matchAll(/```lstm\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(2);
    expect(fmt(blocks[0]!)).toBe(blocks[1]);
  });
});

describe('the reference specs are formatted', () => {
  for (const f of readdirSync(SPECS).filter((x) => x.endsWith('.lstm'))) {
    it(f, () => {
      const text = readFileSync(path.join(SPECS, f), 'utf8');
      expect(fmt(text)).toBe(text);
    });
  }
});

describe('the IR printer (compiler/print.ts) writes the canonical layout', () => {
  for (const f of readdirSync(SPECS).filter((x) => /\.(lstm|yaml)$/.test(x))) {
    it(f, () => {
      const [model] = checkSource(readFileSync(path.join(SPECS, f), 'utf8'), f).models;
      const text = printLstm(model!);
      expect(fmt(text)).toBe(text);
    });
  }
});

describe('bad input', () => {
  it.each([
    ['a syntax error', 'model M {\n  input x: [5, 10]\n  lstm(20 returnSequences: true)\n}\n', 'LSTM1001'],
    ['an unterminated string', 'model M {\n  input x: [5]\n  dense(1, name: "abc)\n}\n', 'LSTM1002'],
    ['a stray character', 'model M {\n  input x: [5] @\n}\n', 'LSTM1003'],
    ['no model', '# only a comment\n', 'LSTM1005'],
    ['binary', '\u0000\u0001\u0002model', 'LSTM1007'],
  ])('%s: no text, located diagnostics', (_, text, code) => {
    const r = formatSource(text, 'bad.lstm');
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain(code);
    expect(r.diagnostics.every((d) => d.file === 'bad.lstm' && d.line >= 1)).toBe(true);
  });
  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = formatSource(`model M {\n${s}\n}\n`, 'r.lstm');
        if (r.text !== undefined) expect(formatSource(r.text, 'r.lstm').text).toBe(r.text);
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------------------------ properties

const corpus: string[] = [
  ...readdirSync(SPECS)
    .filter((f) => f.endsWith('.lstm'))
    .map((f) => readFileSync(path.join(SPECS, f), 'utf8')),
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.lstm'))
    .map((f) => readFileSync(path.join(FIXTURES, f), 'utf8')),
];
{
  const r = rng(20261202);
  for (let i = 0; i < 20; i++) corpus.push(printLstm(randSequential(r, i), { names: 'all' }));
  for (let i = 0; i < 20; i++) corpus.push(printLstm(randFunctional(r, i)));
}

describe('fmt properties on re-laid-out specs', () => {
  it(`${corpus.length} specs: formatted, idempotent, same IR, diagnostics and comments`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: corpus.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        (which, choices) => {
          const original = corpus[which]!;
          const messy = relayout(original, choices);
          const once = fmt(messy);
          expect(fmt(once)).toBe(once);
          expectSameMeaning(messy, once);
          expect(comparable(checkSource(once, 'x.lstm').models)).toEqual(
            comparable(checkSource(original, 'x.lstm').models),
          );
          // No line of the result is indented by anything but spaces, none ends in a blank.
          for (const line of once.split('\n')) expect(line).not.toMatch(/^\s*\t|[ \t]$/);
          expect(once).not.toMatch(/\n\n\n/);
        },
      ),
      { numRuns: 150 },
    );
  });
  it('the layout does not depend on the input layout (without new comments)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: corpus.length - 1 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 64 }),
        (which, choices) => {
          // Gaps 0, 1, 3 and 5 add no line break: same tokens on the same lines as far as blank lines go.
          const flat = choices.map((c) => [0, 1, 5][c % 3]!);
          const original = corpus[which]!;
          expect(fmt(relayout(original, flat))).toBe(fmt(relayout(original, [0])));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('fmt scales linearly', () => {
  /** A model of n layers, each with a comment above it and one after it. */
  const commented = (n: number): string => {
    let s = '# big\nmodel Big {\n  input x: [T, 8]\n';
    for (let i = 0; i < n; i++) s += `  # layer ${i}\n  lstm(8, returnSequences: true)   # trailing ${i}\n`;
    return `${s}}\n`;
  };
  it(
    'ten times the commented layers take about ten times as long (growth ratio, not milliseconds)',
    () => {
      const g = growth(commented, (s) => formatSource(s, 'big.lstm'), 150);
      expect(g, `growth ratio ${g.toFixed(1)}`).toBeLessThan(GROWTH_BOUND);
    },
    TIMED,
  );
});

// ------------------------------------------------------------------------------------ CLI

describe('lstmc fmt (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lstmc-fmt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], input = '') => runCli(['fmt', ...args], { cwd: dir, input });
  const formatted = readFileSync(path.join(SPECS, 'vanilla.lstm'), 'utf8');
  const messy = 'model M {  input x: [5, 10]\n lstm( 25 )   # units\n}\n';
  const bad = 'model M {\n  input x: [5, 10]\n  lstm(20 returnSequences: true)\n}\n';

  it('--check: exit 0 and says so when every file is formatted', () => {
    writeFileSync(path.join(dir, 'ok.lstm'), formatted);
    const r = run(['--check', 'ok.lstm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('lstmc fmt: the file is formatted\n');
  });

  it('--check: exit 1, names the unformatted files on stdout, writes nothing', () => {
    writeFileSync(path.join(dir, 'messy.lstm'), messy);
    const r = run(['--check', 'ok.lstm', 'messy.lstm']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('messy.lstm\n');
    expect(r.stderr).toContain('1 file not formatted; run `lstmc fmt messy.lstm` to fix');
    expect(readFileSync(path.join(dir, 'messy.lstm'), 'utf8')).toBe(messy);
  });

  it('rewrites only the files that change, keeping their mode', () => {
    chmodSync(path.join(dir, 'messy.lstm'), 0o600);
    const okMtime = statSync(path.join(dir, 'ok.lstm')).mtimeMs;
    const r = run(['ok.lstm', 'messy.lstm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('formatted messy.lstm\n');
    expect(readFileSync(path.join(dir, 'messy.lstm'), 'utf8')).toBe(
      'model M {\n  input x: [5, 10]\n  lstm(25)                            # units\n}\n',
    );
    expect(statSync(path.join(dir, 'messy.lstm')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'ok.lstm')).mtimeMs).toBe(okMtime);
    expect(readdirSync(dir).filter((f) => f.startsWith('.lstmc-tmp'))).toEqual([]);
    expect(run(['--check', 'messy.lstm']).code).toBe(0);
  });

  it('through a symlink: the file it points to is rewritten, the link stays', () => {
    writeFileSync(path.join(dir, 'target.lstm'), messy);
    symlinkSync('target.lstm', path.join(dir, 'link.lstm'));
    const r = run(['link.lstm']);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(path.join(dir, 'link.lstm')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, 'target.lstm'), 'utf8')).toBe(fmt(messy));
  });

  it('a file with syntax errors: located diagnostic, exit 1, file untouched, the others still formatted', () => {
    writeFileSync(path.join(dir, 'bad.lstm'), bad);
    writeFileSync(path.join(dir, 'messy2.lstm'), messy);
    const r = run(['bad.lstm', 'messy2.lstm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.lstm:3:11 error LSTM1001 /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(path.join(dir, 'bad.lstm'), 'utf8')).toBe(bad);
    expect(r.stdout).toBe('formatted messy2.lstm\n');
    expect(run(['--check', 'bad.lstm']).code).toBe(1);
  });

  it('stdin: formatted text on stdout; with --check, exit 1 when unformatted', () => {
    const r = run(['-'], messy);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fmt(messy));
    expect(run(['--check', '-'], messy).code).toBe(1);
    expect(run(['--check', '-'], formatted).code).toBe(0);
  });

  it('directories: walks for .lstm files and leaves YAML files alone (says so)', () => {
    const sub = mkdtempSync(path.join(dir, 'tree-'));
    writeFileSync(path.join(sub, 'a.lstm'), formatted);
    writeFileSync(path.join(sub, 'b.yaml'), 'model: M\ninputs: {x: [5, 10]}\nlayers: [lstm: 25]\n');
    const r = run(['--check', path.basename(sub)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('left 1 YAML file as it is (lstmc fmt formats .lstm files)');
  });

  it('usage errors: exit 2, one line', () => {
    const r = run(['--check', 'missing.lstm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lstmc: no files matched "missing.lstm"\n');
  });
});
