/**
 * The language service's functions (cli/lsp/service.ts) on text as it is while typing: every prefix of
 * every reference spec (typed character by character, both spellings) and fast-check mutations of
 * them (characters deleted, inserted, duplicated, lines swapped; binary bytes). Every request at many
 * positions answers without throwing, and every range it returns lies inside the document.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as svc from '../cli/lsp/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPECS = path.join(ROOT, 'specs');
const specs = readdirSync(SPECS)
  .filter((f) => /\.(lstm|yaml)$/.test(f))
  .map((f) => ({ f, text: readFileSync(path.join(SPECS, f), 'utf8') }));

interface R {
  start: svc.Position;
  end: svc.Position;
}

/** Every range found anywhere in a result (objects with start/end positions). */
function ranges(x: unknown, out: R[] = []): R[] {
  if (Array.isArray(x)) x.forEach((v) => ranges(v, out));
  else if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (o.start && o.end && typeof (o.start as svc.Position).line === 'number') out.push(o as unknown as R);
    for (const v of Object.values(o)) ranges(v, out);
  }
  return out;
}

/** Every request at a few positions; returns the problems found (none expected). */
function exercise(text: string, file: string, positions: svc.Position[]): string[] {
  const doc = new svc.SpecDocument(`file:///${file}`, text, 1, `/nonexistent/${file}`);
  const lines = text.split(/\r\n|\r|\n/);
  const inside = (p: svc.Position): boolean =>
    p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line]!.length;
  const problems: string[] = [];
  const results: unknown[] = [
    svc.diagnostics(doc),
    svc.inlayHints(doc),
    svc.documentSymbols(doc),
    svc.codeActions(doc, { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } }),
    svc.formatting(doc),
  ];
  for (const p of positions) {
    results.push(
      svc.hover(doc, p),
      svc.completion(doc, p),
      svc.signatureHelp(doc, p),
      svc.definition(doc, p),
      svc.references(doc, p, true),
      svc.prepareRename(doc, p),
      svc.rename(doc, p, 'renamed'),
    );
  }
  for (const r of ranges(results)) {
    // Diagnostics may sit just past the end (an unexpected end of file), as `check` reports them.
    if (!inside(r.start) || !inside(r.end)) problems.push(`${file}: range ${JSON.stringify(r)} outside the text`);
  }
  return problems;
}

function positionsOf(text: string, count: number): svc.Position[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: svc.Position[] = [];
  for (let i = 0; i < count; i++) {
    const line = (i * 7) % lines.length;
    out.push({ line, character: (i * 13) % (lines[line]!.length + 1) });
  }
  return out;
}

describe('completion edits', () => {
  it('a layer name inserts a call with the cursor inside, or the name alone before an existing `(`', () => {
    const text = 'model M {\n  input x: [10, 3]\n  ls\n  ls(4)\n}\n';
    const doc = new svc.SpecDocument('file:///m.lstm', text, 1, '/nonexistent/m.lstm');
    const at = (line: number) => svc.completion(doc, { line, character: 4 }).find((i) => i.label === 'lstm')!;
    expect([at(2).insertText, at(2).insertTextFormat]).toEqual(['lstm($1)', 2]);
    expect(at(3).insertText).toBeUndefined();
  });
});

describe('the language service on half-typed and mangled text', () => {
  it('answers every request for every prefix of every reference spec', () => {
    const problems: string[] = [];
    for (const { f, text } of specs) {
      for (let cut = 0; cut <= text.length; cut += 5) {
        const prefix = text.slice(0, cut);
        const end = positionsOf(prefix, 3);
        const lines = prefix.split(/\r\n|\r|\n/);
        end.push({ line: lines.length - 1, character: lines[lines.length - 1]!.length });
        problems.push(...exercise(prefix, f, end));
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('answers every request on random mutations (fast-check)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        s: fc.oneof(
          fc.constantFrom(
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            ':',
            ',',
            '->',
            '=',
            '"',
            '$',
            '#',
            '\n',
            'let ',
            'lstm(',
            '- ',
          ),
          fc.string({ maxLength: 8 }),
          fc.uint8Array({ maxLength: 6 }).map((b) => String.fromCharCode(...b)),
        ),
      }),
      fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        ({ f, text }, muts) => {
          let t = text;
          for (const m of muts) {
            if (m.kind === 'delete') {
              const at = m.at % (t.length + 1);
              t = t.slice(0, at) + t.slice(at + m.len);
            } else if (m.kind === 'insert') {
              const at = m.at % (t.length + 1);
              t = t.slice(0, at) + m.s + t.slice(at);
            } else {
              const ls = t.split('\n');
              const a = m.a % ls.length;
              const b = m.b % ls.length;
              [ls[a], ls[b]] = [ls[b]!, ls[a]!];
              t = ls.join('\n');
            }
          }
          expect(exercise(t, f, positionsOf(t, 8))).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
