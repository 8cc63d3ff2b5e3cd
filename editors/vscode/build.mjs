// Builds the extension (esbuild bundles src/extension.ts with vscode-languageclient into
// dist/extension.js; `vscode` stays external) and, with --package, packs the .vsix with
// @vscode/vsce. Run from the repository root: `npm run vscode:package` (writes
// editors/vscode/lstmc-vscode.vsix) or `node editors/vscode/build.mjs --package --out FILE`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? path.resolve(args[outIndex + 1]) : path.join(here, 'lstmc-vscode.vsix');

const result = await build({
  entryPoints: [path.join(here, 'src/extension.ts')],
  outfile: path.join(here, 'dist/extension.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['vscode'],
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(path.join(here, 'dist/meta.json'), JSON.stringify(result.metafile));

if (args.includes('--package')) {
  const require = createRequire(import.meta.url);
  const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  const r = spawnSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', out],
    {
      cwd: here,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
