/**
 * `npm run bench:lsp` (node dist/bench/lsp.js): latency of the language server (issue 10).
 *
 * 1. Warm re-check after a keystroke, in process: for each reference spec (both spellings), a
 *    character is typed and deleted again near a layer call, alternately; each version is analysed as
 *    the server does (`SpecDocument`: parse + check + analysis) and its diagnostics and inlay hints are
 *    computed. Median and p95 after a warm-up. Target <= 10 ms.
 * 2. Completion in process: `completion()` at an argument of a layer call and after `->`.
 * 3. Over the protocol (what an editor feels): `lstmc lsp --stdio` spawned with no debounce; the time
 *    from a `didChange` to its `publishDiagnostics`, and a completion request's round trip.
 *
 * BENCH_RUNS sets the number of measured keystrokes per spec (default 200).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { SpecDocument, completion, diagnostics, inlayHints } from '../cli/lsp/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const SPECS = path.join(ROOT, 'specs');
const RUNS = Number(process.env.BENCH_RUNS) > 0 ? Number(process.env.BENCH_RUNS) : 200;
const WARMUP = 50;
const TARGET_MS = 10;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

function timed(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Where a keystroke goes: inside the first layer call's parentheses. */
function keystrokeOffset(text: string, yaml: boolean): number {
  const m = yaml
    ? /- (lstm|gru|bidirectional|conv1d|embedding|dense)/.exec(text)
    : /\n\s+[a-z][A-Za-z0-9]*\(/.exec(text);
  return m ? m.index + m[0].length : Math.floor(text.length / 2);
}

function posAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
}

const files = readdirSync(SPECS).filter((f) => /\.(lstm|yaml)$/.test(f));
const rows: string[][] = [['spec', 're-check median', 'p95', 'completion (2 requests) median']];
let worst = 0;
for (const f of files) {
  const text = readFileSync(path.join(SPECS, f), 'utf8');
  const yaml = f.endsWith('.yaml');
  const at = keystrokeOffset(text, yaml);
  const typed = text.slice(0, at) + ' ' + text.slice(at);
  const uri = pathToFileURL(path.join(SPECS, f)).href;
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = timed(() => {
      const doc = new SpecDocument(uri, i % 2 === 0 ? typed : text, i, path.join(SPECS, f));
      diagnostics(doc);
      inlayHints(doc);
    });
    if (i >= WARMUP) times.push(t);
  }
  // Completion at the argument of that call and at a new statement (every layer, with its docs).
  const doc = new SpecDocument(uri, text, 0, path.join(SPECS, f));
  const where = posAt(text, at);
  const lineStart = {
    line: where.line,
    character: yaml ? where.character - (text.slice(0, at).length - text.slice(0, at).lastIndexOf('- ') - 2) : 2,
  };
  const ctimes: number[] = [];
  let items = 0;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = timed(() => {
      items = completion(doc, where).length + completion(doc, lineStart).length;
    });
    if (i >= WARMUP) ctimes.push(t);
  }
  if (items === 0) throw new Error(`no completions in ${f}`);
  const med = quantile(times, 0.5);
  worst = Math.max(worst, med);
  rows.push([f, ms(med), ms(quantile(times, 0.95)), ms(quantile(ctimes, 0.5))]);
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log('In process (parse + check + analysis + diagnostics + inlay hints per keystroke):');
for (const r of rows)
  console.log('  ' + r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  '));
console.log(
  `  worst median re-check: ${ms(worst)} (target <= ${TARGET_MS} ms: ${worst <= TARGET_MS ? 'met' : 'NOT met'})`,
);

// ---- over the protocol
async function overProtocol(): Promise<void> {
  const child = spawn(process.execPath, [MAIN, 'lsp', '--stdio'], {
    env: { ...process.env, LSTMC_LSP_DEBOUNCE_MS: '0' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn: MessageConnection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const waiting = new Map<number, () => void>();
  conn.onNotification('textDocument/publishDiagnostics', (p: { version?: number }) => {
    if (p.version !== undefined) waiting.get(p.version)?.();
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await conn.sendNotification('initialized', {});
  const f = 'stacked.lstm';
  const text = readFileSync(path.join(SPECS, f), 'utf8');
  const uri = pathToFileURL(path.join(SPECS, f)).href;
  const published = (v: number): Promise<void> => new Promise((resolve) => waiting.set(v, resolve));
  let p = published(1);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'lstm', version: 1, text } });
  await p;
  const at = keystrokeOffset(text, false);
  const where = posAt(text, at);
  const edits: number[] = [];
  const completions: number[] = [];
  for (let v = 2; v < 2 + WARMUP + RUNS; v++) {
    const insert = v % 2 === 0;
    const range = insert
      ? { start: where, end: where }
      : { start: where, end: { line: where.line, character: where.character + 1 } };
    p = published(v);
    const t0 = process.hrtime.bigint();
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: v },
      contentChanges: [{ range, text: insert ? ' ' : '' }],
    });
    await p;
    const t1 = process.hrtime.bigint();
    await conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: where });
    const t2 = process.hrtime.bigint();
    if (v >= 2 + WARMUP) {
      edits.push(Number(t1 - t0) / 1e6);
      completions.push(Number(t2 - t1) / 1e6);
    }
  }
  console.log(`Over the protocol (lstmc lsp --stdio, ${f}, ${RUNS} keystrokes, no debounce):`);
  console.log(
    `  didChange -> publishDiagnostics: median ${ms(quantile(edits, 0.5))}, p95 ${ms(quantile(edits, 0.95))}`,
  );
  console.log(
    `  completion round trip:            median ${ms(quantile(completions, 0.5))}, p95 ${ms(quantile(completions, 0.95))}`,
  );
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
}

await overProtocol();
