/**
 * `lstmc lsp --stdio`: the Language Server Protocol over stdin/stdout, on `vscode-languageserver`.
 * A thin layer: documents in, `SpecDocument`s (one analysis per document version, cached) to the
 * plain functions of ./service.ts, their answers out.
 *
 * - Diagnostics are published after a pause in typing (debounced, LSTMC_LSP_DEBOUNCE_MS, default
 *   150 ms); every request analyses the current text first if it changed since, so no answer is stale.
 * - A handler never takes the server down: anything that escapes is logged to the client's output and
 *   answered with nothing; the next edit starts afresh.
 * - Nothing but protocol messages goes to stdout.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createConnection,
  ErrorCodes,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
  type RenameParams,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { SpecFormat } from '../../grammar/index.js';
import * as svc from './service.js';

export interface ServerOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Pause after the last edit before diagnostics are published. */
  debounceMs?: number;
  version?: string;
}

function fileOf(uri: string): string {
  try {
    if (uri.startsWith('file:')) return fileURLToPath(uri);
  } catch {
    // fall through: use the URI's last path segment
  }
  return path.basename(uri.replace(/[?#].*$/, '')) || uri;
}

function formatOf(doc: TextDocument): SpecFormat {
  if (doc.languageId === 'yaml' || /\.ya?ml$/i.test(doc.uri)) return 'yaml';
  return 'lstm';
}

/** Runs the server until the client disconnects; resolves when the connection closes. */
export function runServer(options: ServerOptions = {}): Promise<void> {
  const envDebounce = Number(process.env.LSTMC_LSP_DEBOUNCE_MS);
  const debounceMs = options.debounceMs ?? (Number.isFinite(envDebounce) && envDebounce >= 0 ? envDebounce : 150);
  const connection: Connection = createConnection(
    new StreamMessageReader(options.input ?? process.stdin),
    new StreamMessageWriter(options.output ?? process.stdout),
  );
  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, svc.SpecDocument>();
  const timers = new Map<string, NodeJS.Timeout>();

  const analysed = (uri: string): svc.SpecDocument | undefined => {
    const td = documents.get(uri);
    if (!td) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === td.version) return hit;
    const doc = new svc.SpecDocument(uri, td.getText(), td.version, fileOf(uri), formatOf(td));
    cache.set(uri, doc);
    return doc;
  };

  /** Runs a handler; anything it throws is logged and answered with `fallback`. */
  const guard = <T>(what: string, fallback: T, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      connection.console.error(`lstmc lsp: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fallback;
    }
  };

  const publish = (uri: string): void => {
    timers.delete(uri);
    guard('diagnostics', undefined, () => {
      const doc = analysed(uri);
      if (!doc) return;
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: svc.diagnostics(doc) });
    });
  };

  const schedule = (uri: string, delay: number): void => {
    const old = timers.get(uri);
    if (old) clearTimeout(old);
    timers.set(
      uri,
      setTimeout(() => publish(uri), delay),
    );
  };

  connection.onInitialize((): InitializeResult => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['(', ',', ':', ' ', '>', '-', '{'] },
      signatureHelpProvider: { triggerCharacters: ['(', ','], retriggerCharacters: [':'] },
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      documentFormattingProvider: true,
      inlayHintProvider: true,
    },
    serverInfo: { name: 'lstmc', ...(options.version !== undefined ? { version: options.version } : {}) },
  }));

  documents.onDidOpen((e) => {
    // Reopened (a client may send didOpen again, from version 1): the cached analysis is of other text.
    cache.delete(e.document.uri);
    schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => schedule(e.document.uri, debounceMs));
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const withDoc =
    <P extends { textDocument: { uri: string } }, T>(
      what: string,
      fallback: T,
      f: (doc: svc.SpecDocument, p: P) => T,
    ) =>
    (p: P): T =>
      guard(what, fallback, () => {
        const doc = analysed(p.textDocument.uri);
        return doc ? f(doc, p) : fallback;
      });

  connection.onHover(withDoc('hover', null, (doc, p) => svc.hover(doc, p.position) ?? null));
  connection.onCompletion(withDoc('completion', [], (doc, p) => svc.completion(doc, p.position)));
  connection.onSignatureHelp(withDoc('signature help', null, (doc, p) => svc.signatureHelp(doc, p.position) ?? null));
  connection.onDefinition(withDoc('definition', null, (doc, p) => svc.definition(doc, p.position) ?? null));
  connection.onReferences(
    withDoc('references', [], (doc, p) => svc.references(doc, p.position, p.context.includeDeclaration)),
  );
  connection.onPrepareRename(withDoc('prepare rename', null, (doc, p) => svc.prepareRename(doc, p.position) ?? null));
  connection.onRenameRequest(
    withDoc<RenameParams, WorkspaceEdit | ResponseError<void> | null>('rename', null, (doc, p) => {
      const r = svc.rename(doc, p.position, p.newName);
      // The client shows the message of a refused rename (bad name, clash).
      return 'error' in r ? new ResponseError<void>(ErrorCodes.InvalidRequest, r.error) : r;
    }),
  );
  connection.onDocumentSymbol(withDoc('document symbols', [], (doc) => svc.documentSymbols(doc)));
  connection.onCodeAction(withDoc('code actions', [], (doc, p) => svc.codeActions(doc, p.range)));
  connection.onDocumentFormatting(withDoc('formatting', null, (doc) => svc.formatting(doc) ?? null));
  connection.languages.inlayHint.on(withDoc('inlay hints', [], (doc, p) => svc.inlayHints(doc, p.range)));

  documents.listen(connection);
  return new Promise<void>((resolve) => {
    connection.onExit(() => resolve());
    connection.onShutdown(() => {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    });
    connection.listen();
  });
}
