/**
 * The lstmc VS Code extension: starts `lstmc lsp --stdio` (the `lstmc.path` setting) for `.lstm`
 * files and the YAML files `lstmc.yamlSpecs` names, and restarts it when those settings change.
 * Highlighting and brackets come from the TextMate grammar and the language configuration; everything
 * else (diagnostics, inline shapes, hover, completion, rename, quick fixes, formatting) from the server.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type Executable,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

/** `lstmc` on the PATH, a path to the executable, or a `.js` entry run with Node (the extension host's). */
export function serverExecutable(configured: string, workspaceFolder: string | undefined): Executable {
  const expanded = configured.replace(/\$\{workspaceFolder\}/g, workspaceFolder ?? '.').trim() || 'lstmc';
  const args = ['lsp', '--stdio'];
  return /\.[cm]?js$/i.test(expanded)
    ? { command: process.execPath, args: [expanded, ...args], transport: TransportKind.stdio }
    : { command: expanded, args, transport: TransportKind.stdio, options: { shell: process.platform === 'win32' } };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration('lstmc');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const exe = serverExecutable(config.get<string>('path', 'lstmc'), folder);
  const serverOptions: ServerOptions = { run: exe, debug: exe };
  const yamlSpecs = config.get<string[]>('yamlSpecs', []);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'lstm' },
      { scheme: 'untitled', language: 'lstm' },
      ...yamlSpecs.map((pattern) => ({ scheme: 'file', language: 'yaml', pattern })),
    ],
    outputChannelName: 'lstmc',
  };
  client = new LanguageClient('lstmc', 'lstmc language server', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const choice = await vscode.window.showErrorMessage(
      `lstmc: could not start \`${exe.command} ${(exe.args ?? []).join(' ')}\` (${message}). Install lstmc (npm install -g lstmc) or set "lstmc.path".`,
      'Open settings',
    );
    if (choice === 'Open settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'lstmc.path');
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  const old = client;
  client = undefined;
  if (old) await old.stop().catch(() => undefined);
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('lstmc.restartServer', () => restart(context)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('lstmc.path') || e.affectsConfiguration('lstmc.yamlSpecs')) void restart(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
}
