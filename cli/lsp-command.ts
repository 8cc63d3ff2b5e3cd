/**
 * `lstmc lsp [--stdio]`: the language server for editors (see docs/editor.md). The server and its
 * protocol library load only when the command runs.
 */
import { type Command } from 'commander';
import type { CliContext } from './check-command.js';

export function registerLspCommand(program: Command, ctx: CliContext): Command {
  return program
    .command('lsp')
    .description('run the language server (diagnostics, inline shapes, hover, completion, rename, quick fixes)')
    .option('--stdio', 'talk LSP over stdin/stdout (the default and only transport)')
    .action(async () => {
      const { runServer } = await import('./lsp/server.js');
      await runServer({ version: ctx.version });
    });
}
