/**
 * Hostile and broken input through the real CLI (`node dist/cli/main.js check FILE`, built by
 * `npm test`): every case exits 1 (errors found, not a crash: 2 would be usage/internal), prints a
 * located `file:line:col error LSTMnnnn message`, never a stack trace, and comes back (spawnSync has a
 * generous kill timeout only so that a hang fails the test instead of blocking the run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const DEEP = 10_000;

/** name -> [contents, the code it must report] */
const CASES: Record<string, [string | Buffer, string]> = {
  'empty.lstm': ['', 'LSTM1005'],
  'empty.yaml': ['', 'LSTM1005'],
  'garbage.lstm': [
    Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe, 0, 1, 0x1b,
      0x5b, 0x32, 0x4a,
    ]),
    'LSTM1007',
  ],
  'garbage.yaml': [
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0]),
    'LSTM1007',
  ],
  'unterminated.lstm': ['model M {\n  input x: [5, 10]\n  lstm(25, name: "encoder)\n  dense(10)\n}\n', 'LSTM1002'],
  'deep.lstm': [`model Deep {\n  input x: ${'['.repeat(DEEP)}1${']'.repeat(DEEP)}\n  lstm(8)\n}\n`, 'LSTM1004'],
  'deep-calls.lstm': [
    `model Deep {\n  input x: [5, 10]\n  ${'timeDistributed('.repeat(DEEP)}dense(1)${')'.repeat(DEEP)}\n}\n`,
    'LSTM1004',
  ],
  'deep.yaml': [
    `model: Deep\ninputs:\n  x: ${'['.repeat(DEEP)}1${']'.repeat(DEEP)}\nlayers:\n  - lstm: 8\n`,
    'LSTM1004',
  ],
  'deep-block.yaml': [
    `model: Deep\ninputs:\n  x: [5, 10]\nlayers:\n${Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i + 1)}- a:`).join('\n')}\n`,
    'LSTM1004',
  ],
  'bomb.yaml': [
    [
      'model: Bomb',
      'inputs:',
      '  x: [5, 10]',
      'params:',
      '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      ...'bcdefghi'.split('').map((c, i) => `  ${c}: &${c} [${new Array(9).fill('*' + 'abcdefghi'[i]).join(', ')}]`),
      'layers:',
      '  - lstm: $i',
      '',
    ].join('\n'),
    'LSTM1012',
  ],
  'tabs.yaml': ['model: M\ninputs:\n  x: [5, 10]\nlayers:\n\t- lstm: 25\n\t- dense: 10\n', 'LSTM1010'],
  'dupkeys.yaml': ['model: M\ninputs:\n  x: [5, 10]\nlayers:\n  - lstm: 25\nlayers:\n  - dense: 10\n', 'LSTM1011'],
  'huge-units.lstm': ['model M {\n  input x: [5, 10]\n  lstm(units: 1e400)\n  dense(10)\n}\n', 'LSTM1006'],
  'huge-units.yaml': [
    'model: M\ninputs:\n  x: [5, 10]\nlayers:\n  - lstm: {units: 1e400}\n  - dense: 10\n',
    'LSTM1006',
  ],
  // A finite literal is a number in both spellings; a dimension past 2^53 is then too large (LSTM3008).
  'huge-int.lstm': ['model M {\n  input x: [5, 99999999999999999999999]\n  lstm(25)\n}\n', 'LSTM3008'],
  'negative-dim.lstm': ['model M {\n  input x: [-5, 10]\n  lstm(25)\n}\n', 'LSTM3008'],
  'negative-dim.yaml': ['model: M\ninputs:\n  x: [-5, 10]\nlayers:\n  - lstm: 25\n', 'LSTM3008'],
  'fractional-dim.lstm': ['model M {\n  input x: [5, 2.5]\n  lstm(25)\n}\n', 'LSTM3008'],
  'fractional-dim.yaml': ['model: M\ninputs:\n  x: [5, 2.5]\nlayers:\n  - lstm: 25\n', 'LSTM3008'],
  'no-input.lstm': ['model M {\n  lstm(25)\n  dense(10)\n}\n', 'LSTM2012'],
  'no-input.yaml': ['model: M\nlayers:\n  - lstm: 25\n  - dense: 10\n', 'LSTM2012'],
  'cycle.lstm': [
    'model M {\n  input x: [5, 10]\n  let a = b -> lstm(8, returnSequences: true)\n  let b = a -> lstm(8, returnSequences: true)\n  output b\n}\n',
    'LSTM2013',
  ],
  'cycle.yaml': [
    'model: M\ninputs:\n  x: [5, 10]\ngraph:\n  - {let: a, from: b, layers: [lstm: {units: 8, returnSequences: true}]}\n  - {let: b, from: a, layers: [lstm: {units: 8, returnSequences: true}]}\noutputs: [b]\n',
    'LSTM2013',
  ],
  'undefined.lstm': ['model M {\n  input x: [5, 10]\n  let y = z -> lstm(8)\n  output y\n}\n', 'LSTM2008'],
  'undefined.yaml': [
    'model: M\ninputs:\n  x: [5, 10]\ngraph:\n  - {let: y, from: z, layers: [lstm: 8]}\noutputs: [y]\n',
    'LSTM2008',
  ],
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lstmc-bad-'));
  for (const [name, [content]] of Object.entries(CASES)) writeFileSync(path.join(dir, name), content);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function check(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
} {
  const r = spawnSync(process.execPath, [MAIN, 'check', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', signal: r.signal };
}

const STACK = /^\s+at\s/m;

describe('lstmc check on broken and hostile input', () => {
  for (const [name, [, code]] of Object.entries(CASES)) {
    it(`${name}: exit 1, located ${code}, no stack trace`, () => {
      const r = check(name);
      expect(r.signal, 'killed (hang?)').toBeNull();
      expect(r.stderr + r.stdout).not.toMatch(STACK);
      expect(r.stderr).not.toMatch(/LSTM9001|Internal error|RangeError|TypeError/);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const located = new RegExp(`^${name.replace(/\./g, '\\.')}:(\\d+):(\\d+) error (LSTM\\d{4}) `, 'gm');
      const found = [...r.stdout.matchAll(located)];
      expect(found.length, r.stdout).toBeGreaterThan(0);
      for (const m of found) {
        expect(Number(m[1])).toBeGreaterThanOrEqual(1);
        expect(Number(m[2])).toBeGreaterThanOrEqual(1);
      }
      expect(found.map((m) => m[3])).toContain(code);
    });
  }

  it('all of them at once, as JSON: one exit 1, every diagnostic located in its file', () => {
    const names = Object.keys(CASES);
    const r = check('--format', 'json', ...names);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).not.toMatch(STACK);
    const out = JSON.parse(r.stdout) as {
      diagnostics: { file: string; line: number; column: number; code: string; severity: string }[];
      errorCount: number;
    };
    for (const name of names) {
      const mine = out.diagnostics.filter((d) => path.basename(d.file) === name);
      expect(
        mine.map((d) => d.code),
        name,
      ).toContain(CASES[name]![1]);
      for (const d of mine) {
        expect(d.line, `${name} ${d.code}`).toBeGreaterThanOrEqual(1);
        expect(d.column, `${name} ${d.code}`).toBeGreaterThanOrEqual(1);
        expect(d.code).not.toBe('LSTM9001');
      }
    }
    expect(out.errorCount).toBeGreaterThanOrEqual(names.length);
  });

  it('the binary file does not echo raw control characters to the terminal', () => {
    const r = check('garbage.lstm');
    expect(r.code).toBe(1);
    // NUL and ESC would corrupt the user's terminal.
    expect(r.stdout).not.toMatch(/[\u0000\u001b]/);
  });
});
