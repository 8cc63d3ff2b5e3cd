/**
 * Data-driven tests over specs/:
 * - every reference spec checks clean, in both spellings, and the two spellings lower to equal IR;
 * - every wrong spec under specs/invalid/ matches its golden baseline (`<spec>.diag`, in the
 *   TypeScript-baseline style `file(line,col): error LSTMnnnn: message`), UPDATE_GOLDEN=1 to accept;
 * - the invalid corpus covers every user-facing diagnostic code of the table.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { Diagnostics, sortDiagnostics, type Diagnostic } from '../base/diagnostics.js';
import { missingDataFiles } from '../compiler/data.js';
import type { IRModel } from '../compiler/ir.js';

const SPECS = join(import.meta.dirname, '..', 'specs');
const INVALID = join(SPECS, 'invalid');
const update = process.env.UPDATE_GOLDEN === '1';

function baseline(file: string, ds: Diagnostic[]): string {
  return (
    ds
      .map(
        (d) =>
          `${file}(${d.line},${d.column}): ${d.severity} ${d.code}: ${d.message}${d.hint ? `\n    hint: ${d.hint}` : ''}`,
      )
      .join('\n') + '\n'
  );
}

/** IR without source positions and file names, for comparing the two spellings. */
function stripSpans(m: IRModel): unknown {
  return JSON.parse(
    JSON.stringify(m, (k, v) => (k === 'span' || k === 'spans' || k === 'argSpans' || k === 'file' ? undefined : v)),
  );
}

const reference = readdirSync(SPECS)
  .filter((f) => f.endsWith('.lstm'))
  .map((f) => basename(f, '.lstm'));

describe('reference specs', () => {
  it('has the six architectures in both forms', () => {
    expect(reference.length).toBeGreaterThanOrEqual(6);
    for (const r of reference) expect(existsSync(join(SPECS, `${r}.yaml`)), `${r}.yaml`).toBe(true);
  });
  for (const r of reference) {
    it(`${r}: both forms check clean and lower to identical IR`, () => {
      const lstm = checkSource(readFileSync(join(SPECS, `${r}.lstm`), 'utf8'), `specs/${r}.lstm`);
      const yaml = checkSource(readFileSync(join(SPECS, `${r}.yaml`), 'utf8'), `specs/${r}.yaml`);
      expect(lstm.diagnostics).toEqual([]);
      expect(yaml.diagnostics).toEqual([]);
      expect(lstm.models.length).toBeGreaterThan(0);
      expect(yaml.models.map(stripSpans)).toEqual(lstm.models.map(stripSpans));
    });
  }
});

const invalid = existsSync(INVALID)
  ? readdirSync(INVALID)
      .filter((f) => /\.(lstm|ya?ml)$/.test(f))
      .sort()
  : [];

describe('invalid specs (golden diagnostics)', () => {
  it('has a corpus of at least 30 wrong specs in both forms', () => {
    const lstm = invalid.filter((f) => f.endsWith('.lstm'));
    const yaml = invalid.filter((f) => !f.endsWith('.lstm'));
    expect(lstm.length).toBeGreaterThanOrEqual(30);
    expect(yaml.length).toBeGreaterThanOrEqual(30);
  });
  const seen = new Set<string>();
  for (const f of invalid) {
    it(f, () => {
      const path = join(INVALID, f);
      const source = readFileSync(path, 'latin1').includes('\u0000')
        ? readFileSync(path, 'latin1')
        : readFileSync(path, 'utf8');
      const res = checkSource(source, `specs/invalid/${f}`);
      // As `lstmc check` does: data files that are not there (LSTM4020), relative to the spec.
      const missing = missingDataFiles(res.models, (p) => {
        const absolute = join(INVALID, p);
        return { absolute: `specs/invalid/${p}`, exists: existsSync(absolute) };
      });
      if (missing.length > 0) res.diagnostics = sortDiagnostics([...res.diagnostics, ...missing]);
      for (const d of res.diagnostics) seen.add(d.code);
      // A wrong spec must produce at least one error (warnings-only specs end in .warn.*).
      if (!f.includes('.warn.'))
        expect(
          res.diagnostics.some((d) => d.severity === 'error'),
          'expected an error',
        ).toBe(true);
      else
        expect(
          res.diagnostics.some((d) => d.severity === 'warning'),
          'expected a warning',
        ).toBe(true);
      for (const d of res.diagnostics) {
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.column).toBeGreaterThanOrEqual(1);
        expect(d.code).not.toBe('LSTM9001');
      }
      const actual = baseline(`specs/invalid/${f}`, res.diagnostics);
      const golden = `${path}.diag`;
      if (update || !existsSync(golden)) {
        if (!update) throw new Error(`missing golden ${golden}; run with UPDATE_GOLDEN=1`);
        writeFileSync(golden, actual);
      } else {
        expect(actual).toBe(readFileSync(golden, 'utf8'));
      }
    });
  }
  it('covers every user-facing diagnostic code', () => {
    const all = new Set<string>();
    for (const f of invalid) {
      const golden = readFileSync(join(INVALID, `${f}.diag`), 'utf8');
      for (const m of golden.matchAll(/ (LSTM\d{4}):/g)) all.add(m[1]!);
    }
    const missing = Object.values(Diagnostics)
      .map((d) => d.code)
      // LSTM5xxx (lstmc import) are covered by the import fixtures (test/import.test.ts); LSTM2045 is the
      // PyTorch target's refusal of stateful layers (test/stateful.test.ts), never `lstmc check`'s.
      .filter((c) => !c.startsWith('LSTM9') && !c.startsWith('LSTM5') && c !== 'LSTM2045' && !all.has(c));
    expect(missing).toEqual([]);
  });
});
