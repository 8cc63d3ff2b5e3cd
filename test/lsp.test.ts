/**
 * `lstmc lsp --stdio` over the real protocol: a vscode-jsonrpc client spawns the built CLI, opens and
 * edits documents, and checks every feature against the checker itself (same codes, spans and hints
 * as `check`), the reference specs, and the invalid corpus (every quick fix removes the diagnostic it
 * was offered for). Resilience: binary, huge and half-typed documents, then a good edit recovers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  CompletionItem,
  Diagnostic as LspDiagnostic,
  DocumentSymbol,
  Hover,
  InlayHint,
  Location,
  PublishDiagnosticsParams,
  SignatureHelp,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import { sortDiagnostics } from '../base/diagnostics.js';
import { missingDataFiles } from '../compiler/data.js';
import { checkSource } from '../compiler/index.js';
import { displayPath } from '../cli/files.js';
import { formatShape } from '../compiler/layers/table.js';
import { formatSource } from '../grammar/format.js';
import { MAX_ANALYSED_CHARS } from '../cli/lsp/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const SPECS = path.join(ROOT, 'specs');
const INVALID = path.join(SPECS, 'invalid');

interface Pos {
  line: number;
  character: number;
}

/** A minimal LSP client: documents, versions, and the diagnostics the server publishes. */
class Client {
  readonly conn: MessageConnection;
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();
  private readonly published = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: (() => void)[] = [];
  readonly stderr: string[] = [];

  constructor(readonly child: ChildProcess) {
    this.conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.set(p.uri, p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onNotification('window/logMessage', (p: unknown) => {
      this.stderr.push((p as { message: string }).message);
    });
    child.stderr!.on('data', (b: Buffer) => {
      this.stderr.push(b.toString());
    });
    this.conn.listen();
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  text(uri: string): string {
    return this.texts.get(uri)!;
  }

  async open(
    uri: string,
    text: string,
    languageId = uri.endsWith('.yaml') ? 'yaml' : 'lstm',
  ): Promise<LspDiagnostic[]> {
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    this.published.delete(uri);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return this.diagnostics(uri, 1);
  }

  /** Replace the whole text (or apply incremental edits) and wait for the diagnostics of the new version. */
  async change(uri: string, edit: string | TextEdit[]): Promise<LspDiagnostic[]> {
    const version = this.versions.get(uri)! + 1;
    this.versions.set(uri, version);
    const contentChanges =
      typeof edit === 'string' ? [{ text: edit }] : edit.map((e) => ({ range: e.range, text: e.newText }));
    this.texts.set(uri, typeof edit === 'string' ? edit : applyEdits(this.texts.get(uri)!, edit));
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
    return this.diagnostics(uri, version);
  }

  async close(uri: string): Promise<LspDiagnostic[]> {
    this.published.delete(uri);
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    return this.diagnostics(uri, undefined);
  }

  /** The diagnostics published for `uri` at `version` (or the next ones published, when undefined). */
  async diagnostics(uri: string, version: number | undefined): Promise<LspDiagnostic[]> {
    for (;;) {
      const p = this.published.get(uri);
      if (p && (version === undefined || p.version === version)) return p.diagnostics;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version}`)), 20_000);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  at(uri: string, needle: string, offsetInNeedle = 0, occurrence = 0): Pos {
    const text = this.text(uri);
    let i = -1;
    for (let k = 0; k <= occurrence; k++) i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${needle} not in ${uri}`);
    return posAt(text, i + offsetInNeedle);
  }
}

function posAt(text: string, offset: number): Pos {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

function offsetAt(text: string, p: Pos): number {
  const lines = text.split('\n');
  let o = 0;
  for (let l = 0; l < p.line; l++) o += lines[l]!.length + 1;
  return o + p.character;
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
  let out = text;
  for (const e of sorted)
    out = out.slice(0, offsetAt(out, e.range.start)) + e.newText + out.slice(offsetAt(out, e.range.end));
  return out;
}

const uriOf = (name: string): string => pathToFileURL(path.join(ROOT, 'test/.tmp/lsp', name)).href;
const read = (p: string): string => readFileSync(p, 'utf8');

let client: Client;
let docCounter = 0;
const fresh = (ext = 'lstm'): string => uriOf(`doc${++docCounter}.${ext}`);

beforeAll(async () => {
  const child = spawn(process.execPath, [CLI, 'lsp', '--stdio'], {
    env: { ...process.env, LSTMC_LSP_DEBOUNCE_MS: '5' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  client = new Client(child);
  const init = await client.request<{ capabilities: Record<string, unknown>; serverInfo: { name: string } }>(
    'initialize',
    { processId: process.pid, rootUri: null, capabilities: {} },
  );
  expect(init.serverInfo.name).toBe('lstmc');
  expect(init.capabilities).toMatchObject({
    hoverProvider: true,
    definitionProvider: true,
    referencesProvider: true,
    documentFormattingProvider: true,
    inlayHintProvider: true,
    documentSymbolProvider: true,
  });
  await client.conn.sendNotification('initialized', {});
}, 30_000);

afterAll(async () => {
  if (!client) return;
  await client.request('shutdown', null);
  const exited = new Promise<number | null>((resolve) => client.child.on('exit', (code) => resolve(code)));
  await client.conn.sendNotification('exit');
  expect(await exited).toBe(0);
  client.conn.dispose();
});

/** The diagnostics `check` gives, as the server must publish them. */
function expectedDiagnostics(text: string, file: string): { code: string; range: string; message: string }[] {
  const result = checkSource(text, file);
  const missing = missingDataFiles(result.models, (p) => {
    const absolute = path.resolve(path.dirname(file), p);
    return { absolute: displayPath(absolute, process.cwd()), exists: existsSync(absolute) };
  });
  return sortDiagnostics([...result.diagnostics, ...missing]).map((d) => ({
    code: d.code,
    range: `${d.line - 1}:${d.column - 1}-${d.endLine - 1}:${d.endColumn - 1}`,
    message: d.hint !== undefined ? `${d.message}\nhint: ${d.hint}` : d.message,
  }));
}

function published(ds: LspDiagnostic[]): { code: string; range: string; message: string }[] {
  return ds.map((d) => ({
    code: String(d.code),
    range: `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`,
    message: typeof d.message === 'string' ? d.message : d.message.value,
  }));
}

const invalidSpecs = readdirSync(INVALID).filter((f) => /\.(lstm|yaml)$/.test(f));
const referenceSpecs = readdirSync(SPECS).filter((f) => /\.(lstm|yaml)$/.test(f));

describe('diagnostics as you type', () => {
  it('every reference spec opens clean; every invalid spec gets exactly what check reports', async () => {
    for (const f of referenceSpecs) expect(await client.open(uriOf(f), read(path.join(SPECS, f))), f).toEqual([]);
    expect(invalidSpecs.length).toBeGreaterThan(100);
    let withDiagnostics = 0;
    for (const f of invalidSpecs) {
      const file = path.join(INVALID, f);
      const text = read(file);
      const got = await client.open(pathToFileURL(file).href, text);
      expect(published(got), f).toEqual(expectedDiagnostics(text, file));
      if (got.length > 0) withDiagnostics++;
    }
    expect(withDiagnostics).toBeGreaterThan(100);
  }, 120_000);

  it('an edit re-checks: a typo appears, its fix disappears; closing clears', async () => {
    const uri = fresh();
    const good = read(path.join(SPECS, 'stacked.lstm'));
    expect(await client.open(uri, good)).toEqual([]);
    const typo = await client.change(uri, [
      { range: { start: client.at(uri, 'dense(5)'), end: client.at(uri, 'dense(5)', 5) }, newText: 'dens' },
    ]);
    expect(typo.map((d) => [d.code, d.range.start.line, d.message])).toEqual([
      ['LSTM2001', 5, 'Unknown layer "dens".\nhint: Did you mean "dense"?'],
    ]);
    expect(await client.change(uri, good)).toEqual([]);
    await client.change(uri, good.replace('dense(5)', 'dense(5'));
    expect(await client.close(uri)).toEqual([]);
  });
});

/** Open the reference specs (each describe block stands alone, e.g. under \`vitest -t\`). */
async function openReferenceSpecs(): Promise<void> {
  for (const f of referenceSpecs) await client.open(uriOf(f), read(path.join(SPECS, f)));
}

describe('inlay hints', () => {
  beforeAll(openReferenceSpecs);
  it('show the output shape and parameter count at the end of every layer line (stacked.lstm)', async () => {
    const uri = uriOf('stacked.lstm');
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } },
    });
    const text = read(path.join(SPECS, 'stacked.lstm')).split('\n');
    expect(hints.map((h) => [h.position.line, h.label])).toEqual([
      [3, '→ [50, 20] · 1,760 params'],
      [4, '→ [20] · 3,280 params'],
      [5, '→ [5] · 105 params'],
    ]);
    // At the end of each call (before the trailing comment).
    expect(text[3]!.slice(0, hints[0]!.position.character).trimEnd()).toBe('  lstm(20, returnSequences: true)');
    expect(text[5]!.slice(0, hints[2]!.position.character)).toBe('  dense(5)');
  });

  it('on every reference spec, both spellings, one hint per node with the checker`s shapes and counts', async () => {
    for (const f of referenceSpecs) {
      const text = read(path.join(SPECS, f));
      const model = checkSource(text, f).models[0]!;
      const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
        textDocument: { uri: uriOf(f) },
        range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } },
      });
      expect(hints.length, f).toBe(model.nodes.length);
      model.nodes.forEach((n, i) => {
        const count = n.params.trainable + n.params.nonTrainable;
        const label = String(hints[i]!.label);
        expect(label, f).toContain(n.outputShapes.map((s) => formatShape(s, false)).join(', '));
        if (count > 0) expect(label, f).toContain(`${count.toLocaleString('en-US')} param`);
        expect(hints[i]!.position.line, f).toBe(n.span.endLine - 1);
      });
    }
  });
});

describe('hover', () => {
  beforeAll(openReferenceSpecs);
  const uri = uriOf('stacked.lstm');
  const hover = (p: Pos) => client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: p });
  const value = (h: Hover | null): string =>
    h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';

  it('a layer: its shapes here, parameters and its documentation from the layer table', async () => {
    const h = value(await hover({ line: 4, character: 3 }));
    expect(h).toContain('`[50, 20]` → `[20]`, 3,280 params');
    expect(h).toContain('**lstm** — LSTM (recurrent)');
    expect(h).toContain('Shape: `[T, F] -> [units]');
  });

  it('an argument: its type, default and doc; a name: its shape; a param: its value; a train key', async () => {
    expect(value(await hover({ line: 3, character: 15 }))).toContain('`returnSequences`: true or false = false');
    expect(value(await hover(client.at(uri, 'x:', 0)))).toContain('input x: [50, 1]');
    const gen = uriOf('generative.lstm');
    const h = await client.request<Hover>('textDocument/hover', {
      textDocument: { uri: gen },
      position: client.at(gen, 'dense(vocab', 7),
    });
    expect(value(h)).toContain('param vocab = 40');
    expect(value(await hover(client.at(uri, 'batchSize')))).toContain('Examples per gradient step.');
    expect(await hover({ line: 0, character: 2 })).toBeNull();
    // The model's name: the summary's totals.
    expect(value(await hover(client.at(uri, 'StackedSine')))).toBe(
      '**model StackedSine**: 3 layers, 5,145 params.\n\nInputs: `x: [50, 1]`.\n\nOutput: `[5]`.',
    );
  });
});

describe('completion and signature help', () => {
  const labels = (items: CompletionItem[] | null): string[] => (items ?? []).map((i) => i.label);
  async function completeAt(text: string, marker = '|', ext = 'lstm'): Promise<string[]> {
    const uri = fresh(ext);
    const at = text.indexOf(marker);
    await client.open(uri, text.replace(marker, ''));
    return labels(
      await client.request('textDocument/completion', { textDocument: { uri }, position: posAt(text, at) }),
    );
  }
  const model = (body: string): string => `model M {\n  param units = 8\n  input x: [10, 3]\n${body}\n}\n`;

  it('layer names at a statement and after ->; arguments of the layer under the cursor; enum values', async () => {
    const stmt = await completeAt(model('  |'));
    expect(stmt).toEqual(expect.arrayContaining(['lstm', 'gru', 'dense', 'let', 'input', 'train']));
    expect(await completeAt(model('  let y = x -> |'))).toEqual(expect.arrayContaining(['lstm', 'conv1d']));
    const args = await completeAt(model('  lstm(16, |'));
    expect(args).toEqual(expect.arrayContaining(['returnSequences', 'activation', 'dropout', 'units']));
    expect(await completeAt(model('  lstm(16, returnSequences: true, |'))).not.toContain('returnSequences');
    expect(await completeAt(model('  dense(4, activation: |'))).toEqual(
      expect.arrayContaining(['relu', 'softmax', 'tanh', 'units']),
    );
    expect(await completeAt(model('  lstm(16, kernelInitializer: |'))).toContain('glorotUniform');
    expect(await completeAt(model('  bidirectional(lstm(4), mergeMode: |'))).toEqual(
      expect.arrayContaining(['concat', 'sum', 'mul', 'ave']),
    );
    expect(await completeAt(model('  bidirectional(|'))).toContain('gru');
  });

  it('losses, optimizers and metrics in train; params and let names where values go', async () => {
    const train = (entry: string): string => model(`  dense(1)\n  train {\n    ${entry}\n  }`);
    expect(await completeAt(train('loss: |'))).toEqual(expect.arrayContaining(['mse', 'categoricalCrossentropy']));
    expect(await completeAt(train('optimizer: |'))).toEqual(expect.arrayContaining(['adam', 'rmsprop', 'sgd']));
    expect(await completeAt(train('metrics: [|'))).toContain('accuracy');
    expect(await completeAt(train('|'))).toEqual(expect.arrayContaining(['loss', 'epochs', 'batchSize']));
    expect(await completeAt(train('optimizer: adam(|'))).toContain('learningRate');
    expect(await completeAt(model('  dense(|'))).toContain('units');
    const lets = model('  let a = x -> lstm(4)\n  let b = |');
    expect(await completeAt(lets)).toEqual(expect.arrayContaining(['x', 'a']));
  });

  it('YAML: layer names in a layers item, arguments and enum values in its mapping, train values', async () => {
    const y = (body: string): string => `model: M\ninputs:\n  x: [10, 3]\nlayers:\n${body}\n`;
    expect(await completeAt(y('  - |'), '|', 'yaml')).toEqual(expect.arrayContaining(['lstm', 'dense']));
    expect(await completeAt(y('  - lstm: {units: 4, |}'), '|', 'yaml')).toContain('returnSequences');
    expect(await completeAt(y('  - dense: {units: 4, activation: |}'), '|', 'yaml')).toContain('relu');
    expect(await completeAt(y('  - dense: 1\ntrain:\n  loss: |'), '|', 'yaml')).toContain('mae');
  });

  it('signature help names the argument under the cursor', async () => {
    const uri = fresh();
    const text = model('  lstm(16, dropout: 0.1)');
    await client.open(uri, text);
    const sig = async (p: Pos) =>
      client.request<SignatureHelp | null>('textDocument/signatureHelp', { textDocument: { uri }, position: p });
    const first = (await sig(client.at(uri, 'lstm(', 5)))!;
    expect(first.signatures[0]!.label).toMatch(/^lstm\(units: integer, activation\?: activation, /);
    const param = (s: SignatureHelp) => {
      const l = s.signatures[0]!.parameters![s.activeParameter!]!.label as [number, number];
      return s.signatures[0]!.label.slice(l[0], l[1]);
    };
    expect(param(first)).toBe('units: integer');
    expect(param((await sig(client.at(uri, '0.1')))!)).toBe('dropout?: number');
    expect(await sig({ line: 0, character: 0 })).toBeNull();
  });
});

describe('names: definition, references, rename, outline', () => {
  const text = [
    'model Names {',
    '  param units = 8',
    '  input x: [T, 4]',
    '  input h0: [units]',
    '  let enc = x -> lstm($units, returnSequences: true)',
    '  let y = enc -> lstm(units, initialState: [h0, h0])',
    '  output y',
    '}',
    '',
  ].join('\n');
  let uri: string;
  beforeAll(async () => {
    uri = fresh();
    expect(await client.open(uri, text)).toEqual([]);
  });
  const refs = async (p: Pos, includeDeclaration = true): Promise<string[]> =>
    (
      await client.request<Location[]>('textDocument/references', {
        textDocument: { uri },
        position: p,
        context: { includeDeclaration },
      })
    ).map((l) => `${l.range.start.line}:${l.range.start.character}-${l.range.end.character}`);

  it('go to definition from a use of a param, an input and a let', async () => {
    const def = async (p: Pos) =>
      (await client.request<Location>('textDocument/definition', { textDocument: { uri }, position: p })).range.start;
    expect(await def(client.at(uri, '$units', 1))).toEqual({ line: 1, character: 8 });
    expect(await def(client.at(uri, 'h0, h0', 4))).toEqual({ line: 3, character: 8 });
    expect(await def(client.at(uri, 'enc ->'))).toEqual({ line: 4, character: 6 });
    expect(await def(client.at(uri, 'output y', 7))).toEqual({ line: 5, character: 6 });
  });

  it('find references: the definition and every use (`$units`, a dimension, a list argument)', async () => {
    expect(await refs(client.at(uri, 'units', 0))).toEqual(['1:8-13', '3:13-18', '4:23-28', '5:22-27']);
    expect(await refs(client.at(uri, 'h0', 0), false)).toEqual(['5:44-46', '5:48-50']);
  });

  it('rename rewrites every occurrence and keeps the `$`; bad or clashing names are refused', async () => {
    const p = client.at(uri, 'units', 0);
    const prep = await client.request<{ placeholder: string }>('textDocument/prepareRename', {
      textDocument: { uri },
      position: p,
    });
    expect(prep.placeholder).toBe('units');
    const edit = await client.request<WorkspaceEdit>('textDocument/rename', {
      textDocument: { uri },
      position: p,
      newName: 'width',
    });
    const renamed = applyEdits(text, edit.changes![uri]!);
    expect(renamed).toContain('param width = 8');
    expect(renamed).toContain('lstm($width, returnSequences: true)');
    expect(renamed).toContain('input h0: [width]');
    expect(checkSource(renamed, 'r.lstm').diagnostics).toEqual([]);
    await expect(
      client.request('textDocument/rename', { textDocument: { uri }, position: p, newName: 'h0' }),
    ).rejects.toThrow(/already defined/);
    await expect(
      client.request('textDocument/rename', { textDocument: { uri }, position: p, newName: '9x' }),
    ).rejects.toThrow(/not a valid name/);
    expect(
      await client.request('textDocument/prepareRename', { textDocument: { uri }, position: client.at(uri, 'lstm') }),
    ).toBeNull();
  });

  it('document symbols: the model with its params, inputs, lets and layers', async () => {
    const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    expect(syms.map((s) => s.name)).toEqual(['Names']);
    expect(syms[0]!.children!.map((c) => [c.name, c.detail])).toEqual([
      ['units', '8'],
      ['x', '[T, 4]'],
      ['h0', '[8]'],
      ['enc', '[T, 8]'],
      ['lstm_1', '→ [T, 8]'],
      ['y', '[8]'],
      ['lstm_2', '→ [8]'],
    ]);
  });
});

describe('code actions from the hints', () => {
  async function actionsFor(uri: string, text: string): Promise<CodeAction[]> {
    await client.open(uri, text);
    const lines = text.split('\n').length;
    return client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
      context: { diagnostics: [] },
    });
  }

  it('the four kinds: returnSequences on the right layer, camelCase, did-you-mean, Python `=`', async () => {
    const cases: [string, string, string][] = [
      [
        'model M {\n  input x: [50, 1]\n  lstm(20)\n  lstm(20)\n}\n',
        'Add `returnSequences: true` to the lstm on line 3',
        '  lstm(20, returnSequences: true)\n  lstm(20)',
      ],
      [
        'model M {\n  input x: [50, 1]\n  lstm(20, return_sequences: true)\n}\n',
        'Change "return_sequences" to "returnSequences"',
        'lstm(20, returnSequences: true)',
      ],
      [
        'model M {\n  input x: [50, 1]\n  lstm(20, activation: "relux")\n}\n',
        'Change "relux" to "relu"',
        'activation: "relu"',
      ],
      [
        'model M {\n  input x: [50, 1]\n  lstm(20, return_sequences=True)\n}\n',
        'Rewrite as `lstm(20, returnSequences: true)`',
        '  lstm(20, returnSequences: true)\n}',
      ],
    ];
    const train = (entries: string): string =>
      `model M {\n  input x: [50, 1]\n  dense(1)\n  train {\n${entries}\n  }\n}\n`;
    cases.push(
      [
        train('    loss: meanSquaredErorr'),
        'Change "meanSquaredErorr" to "meanSquaredError"',
        'loss: meanSquaredError',
      ],
      [train('    optimizer: adm(learningRate: 0.1)'), 'Change "adm" to "adam"', 'optimizer: adam(learningRate'],
      [
        train('    optimizer: adam(learning_rate: 0.1)'),
        'Change "learning_rate" to "learningRate"',
        'adam(learningRate: 0.1)',
      ],
      [train('    metrics: [accuarcy]'), 'Change "accuarcy" to "accuracy"', 'metrics: [accuracy]'],
      [train('    epoch: 3'), 'Change "epoch" to "epochs"', 'epochs: 3'],
    );
    for (const [text, title, after] of cases) {
      const uri = fresh();
      const actions = await actionsFor(uri, text);
      const a = actions.find((x) => x.title === title);
      expect(a, `${title} in ${JSON.stringify(actions.map((x) => x.title))}`).toBeDefined();
      expect(a!.kind).toBe('quickfix');
      const fixed = applyEdits(text, a!.edit!.changes![uri]!);
      expect(fixed).toContain(after);
      expect(checkSource(fixed, 'fixed.lstm').diagnostics).toEqual([]);
    }
  });

  it('YAML: `- lstm: 20` becomes a mapping with returnSequences: true', async () => {
    const uri = fresh('yaml');
    const text =
      'model: M\ninputs:\n  x: [50, 1]\nlayers:\n  - lstm: {units: 20, returnSequences: true}\n  - bidirectional: {lstm: {units: 8}}\n  - lstm: 4\n';
    const actions = await actionsFor(uri, text);
    expect(actions.map((a) => a.title)).toEqual(['Add `returnSequences: true` to the lstm on line 6']);
    let fixed = applyEdits(text, actions[0]!.edit!.changes![uri]!);
    expect(fixed).toContain('- bidirectional: {lstm: {units: 8, returnSequences: true}}');
    fixed = fixed.replace('units: 8, returnSequences: true', 'units: 8');
    expect(checkSource(fixed, 'f.yaml').diagnostics.map((d) => d.code)).toEqual(['LSTM3001']);
    const twice = await actionsFor(uri, 'model: M\ninputs:\n  x: [50, 1]\nlayers:\n  - lstm: 20\n  - lstm: 4\n');
    const once = applyEdits(client.text(uri), twice[0]!.edit!.changes![uri]!);
    expect(once).toContain('  - lstm: {units: 20, returnSequences: true}\n');
    expect(checkSource(once, 'f.yaml').diagnostics).toEqual([]);
  });

  it('on the invalid corpus, every quick fix removes the diagnostic it was offered for', async () => {
    let applied = 0;
    const kinds = new Set<string>();
    for (const f of invalidSpecs) {
      const uri = uriOf(`fix-${f}`);
      const text = read(path.join(INVALID, f));
      for (const a of await actionsFor(uri, text)) {
        const d = a.diagnostics![0]!;
        const fixed = applyEdits(text, a.edit!.changes![uri]!);
        expect(fixed, `${f}: ${a.title}`).not.toBe(text);
        const after = checkSource(fixed, fileURLToPath(uri)).diagnostics;
        const still = after.filter(
          (x) => x.code === d.code && x.line - 1 === d.range.start.line && x.column - 1 === d.range.start.character,
        );
        expect(still, `${f}: ${a.title}`).toEqual([]);
        applied++;
        kinds.add(/^(Change|Add `returnSequences|Rewrite as)/.exec(a.title)?.[1] ?? a.title);
      }
    }
    expect(applied).toBeGreaterThanOrEqual(25);
    expect([...kinds].sort()).toEqual(['Add `returnSequences', 'Change', 'Rewrite as']);
  }, 120_000);
});

describe('formatting', () => {
  it('formats a .lstm document with the formatter of lstmc fmt; a formatted one needs no edit', async () => {
    const uri = fresh();
    const messy = 'model   M {\n input x: [10,3]   # the input\n      lstm( 8 )\n  dense(1)\n}\n';
    await client.open(uri, messy);
    const edits = await client.request<TextEdit[]>('textDocument/formatting', {
      textDocument: { uri },
      options: { tabSize: 2, insertSpaces: true },
    });
    const formatted = applyEdits(messy, edits);
    expect(formatted).toBe(formatSource(messy, 'm.lstm').text);
    expect(formatted).not.toBe(messy);
    await client.change(uri, formatted);
    expect(
      await client.request('textDocument/formatting', {
        textDocument: { uri },
        options: { tabSize: 2, insertSpaces: true },
      }),
    ).toEqual([]);
    await client.change(uri, 'model M {\n  lstm(8\n}\n');
    expect(
      await client.request('textDocument/formatting', {
        textDocument: { uri },
        options: { tabSize: 2, insertSpaces: true },
      }),
    ).toBeNull();
  });
});

describe('bad input never takes the server down', () => {
  it('binary, huge and half-typed documents, every request answered, then a good edit recovers', async () => {
    const uri = fresh();
    const good = read(path.join(SPECS, 'stacked.lstm'));
    const everything = async (): Promise<void> => {
      const td = { textDocument: { uri } };
      const position = { line: 1, character: 3 };
      const range = { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } };
      await client.request('textDocument/hover', { ...td, position });
      await client.request('textDocument/completion', { ...td, position });
      await client.request('textDocument/signatureHelp', { ...td, position });
      await client.request('textDocument/definition', { ...td, position });
      await client.request('textDocument/references', { ...td, position, context: { includeDeclaration: true } });
      await client.request('textDocument/documentSymbol', td);
      await client.request('textDocument/inlayHint', { ...td, range });
      await client.request('textDocument/codeAction', { ...td, range, context: { diagnostics: [] } });
      await client.request('textDocument/formatting', { ...td, options: { tabSize: 2, insertSpaces: true } });
    };
    const binary = String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expect((await client.open(uri, binary)).map((d) => d.code)).toContain('LSTM1007');
    await everything();
    const huge = `model Big {\n  input x: [3]\n${'  dense(3)\n'.repeat(Math.ceil(MAX_ANALYSED_CHARS / 11) + 10)}}\n`;
    const big = await client.change(uri, huge);
    expect(big).toHaveLength(1);
    expect(big[0]!.message).toContain(`analyses files up to ${MAX_ANALYSED_CHARS / 1024} KB`);
    await everything();
    for (let cut = 1; cut < good.length; cut += 37) {
      await client.change(uri, good.slice(0, cut));
      await everything();
    }
    expect(await client.change(uri, good)).toEqual([]);
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } },
    });
    expect(hints).toHaveLength(3);
    // A document the server never saw (deleted, never opened): nothing, no error.
    const gone = { textDocument: { uri: uriOf('never-opened.lstm') }, position: { line: 0, character: 0 } };
    expect(await client.request('textDocument/hover', gone)).toBeNull();
    expect(client.child.exitCode).toBeNull();
    expect(client.stderr.join('')).not.toMatch(/failed|Error/);
  }, 120_000);
});
