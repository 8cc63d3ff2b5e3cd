/**
 * ARCHITECTURE.md's invariants, checked on the source (after rust-analyzer's tidy tests).
 * A failure here means a layering rule was broken, not that a feature is wrong.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../base/diagnostics.js';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = join(ROOT, dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(relative(ROOT, p)));
    else if (e.endsWith('.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

/** Module specifiers a file imports at load time (static imports and re-exports, not `import type`). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  return specs;
}

describe('layering', () => {
  it('grammar/ and compiler/ never load tfjs or ts-morph (compiler/emit.ts, loaded only by `lstmc compile`, is the one exception for ts-morph)', () => {
    const bad: string[] = [];
    for (const f of [...sources('grammar'), ...sources('compiler')]) {
      for (const s of runtimeImports(f)) {
        if (s.startsWith('@tensorflow/')) bad.push(`${f} imports ${s}`);
        if ((s === 'ts-morph' || s === 'typescript') && f !== join('compiler', 'emit.ts')) bad.push(`${f} imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only the compile command reaches compiler/emit.ts, and only through a dynamic import', () => {
    const bad: string[] = [];
    for (const f of [...sources('grammar'), ...sources('compiler'), ...sources('cli'), ...sources('runtime')]) {
      if (runtimeImports(f).some((s) => /\/emit\.js$/.test(s))) bad.push(f);
    }
    expect(bad).toEqual([]);
  });

  it('runtime/ consumes checked IR, never the AST or the front ends', () => {
    const bad = sources('runtime').flatMap((f) => runtimeImports(f).filter((s) => s.includes('/grammar/')).map((s) => `${f} imports ${s}`));
    expect(bad).toEqual([]);
  });

  it('grammar/ and compiler/ never import runtime/ or cli/', () => {
    const bad = [...sources('grammar'), ...sources('compiler')].flatMap((f) =>
      runtimeImports(f).filter((s) => s.includes('/runtime/') || s.includes('/cli/')).map((s) => `${f} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('cli command modules load neither tfjs nor ts-morph at startup (their actions import lazily)', () => {
    const bad = sources('cli').flatMap((f) =>
      runtimeImports(f).filter((s) => s.startsWith('@tensorflow/') || s === 'ts-morph' || s.includes('/runtime/')).map((s) => `${f} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });
});

describe('diagnostics table', () => {
  it('codes are unique and well formed, and every message is a sentence', () => {
    const codes = Object.values(Diagnostics).map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const d of Object.values(Diagnostics)) {
      expect(d.code).toMatch(/^LSTM[1-49]\d{3}$/);
      expect(d.doc.length).toBeGreaterThan(10);
    }
  });
  it('codes sit in the range of their kind (1xxx syntax, 2xxx names/arguments, 3xxx shapes, 4xxx train/data)', () => {
    const syntax = ['UnexpectedToken', 'UnterminatedString', 'InvalidCharacter', 'NestingTooDeep', 'NoModel', 'InvalidNumber', 'BinaryFile'];
    for (const k of syntax) expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM1')).toBe(true);
    for (const k of ['RankMismatch', 'DimMismatch', 'AssertionFailed', 'ReshapeCount']) expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM3')).toBe(true);
    for (const k of ['UnknownLoss', 'UnknownOptimizer', 'TargetShape']) expect(Diagnostics[k as keyof typeof Diagnostics].code.startsWith('LSTM4')).toBe(true);
  });
});
