/**
 * The VS Code extension (editors/vscode/) builds and packages from a clean clone: its TypeScript
 * typechecks against @types/vscode, esbuild bundles the client with vscode-languageclient (only
 * `vscode` and Node built-ins left external), and @vscode/vsce packs a .vsix holding exactly the
 * manifest, the bundle, the grammar, the language configuration, the README and the licence. The
 * manifest's contributions point at files that exist.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXT = path.join(ROOT, 'editors/vscode');
const tmp = mkdtempSync(path.join(tmpdir(), 'lstmc-vsix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The names of a zip file's entries, from its central directory. */
function zipEntries(buf: Buffer): string[] {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
    const nameLen = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extra + comment;
  }
  return names.sort();
}

describe('the VS Code extension', () => {
  it('typechecks against @types/vscode', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(EXT, 'tsconfig.json')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('bundles and packages to a .vsix with @vscode/vsce', () => {
    const out = path.join(tmp, 'lstmc.vsix');
    const r = spawnSync(process.execPath, [path.join(EXT, 'build.mjs'), '--package', '--out', out], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Packaged:');
    expect(zipEntries(readFileSync(out))).toEqual([
      '[Content_Types].xml',
      'extension.vsixmanifest',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/language-configuration.json',
      'extension/package.json',
      'extension/readme.md',
      'extension/syntaxes/lstm.tmLanguage.json',
    ]);
    // The bundle carries the language client; only vscode and Node's own modules stay outside it.
    const meta = JSON.parse(readFileSync(path.join(EXT, 'dist/meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
      outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
    };
    expect(Object.keys(meta.inputs).some((p) => p.includes('node_modules/vscode-languageclient/'))).toBe(true);
    const externals = new Set(
      Object.values(meta.outputs).flatMap((o) =>
        o.imports.filter((i) => i.external).map((i) => i.path.replace(/^node:/, '')),
      ),
    );
    const builtins = new Set(builtinModules);
    expect([...externals].filter((e) => e !== 'vscode' && !builtins.has(e))).toEqual([]);
    expect(externals.has('vscode')).toBe(true);
  }, 120_000);

  it('contributes the language, the grammar and the settings, with files that exist', () => {
    const pkg = JSON.parse(readFileSync(path.join(EXT, 'package.json'), 'utf8'));
    const lang = pkg.contributes.languages[0];
    expect(lang).toMatchObject({ id: 'lstm', extensions: ['.lstm'] });
    expect(existsSync(path.join(EXT, lang.configuration))).toBe(true);
    expect(pkg.contributes.grammars[0]).toMatchObject({ language: 'lstm', scopeName: 'source.lstm' });
    expect(existsSync(path.join(EXT, pkg.contributes.grammars[0].path))).toBe(true);
    expect(Object.keys(pkg.contributes.configuration.properties)).toEqual([
      'lstmc.path',
      'lstmc.yamlSpecs',
      'lstmc.trace.server',
    ]);
    // The client starts `<lstmc.path> lsp --stdio`: the command this repository's CLI answers.
    expect(readFileSync(path.join(EXT, 'src/extension.ts'), 'utf8')).toContain("['lsp', '--stdio']");
    const config = JSON.parse(readFileSync(path.join(EXT, lang.configuration), 'utf8'));
    expect(config.comments.lineComment).toBe('#');
    expect(config.brackets).toEqual([
      ['{', '}'],
      ['[', ']'],
      ['(', ')'],
    ]);
  });
});
