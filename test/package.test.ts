/**
 * The published package, seen from a separate project: `npm pack` the repository (dist/ is fresh:
 * test/global-setup.ts builds it), install the tarball into a temporary project and use it as a user
 * would: `import { checkSource } from 'lstmc'`, `import ... from 'lstmc/runtime'` (the lines of
 * runtime/README.md's example, verbatim), `npx lstmc check`, `npx lstmc --version`, and the types.
 *
 * Installing: the tarball is unpacked into the project's node_modules/lstmc, its bin linked into
 * node_modules/.bin as npm does, and each dependency it declares is linked to the copy this repository
 * has installed (`npm install` would need the registry, or packuments that `npm ci` does not cache).
 * Only declared dependencies are linked, so a dependency missing from package.json fails here.
 *
 * The main entry is used before tfjs and ts-morph are linked at all: it must load without them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
/** Dependencies the main entry must not need: linked only for the runtime entry and `compile`. */
const HEAVY = (dep: string): boolean => dep.startsWith('@tensorflow/') || dep === 'ts-morph';

interface Manifest {
  name: string;
  version: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const SPEC = `model Echo {
  input x: [5, 10]
  lstm(8)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam  metrics: [accuracy]  epochs: 1  batchSize: 16  seed: 1 }
  data { synthetic: echo  samples: 64  testSamples: 16 }
}
`;

let tmp = '';
let app = '';
let packed: { filename: string; files: { path: string }[] };
let manifest: Manifest;

function run(cmd: string, args: string[], cwd = app): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Runs an ES module script in the consumer project; returns what it printed as JSON. */
function script(name: string, text: string): unknown {
  writeFileSync(path.join(app, name), text);
  const r = run(process.execPath, [name]);
  expect(r.code, `${name}:\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Links node_modules/<dep> of the consumer to this repository's installed copy. */
function linkDependency(dep: string, optional: boolean): void {
  const from = path.join(ROOT, 'node_modules', dep);
  if (!existsSync(path.join(from, 'package.json'))) {
    if (optional) return; // an optional dependency that did not install here (tfjs-node)
    throw new Error(`dependency ${dep} is not installed in ${ROOT}/node_modules`);
  }
  const to = path.join(app, 'node_modules', dep);
  mkdirSync(path.dirname(to), { recursive: true });
  symlinkSync(from, to, 'junction');
}

function typeErrors(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    // No ambient types: the package's declarations carry their own `/// <reference types="node" />`
    // where they need it (resolved through typeRoots, as a consumer with @types/node would).
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    types: [],
    ...options,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file !== undefined && d.start !== undefined
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : '';
    return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'lstmc-package-'));
  // dist/ is built by test/global-setup.ts; `prepare` would build it a second time.
  const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!;

  app = path.join(tmp, 'app');
  mkdirSync(path.join(app, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'lstmc-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { lstmc: `file:../${packed.filename}` },
      },
      null,
      2,
    ),
  );
  // Unpack as npm install does: the tarball's package/ becomes node_modules/lstmc.
  execFileSync('tar', ['-xzf', path.join(tmp, packed.filename), '-C', tmp]);
  const pkgDir = path.join(app, 'node_modules', 'lstmc');
  renameSync(path.join(tmp, 'package'), pkgDir);
  manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as Manifest;
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  for (const [name, target] of Object.entries(bins)) {
    chmodSync(path.join(pkgDir, target), 0o755);
    symlinkSync(path.join('..', 'lstmc', target), path.join(app, 'node_modules', '.bin', name));
  }
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (!HEAVY(dep)) linkDependency(dep, false);
  writeFileSync(path.join(app, 'echo.lstm'), SPEC);
}, 60_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package (npm pack), installed in a separate project', () => {
  it('holds both entry points, their types and the bin, and no tests', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/runtime/index.js',
      'dist/runtime/index.d.ts',
      'dist/cli/main.js',
      // Read at compile time: the clipping helper (TypeScript target) and the PyTorch target's sources.
      'runtime/clipping.ts',
      'emit/pytorch/support.py',
      'emit/pytorch/train.py',
      'docs/language.md',
      // The JSON Schema of the YAML form, for editors (lstmc/schema.json).
      'lstmc.schema.json',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/'))).toEqual([]);
    const pkg = manifest as Manifest & {
      main: string;
      types: string;
      exports: Record<string, { types: string; default: string }>;
    };
    for (const entry of [
      pkg.main,
      pkg.types,
      pkg.exports['.']!.default,
      pkg.exports['.']!.types,
      pkg.exports['./runtime']!.default,
      pkg.exports['./runtime']!.types,
    ]) {
      expect(files, entry).toContain(entry.replace(/^\.\//, ''));
    }
  });

  it("import { checkSource } from 'lstmc' checks a spec, without tfjs or ts-morph installed", () => {
    const out = script(
      'main.mjs',
      `import { checkSource, summarize, printYaml, toTfModelSpec, getLayer, layerNames, Diagnostics } from 'lstmc';
import { readFileSync } from 'node:fs';
const heavy = [];
for (const m of ['@tensorflow/tfjs', 'ts-morph']) {
  try { await import(m); heavy.push(m); } catch {}
}
const { models, diagnostics } = checkSource(readFileSync('echo.lstm', 'utf8'), 'echo.lstm');
const bad = checkSource('model M {\\n  input x: [5, 10]\\n  lstm(8)\\n  lstm(8)\\n}\\n', 'bad.lstm');
console.log(JSON.stringify({
  heavy,
  diagnostics,
  names: models.map((m) => m.name),
  params: summarize(models[0]).totalParams,
  yaml: printYaml(models[0]).split('\\n')[0],
  kind: toTfModelSpec(models[0]).kind,
  lstm: getLayer('lstm') !== undefined && layerNames().includes('dense'),
  bad: bad.diagnostics.map((d) => [d.code, d.line]),
  rankCode: Diagnostics.RankMismatch.code,
}));
`,
    );
    expect(out).toEqual({
      heavy: [], // the premise: neither is resolvable from this project
      diagnostics: [],
      names: ['Echo'],
      params: 4 * (8 * (10 + 8) + 8) + (8 * 10 + 10),
      yaml: 'model: Echo',
      kind: 'sequential',
      lstm: true,
      bad: [['LSTM3001', 4]],
      rankCode: 'LSTM3001',
    });
  });

  it('the bin: npx lstmc check <spec> exits 0, npx lstmc --version prints the version', () => {
    const check = run(NPX, ['--no', '--', 'lstmc', 'check', 'echo.lstm']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const bad = run(NPX, ['--no', '--', 'lstmc', 'check', 'missing.lstm']);
    expect(bad.code, bad.stdout + bad.stderr).not.toBe(0);
    const version = run(NPX, ['--no', '--', 'lstmc', '--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);
    expect(manifest.version).toBe(
      (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest).version,
    );
  });

  it('ships the JSON Schema of the YAML form: lstmc/schema.json resolves and equals `lstmc schema`', () => {
    const out = script(
      'schema.mjs',
      `import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const file = createRequire(import.meta.url).resolve('lstmc/schema.json');
const schema = JSON.parse(readFileSync(file, 'utf8'));
console.log(JSON.stringify({ title: schema.title, layers: Object.keys(schema.definitions.layerObject.properties).length, text: readFileSync(file, 'utf8') }));
`,
    ) as { title: string; layers: number; text: string };
    expect(out.title).toBe('lstmc model spec (YAML form)');
    expect(out.layers).toBeGreaterThan(20);
    const printed = run(NPX, ['--no', '--', 'lstmc', 'schema']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(out.text);
    expect(out.text).toBe(readFileSync(path.join(ROOT, 'lstmc.schema.json'), 'utf8'));
  });

  it("the main entry's types: a TypeScript consumer type-checks (strict, NodeNext, no tfjs types)", () => {
    const file = path.join(app, 'consumer.ts');
    writeFileSync(
      file,
      `import { checkSource, summarize, printLstm, printYaml, toTfModelSpec, getLayer, layerNames, type CheckResult, type Diagnostic, type IRModel, type ModelSummary, type TfModelSpec, type LayerDef } from 'lstmc';
const r: CheckResult = checkSource('model M { input x: [3]  dense(1) }', 'm.lstm', { params: { units: '3' } });
const ds: Diagnostic[] = r.diagnostics;
const m: IRModel | undefined = r.models[0];
const s: ModelSummary | undefined = m && summarize(m);
const t: TfModelSpec | undefined = m && toTfModelSpec(m);
const text: string | undefined = m && printLstm(m) + printYaml(m);
const l: LayerDef | undefined = getLayer(layerNames()[0]!);
export { ds, s, t, text, l };
`,
    );
    expect(typeErrors(file, { skipLibCheck: false })).toEqual([]);
  });
});

describe('with tfjs and ts-morph installed too', () => {
  beforeAll(() => {
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (HEAVY(dep)) linkDependency(dep, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) if (HEAVY(dep)) linkDependency(dep, true);
  });

  it("runtime/README.md's example: its imports from 'lstmc' and 'lstmc/runtime' load, train and predict", async () => {
    const readme = readFileSync(path.join(ROOT, 'runtime', 'README.md'), 'utf8');
    const imports = readme.split('\n').filter((l) => /^import .* from 'lstmc(\/runtime)?';$/.test(l));
    expect(imports.length, 'import lines in runtime/README.md').toBeGreaterThanOrEqual(2);
    expect(imports.some((l) => /import \{[^}]*\bcheckSource\b[^}]*\} from 'lstmc';/.test(l))).toBe(true);
    const out = script(
      'runtime.mjs',
      `${imports.join('\n')}
import { readFileSync } from 'node:fs';
const quiet = { progress: 'none', stream: { write: () => true } };
const { models } = checkSource(readFileSync('echo.lstm', 'utf8'), 'echo.lstm');
const r = await train(models[0], { outDir: 'runs/echo', backend: 'auto', ...quiet });
const ys = await predict('runs/echo', [Array.from({ length: 5 }, (_, t) => Array.from({ length: 10 }, (_, f) => (f === t ? 1 : 0)))]);
console.log(JSON.stringify({ epochs: r.epochs, backend: typeof r.backend.name, predictions: ys.length, loaded: [typeof evaluate, typeof generate, typeof loadTrained] }));
`,
    );
    expect(out).toEqual({ epochs: 1, backend: 'string', predictions: 1, loaded: ['function', 'function', 'function'] });
  }, 60_000);

  it("'lstmc/runtime/fused' ships its built kernels: a tfjs model's LSTM runs fused from the installed package", () => {
    const out = script(
      'fused.mjs',
      `import * as tf from '@tensorflow/tfjs';
import { fuseRecurrentLayers, fusedUnavailableReason } from 'lstmc/runtime/fused';
await tf.setBackend('cpu');
const m = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2] }), tf.layers.dense({ units: 1 })] });
const r = fuseRecurrentLayers(m);
const y = m.predict(tf.ones([2, 4, 2])).shape;
console.log(JSON.stringify({ unavailable: fusedUnavailableReason() ?? null, fused: r.fused.length, y }));
`,
    );
    expect(out).toEqual({ unavailable: null, fused: 1, y: [2, 1] });
  }, 60_000);

  it("'lstmc/runtime/layers' builds lstmc's own classes (reset-after GRU, causal conv1d) that save and load again", () => {
    const out = script(
      'layers.mjs',
      `import * as tf from '@tensorflow/tfjs';
import { lstmcLayers, lstmcClassNames } from 'lstmc/runtime/layers';
await tf.setBackend('cpu');
const m = tf.sequential({ layers: [
  lstmcLayers.causalConv1d({ filters: 3, kernelSize: 2, dilationRate: 2, inputShape: [6, 2] }),
  lstmcLayers.gruResetAfter({ units: 4, recurrentActivation: 'sigmoid' }),
] });
const x = tf.randomNormal([2, 6, 2], 0, 1, 'float32', 1);
const before = Array.from(m.predict(x).dataSync());
let saved;
await m.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
const after = Array.from(loaded.predict(x).dataSync());
console.log(JSON.stringify({ classes: loaded.layers.map((l) => l.getClassName()), same: before.every((v, i) => v === after[i]), params: loaded.countParams(), registered: lstmcClassNames().includes('GRUResetAfter') }));
`,
    );
    // causalConv1d 2·2·3 + 3 = 15; gruResetAfter 3·4·(3 + 4 + 2) = 108
    expect(out).toEqual({ classes: ['CausalConv1D', 'GRUResetAfter'], same: true, params: 123, registered: true });
  }, 60_000);

  it("'lstmc/runtime/layers' builds the attention layers, which save and load again", () => {
    const out = script(
      'attention.mjs',
      `import * as tf from '@tensorflow/tfjs';
import { lstmcLayers, lstmcClassNames } from 'lstmc/runtime/layers';
await tf.setBackend('cpu');
const q = tf.input({ shape: [3, 4] });
const v = tf.input({ shape: [5, 4] });
const a = lstmcLayers.attention({ useScale: true }).apply([q, v]);
const b = lstmcLayers.additiveAttention({}).apply([q, v]);
const c = lstmcLayers.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([q, v, v]);
const m = tf.model({ inputs: [q, v], outputs: tf.layers.concatenate().apply([a, b, c]) });
const x = [tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1), tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2)];
const before = Array.from(m.predict(x).dataSync());
let saved;
await m.save(tf.io.withSaveHandler(async (s) => { saved = s; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
const after = Array.from(loaded.predict(x).dataSync());
console.log(JSON.stringify({ classes: loaded.layers.slice(2, 5).map((l) => l.getClassName()), same: before.every((v, i) => v === after[i]), params: loaded.countParams(), registered: lstmcClassNames().includes('MultiHeadAttention') }));
`,
    );
    // attention useScale 1; additiveAttention 4; multiHeadAttention 3 · (4·2·3 + 6) + 2·3·4 + 4 = 118
    expect(out).toEqual({
      classes: ['Attention', 'AdditiveAttention', 'MultiHeadAttention'],
      same: true,
      params: 123,
      registered: true,
    });
  }, 60_000);

  it("the runtime entry's types resolve for a TypeScript consumer", () => {
    const file = path.join(app, 'runtime-consumer.ts');
    writeFileSync(
      file,
      `import { checkSource } from 'lstmc';
import { train, predict, type TrainResult } from 'lstmc/runtime';
export async function go(source: string): Promise<unknown[]> {
  const r: TrainResult = await train(checkSource(source, 'x.lstm').models[0]!, { outDir: 'out' });
  void r;
  return predict('out', [[1]]);
}
`,
    );
    // tfjs's own declarations need DOM types; only this project's code is checked.
    expect(typeErrors(file, { skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] })).toEqual([]);
  });

  it('npx lstmc compile writes a TypeScript module (the emitter loads from the installed package)', () => {
    const r = run(NPX, ['--no', '--', 'lstmc', 'compile', 'echo.lstm', '-o', 'gen']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(app, 'gen', 'Echo.ts'), 'utf8')).toContain('export function buildEcho(');
  });

  it('npx lstmc compile --target pytorch writes a Python module from the installed package', () => {
    const r = run(NPX, ['--no', '--', 'lstmc', 'compile', 'echo.lstm', '--target', 'pytorch', '-o', 'gen-py']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const py = readFileSync(path.join(app, 'gen-py', 'Echo.py'), 'utf8');
    expect(py).toMatch(/^class Echo\(/m);
    expect(py).toContain('def from_tfjs(');
  });
});
