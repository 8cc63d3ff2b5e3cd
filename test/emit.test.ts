/**
 * The TypeScript emitter and `lstmc compile`: golden files, determinism, safe printing, `--check`,
 * atomic writes, and that ts-morph stays off the check path.
 *
 * Golden files: test/golden/emit/<Model>.ts is exactly what `lstmc compile specs/*.yaml -o
 * test/golden/emit` writes; test/golden/emit/hand.<Model>.ts are hand-built IR models (graph form,
 * params, clipping). Accept changes with `UPDATE_GOLDEN=1 npx vitest run test/emit.test.ts`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import {
  contentHash,
  emitModules,
  invalidModelNameReason,
  optimizerExpression,
  propKey,
  quote,
} from '../emit/typescript.js';
import {
  registerCompileCommand,
  runCompile,
  writeFileAtomic,
  lstmcVersion,
  type AtomicFs,
  type CompileIO,
} from '../cli/compile-command.js';
import { checkSource } from '../compiler/index.js';
import {
  chainModel,
  EVIL,
  evilModel,
  GOLDEN_DIR,
  graphWithNames,
  handInputs,
  irInput,
  irLayer,
  projectTempDir,
  ROOT,
  specFiles,
  tfSpecOf,
} from './emit-helpers.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = projectTempDir(prefix);
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function captureIO(cwd: string, fs?: AtomicFs): CompileIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CompileIO & { out: string[]; err: string[] } = {
    out,
    err,
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    cwd,
    color: false,
    version: '0.1.0',
  };
  if (fs !== undefined) io.fs = fs;
  return io;
}

function parseErrors(text: string): string[] {
  const sf = ts.createSourceFile('m.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  return diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Every string literal's value in a module. */
function stringLiterals(text: string): string[] {
  const sf = ts.createSourceFile('m.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push(n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function topLevelStatementKinds(text: string): string[] {
  const sf = ts.createSourceFile('m.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return sf.statements.map((s) => (ts.isVariableStatement(s) ? 'VariableStatement' : ts.SyntaxKind[s.kind]));
}

const specYamls = specFiles().filter((s) => /\.ya?ml$/.test(s.file));

describe('golden files', () => {
  it('hand-built IR models match test/golden/emit/hand.*.ts', () => {
    const { modules, diagnostics } = emitModules(handInputs());
    expect(diagnostics).toEqual([]);
    expect(modules.length).toBeGreaterThanOrEqual(4);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const m of modules) {
      const golden = path.join(GOLDEN_DIR, `hand.${m.fileName}`);
      if (UPDATE) writeFileSync(golden, m.text);
      expect(existsSync(golden), `missing golden ${golden}; run with UPDATE_GOLDEN=1`).toBe(true);
      expect(m.text, `golden ${golden}`).toBe(readFileSync(golden, 'utf8'));
    }
  });

  it('the reference specs compile to test/golden/emit/<Model>.ts (lstmc compile --check is clean)', async () => {
    expect(specYamls.length).toBeGreaterThanOrEqual(6);
    const io = captureIO(ROOT);
    const rel = path.relative(ROOT, GOLDEN_DIR);
    const inputs = specYamls.map((s) => s.file);
    if (UPDATE) expect(await runCompile(inputs, { out: rel }, io)).toBe(0);
    const code = await runCompile(inputs, { out: rel, check: true }, io);
    expect(io.err.join(''), 'run UPDATE_GOLDEN=1 to accept').toBe('');
    expect(code).toBe(0);
    // Every golden (other than hand.*) belongs to a spec: no orphans.
    const expected = new Set<string>();
    for (const s of specYamls) for (const m of checkSource(s.source, s.file).models) expected.add(`${m.name}.ts`);
    expect(expected.size).toBeGreaterThanOrEqual(6);
    const goldens = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.ts') && !f.startsWith('hand.'));
    expect(goldens.sort()).toEqual([...expected].sort());
  });

  it('a .lstm twin of a YAML spec emits the same module (header aside)', () => {
    const all = specFiles();
    let compared = 0;
    for (const lstm of all.filter((s) => s.file.endsWith('.lstm'))) {
      const twin = all.find((s) => s.file === lstm.file.replace(/\.lstm$/, '.yaml'));
      if (twin === undefined) throw new Error(`${lstm.file} has no YAML twin`);
      const emitOne = (s: { file: string; source: string }): string[] => {
        const r = checkSource(s.source, s.file);
        expect(r.diagnostics, s.file).toEqual([]);
        const inputs = r.models.map((model) => ({
          model,
          options: { sourcePath: s.file, source: s.source, version: '0.1.0' },
        }));
        // Header (path + hash) differs by construction; the code must not.
        return emitModules(inputs).modules.map((m) => m.text.split('\n').slice(3).join('\n'));
      };
      const fromLstm = emitOne(lstm);
      expect(fromLstm.length, lstm.file).toBeGreaterThan(0);
      expect(fromLstm).toEqual(emitOne(twin));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(6);
  });
});

describe('module shape', () => {
  const [vanilla, encdec, bidi, translate] = emitModules(handInputs()).modules;

  it('has the header, import, params, input shapes, builder, training config and compile function', () => {
    const text = vanilla!.text;
    expect(text.split('\n')[0]).toBe(
      "// Generated by lstmc 0.1.0 from '../hand.lstm' (model VanillaEcho). Do not edit.",
    );
    expect(text).toContain(`// lstmc-content-hash: sha256:${contentHash('hand:VanillaEcho', undefined, '0.1.0')}`);
    expect(text).toContain("import * as tf from '@tensorflow/tfjs';");
    expect(text).toContain('export interface VanillaEchoParams {\n  units: number;\n}');
    expect(text).toContain('export const defaultVanillaEchoParams: VanillaEchoParams = {\n  units: 25,\n};');
    expect(text).toContain('export const inputShapes = {\n  x: [5, 10],\n} as const;');
    expect(text).toContain(
      'export function buildVanillaEcho(params: Partial<VanillaEchoParams> = {}): tf.LayersModel {',
    );
    expect(text).toContain('return tf.sequential({');
    expect(text).toContain("recurrentActivation: 'sigmoid',");
    expect(text).toContain('export const trainingConfig = {');
    expect(text).toContain('export function compileVanillaEcho(model: tf.LayersModel): void {');
    expect(text).toContain('optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7),');
    expect(parseErrors(text)).toEqual([]);
  });

  it('substitutes params where the spec used them (layer args and input dims)', () => {
    expect(vanilla!.text).toContain('units: p.units,');
    expect(vanilla!.text).toContain('const p: VanillaEchoParams = { ...defaultVanillaEchoParams, ...params };');
    expect(bidi!.text).toContain('inputShape: [p.steps, 1],');
    // A model without param provenance does not pretend to use params.
    expect(encdec!.text).toContain('void params;');
    expect(encdec!.text).not.toContain('const p:');
  });

  it('symbolic dims print as null', () => {
    expect(encdec!.text).toContain('x: [null, 12],');
    expect(translate!.text).toContain("const source = tf.input({ name: 'source', shape: [null, 7] });");
  });

  it('a graph uses tf.model with apply, initialState kwargs and destructured states', () => {
    const text = translate!.text;
    expect(text).toContain('const [, encoder_state1, encoder_state2] = tf.layers.lstm({');
    expect(text).toContain(
      '}).apply(target, { initialState: [encoder_state1, encoder_state2] }) as tf.SymbolicTensor;',
    );
    expect(text).toContain('return tf.model({');
    expect(text).toContain('inputs: [source, target],');
  });

  it('clipping: a self-contained wrapper around the optimizer', () => {
    const text = encdec!.text;
    expect(text).toContain('function withGradientClipping<O extends tf.Optimizer>(');
    expect(text).toContain(
      'optimizer: withGradientClipping(tf.train.rmsprop(0.01, 0.9, 0.1, 1e-7, false), { clipNorm: 1, clipValue: 0.5 }),',
    );
    expect(vanilla!.text).not.toContain('withGradientClipping');
  });

  it('--tf-module chooses the import', () => {
    const [input] = handInputs();
    input!.options.tfModule = '@tensorflow/tfjs-node';
    const [m] = emitModules([input!]).modules;
    expect(m!.text).toContain("import * as tf from '@tensorflow/tfjs-node';");
  });

  it('optimizer calls give every argument explicitly (Keras defaults, as the runtime)', () => {
    expect(optimizerExpression({ name: 'adam', args: {} })).toBe('tf.train.adam(0.001, 0.9, 0.999, 1e-7)');
    expect(optimizerExpression({ name: 'sgd', args: { learningRate: 0.1 } })).toBe('tf.train.sgd(0.1)');
    expect(optimizerExpression({ name: 'momentum', args: { learningRate: 0.1, momentum: 0.5 } })).toBe(
      'tf.train.momentum(0.1, 0.5, false)',
    );
    expect(optimizerExpression({ name: 'adamax', args: { decay: 0.01 } })).toBe(
      'tf.train.adamax(0.002, 0.9, 0.999, 1e-7, 0.01)',
    );
    expect(optimizerExpression({ name: 'rmsprop', args: {} })).toBe('tf.train.rmsprop(0.001, 0.9, 0, 1e-7, false)');
    expect(() => optimizerExpression({ name: 'nope', args: {} })).toThrow();
  });
});

describe('determinism', () => {
  it('byte-identical output across runs, projects and input order', () => {
    const a = emitModules(handInputs()).modules;
    const b = emitModules(handInputs()).modules;
    const c = emitModules([...handInputs()].reverse()).modules.reverse();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('the content hash depends on source, params and version only', () => {
    const h = contentHash('src', { b: '2', a: '1' }, '1.0.0');
    expect(contentHash('src', { a: '1', b: '2' }, '1.0.0')).toBe(h);
    expect(contentHash('src2', { a: '1', b: '2' }, '1.0.0')).not.toBe(h);
    expect(contentHash('src', { a: '1', b: '3' }, '1.0.0')).not.toBe(h);
    expect(contentHash('src', { a: '1', b: '2' }, '1.0.1')).not.toBe(h);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('safe printing', () => {
  it('quote() escapes everything that could end a literal or a line', () => {
    for (const s of EVIL) {
      const q = quote(s);
      expect(q).toMatch(/^'[\x20-\x7e]*'$/);
      expect(q).not.toContain('\n');
      expect(q).not.toMatch(/(^|[^\\])`/);
      expect(q).not.toMatch(/(^|[^\\])\$\{/);
      // It is a valid TS string literal with the same value.
      expect(stringLiterals(`const s = ${q};`)).toEqual([s]);
    }
  });

  it('propKey() leaves identifiers bare and quotes the rest', () => {
    expect(propKey('units')).toBe('units');
    expect(propKey('class')).toBe('class');
    expect(propKey('my-param')).toBe("'my-param'");
    expect(propKey('__proto__')).toBe("'__proto__'");
  });

  it('hostile layer, input and param names stay inside string literals', () => {
    const model = evilModel();
    const { modules, diagnostics } = emitModules([
      { model, tfSpec: tfSpecOf(model), options: { sourcePath: "x'\n*/.lstm", source: '', version: '0' } },
    ]);
    expect(diagnostics).toEqual([]);
    const text = modules[0]!.text;
    expect(parseErrors(text)).toEqual([]);
    // Only the statements the emitter writes: the names added none.
    expect(topLevelStatementKinds(text)).toEqual([
      'ImportDeclaration',
      'InterfaceDeclaration',
      'VariableStatement',
      'VariableStatement',
      'FunctionDeclaration',
      'VariableStatement',
      'FunctionDeclaration',
    ]);
    const literals = stringLiterals(text);
    for (const name of EVIL) expect(literals).toContain(name);
    expect(literals).toContain('in put`${x}\n');
    // Printable ASCII only, no template literals at all.
    expect(text).toMatch(/^[\x20-\x7e\n]*$/);
    expect(text).not.toContain('`${');
    expect(text).toContain(`units: p[${quote(EVIL[5]!)}],`);
    // The header's path cannot open a comment or add a line.
    expect(text.split('\n')[0]).toBe("// Generated by lstmc 0 from 'x\\'\\n*/.lstm' (model EvilNames). Do not edit.");
  });

  it('local variable names in a graph are sanitised, unique identifiers', () => {
    const model = graphWithNames(['class', 'a b', '1st', 'tf', 'p', 'a_b']);
    const text = emitModules([
      { model, tfSpec: tfSpecOf(model), options: { sourcePath: 'g.lstm', source: '', version: '0' } },
    ]).modules[0]!.text;
    expect(parseErrors(text)).toEqual([]);
    expect(text).toContain('const class_2 = tf.layers.dense({');
    expect(text).toContain('const a_b = tf.layers.dense({');
    expect(text).toContain('const _1st = tf.layers.dense({');
    expect(text).toContain('const tf_2 = tf.layers.dense({');
    expect(text).toContain('const p_2 = tf.layers.dense({');
    expect(text).toContain('const a_b_2 = tf.layers.dense({');
  });

  it('model names: ASCII identifiers accepted (reserved words too), others rejected with a located LSTM2019', () => {
    for (const ok of ['VanillaEcho', 'class', 'await', '_x1']) expect(invalidModelNameReason(ok)).toBeUndefined();
    for (const bad of ['my model', 'a-b', 'Ünïcode', '1st', 'x`${y}`', "a'b", 'a\nb', 'CON', 'lpt1', '']) {
      expect(invalidModelNameReason(bad), bad).toBeDefined();
    }
    const bad = chainModel('my model', irInput('x', [3]), [irLayer('dense', { units: 1 })], { file: 'bad.lstm' });
    bad.span = { file: 'bad.lstm', line: 3, column: 7, endLine: 3, endColumn: 15 };
    const r = emitModules([
      { model: bad, tfSpec: tfSpecOf(bad), options: { sourcePath: 'bad.lstm', source: '', version: '0' } },
    ]);
    expect(r.modules).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      file: 'bad.lstm',
      line: 3,
      column: 7,
      code: 'LSTM2019',
      severity: 'error',
    });
    expect(r.diagnostics[0]!.message).toContain('Invalid name "my model"');
  });

  it('a reserved-word model name gives valid identifiers', () => {
    const model = chainModel('class', irInput('x', [3]), [irLayer('dense', { units: 1 })]);
    const text = emitModules([
      { model, tfSpec: tfSpecOf(model), options: { sourcePath: 'c.lstm', source: '', version: '0' } },
    ]).modules[0]!.text;
    expect(parseErrors(text)).toEqual([]);
    expect(text).toContain('export function buildClass(params: Partial<ClassParams> = {}): tf.LayersModel {');
    expect(text).toContain("name: 'class',");
  });

  it('two models that would write the same file (case-insensitively) are rejected', () => {
    const a = chainModel('Echo', irInput('x', [3]), [irLayer('dense', { units: 1 })], { file: 'a.lstm' });
    const b = chainModel('echo', irInput('x', [3]), [irLayer('dense', { units: 1 })], { file: 'b.lstm' });
    b.span = { file: 'b.lstm', line: 2, column: 7, endLine: 2, endColumn: 11 };
    const opts = { sourcePath: 'x', source: '', version: '0' };
    const r = emitModules([
      { model: a, tfSpec: tfSpecOf(a), options: opts },
      { model: b, tfSpec: tfSpecOf(b), options: opts },
    ]);
    expect(r.modules.map((m) => m.fileName)).toEqual(['Echo.ts']);
    expect(r.diagnostics[0]).toMatchObject({ file: 'b.lstm', line: 2, code: 'LSTM2019' });
    expect(r.diagnostics[0]!.message).toContain(
      'its module echo.ts would overwrite the module of model Echo (a.lstm:1)',
    );
  });
});

// ---------------------------------------------------------------------------------------------

const VANILLA_LSTM = `model Echo {
  input x: [5, 10]
  lstm(8)
  dense(10, activation: softmax)
  train {
    loss: categoricalCrossentropy
    optimizer: adam
    metrics: [accuracy]
  }
}
`;
const VANILLA_YAML = `model: Echo
inputs:
  x: [5, 10]
layers:
  - lstm: 8
  - dense: {units: 10, activation: softmax}
train:
  loss: categoricalCrossentropy
  optimizer: adam
  metrics: [accuracy]
`;
const BROKEN_YAML = `model: Broken
inputs:
  x: [5, 10]
layers:
  - lstm: 8
  - nosuchlayer: 3
`;

describe('lstmc compile', () => {
  function project(files: Record<string, string>): string {
    const dir = tmp('compile');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }

  it('writes one module per model, then --check is clean; a second run rewrites nothing', async () => {
    const dir = project({ 'specs/echo.yaml': VANILLA_YAML });
    const io = captureIO(dir);
    expect(await runCompile(['specs'], { out: 'gen' }, io)).toBe(0);
    expect(io.out.join('')).toContain('wrote gen/Echo.ts');
    const text = readFileSync(path.join(dir, 'gen', 'Echo.ts'), 'utf8');
    expect(text.split('\n')[0]).toBe(
      "// Generated by lstmc 0.1.0 from '../specs/echo.yaml' (model Echo). Do not edit.",
    );
    expect(text).toContain(`sha256:${contentHash(VANILLA_YAML, undefined, '0.1.0')}`);
    const io2 = captureIO(dir);
    expect(await runCompile(['specs/*.yaml'], { out: 'gen', check: true }, io2)).toBe(0);
    expect(io2.out.join('')).toContain('up to date');
    const io3 = captureIO(dir);
    expect(await runCompile(['specs/echo.yaml'], { out: 'gen' }, io3)).toBe(0);
    expect(io3.out.join('')).toContain('unchanged gen/Echo.ts');
    expect(readdirSync(path.join(dir, 'gen'))).toEqual(['Echo.ts']);
  });

  it('--check exits 1 and names stale and missing modules', async () => {
    const dir = project({ 'a.yaml': VANILLA_YAML, 'b.lstm': VANILLA_LSTM.replace('Echo', 'Other') });
    expect(await runCompile(['a.yaml', 'b.lstm'], { out: 'gen' }, captureIO(dir))).toBe(0);
    // The spec changes: the committed module is stale.
    writeFileSync(path.join(dir, 'a.yaml'), VANILLA_YAML.replace('lstm: 8', 'lstm: 9'));
    rmSync(path.join(dir, 'gen', 'Other.ts'));
    const io = captureIO(dir);
    expect(await runCompile(['a.yaml', 'b.lstm'], { out: 'gen', check: true }, io)).toBe(1);
    const err = io.err.join('');
    expect(err).toContain('stale: gen/Echo.ts');
    expect(err).toContain('missing: gen/Other.ts');
    // --check wrote nothing.
    expect(existsSync(path.join(dir, 'gen', 'Other.ts'))).toBe(false);
    // --param changes the hash: modules compiled without it are stale.
    const dir2 = project({
      'p.lstm': VANILLA_LSTM.replace('model Echo {', 'model Echo {\n  param units = 8').replace(
        'lstm(8)',
        'lstm(units)',
      ),
    });
    expect(await runCompile(['p.lstm'], { out: 'gen' }, captureIO(dir2))).toBe(0);
    expect(await runCompile(['p.lstm'], { out: 'gen', check: true, param: { units: '8' } }, captureIO(dir2))).toBe(1);
    expect(await runCompile(['p.lstm'], { out: 'gen', check: true }, captureIO(dir2))).toBe(0);
    expect(await runCompile(['p.lstm'], { out: 'gen', param: { units: '8' } }, captureIO(dir2))).toBe(0);
    expect(readFileSync(path.join(dir2, 'gen', 'Echo.ts'), 'utf8').split('\n')[1]).toBe(
      '// Regenerate with: lstmc compile <spec> -o <this directory> --param units=8 (CI: add --check)',
    );
  });

  it('spec errors: pretty diagnostics, exit 1, nothing written', async () => {
    const dir = project({ 'ok.yaml': VANILLA_YAML, 'broken.yaml': BROKEN_YAML });
    const io = captureIO(dir);
    expect(await runCompile(['.'], { out: 'gen' }, io)).toBe(1);
    const err = io.err.join('');
    expect(err).toMatch(/broken\.yaml:6:\d+ error LSTM2001/);
    expect(existsSync(path.join(dir, 'gen'))).toBe(false);
  });

  it('no files: exit 2', async () => {
    const dir = project({ 'readme.txt': 'x' });
    const io = captureIO(dir);
    expect(await runCompile(['nothing/*.lstm'], { out: 'gen' }, io)).toBe(2);
    expect(io.err.join('')).toContain('no files matched');
    expect(await runCompile([path.join(dir, 'empty-dir-that-does-not-exist')], { out: 'gen' }, captureIO(dir))).toBe(2);
  });

  it('an invalid model name from a spec is a located diagnostic (or the checker already rejects it)', async () => {
    const dir = project({ 'bad.yaml': VANILLA_YAML.replace('model: Echo', 'model: "my model"') });
    const io = captureIO(dir);
    expect(await runCompile(['bad.yaml'], { out: 'gen' }, io)).toBe(1);
    expect(io.err.join('')).toMatch(/bad\.yaml:1:\d+ error LSTM\d{4}/);
    expect(existsSync(path.join(dir, 'gen'))).toBe(false);
  });

  it('two spellings of one model into one directory: located LSTM2019 with a hint, nothing written', async () => {
    const dir = project({ 'echo.lstm': VANILLA_LSTM, 'echo.yaml': VANILLA_YAML });
    const io = captureIO(dir);
    expect(await runCompile(['echo.lstm', 'echo.yaml'], { out: 'gen' }, io)).toBe(1);
    const err = io.err.join('');
    expect(err).toContain(
      'echo.yaml:1:8 error LSTM2019 Invalid name "Echo": its module Echo.ts would overwrite the module of model Echo (echo.lstm:1)',
    );
    expect(err).toContain('hint: Compile one spelling of a model into one output directory');
    expect(existsSync(path.join(dir, 'gen'))).toBe(false);
  });

  it('the commander registration parses options and sets the exit code', async () => {
    const dir = project({ 'a.yaml': VANILLA_YAML });
    const program = new Command('lstmc').exitOverride().version('0.1.0');
    registerCompileCommand(program);
    const cwd = process.cwd();
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      process.chdir(dir);
      await program.parseAsync([
        'node',
        'lstmc',
        'compile',
        'a.yaml',
        '-o',
        'out',
        '--tf-module',
        '@tensorflow/tfjs-node',
      ]);
      expect(process.exitCode).toBe(0);
      await program.parseAsync([
        'node',
        'lstmc',
        'compile',
        'a.yaml',
        '-o',
        'out',
        '--check',
        '--tf-module',
        '@tensorflow/tfjs-node',
      ]);
      expect(process.exitCode).toBe(0);
    } finally {
      process.stdout.write = write;
      process.chdir(cwd);
      process.exitCode = undefined;
    }
    expect(readFileSync(path.join(dir, 'out', 'Echo.ts'), 'utf8')).toContain("from '@tensorflow/tfjs-node';");
  });
});

describe('atomic writes', () => {
  const failing = (mode: 'write' | 'rename'): AtomicFs => ({
    async writeFile(file, text) {
      // Leave a partial temp file behind, as a crash mid-write would.
      writeFileSync(file, text.slice(0, 10));
      if (mode === 'write') throw new Error('disk full');
    },
    async rename() {
      throw new Error('rename failed');
    },
    unlink: async (file) => rmSync(file, { force: true }),
  });

  for (const mode of ['write', 'rename'] as const) {
    it(`a failing ${mode} leaves the old module intact and no temp file`, async () => {
      const dir = tmp('atomic');
      const file = path.join(dir, 'Echo.ts');
      writeFileSync(file, 'old module\n');
      await expect(writeFileAtomic(file, 'new module text that is long\n', failing(mode))).rejects.toThrow();
      expect(readFileSync(file, 'utf8')).toBe('old module\n');
      expect(readdirSync(dir)).toEqual(['Echo.ts']);
    });
  }

  it('a successful write replaces the file through a temp file in the same directory', async () => {
    const dir = tmp('atomic');
    const file = path.join(dir, 'Echo.ts');
    writeFileSync(file, 'old\n');
    const seen: string[] = [];
    const fs: AtomicFs = {
      writeFile: async (f, t) => {
        seen.push(f);
        writeFileSync(f, t);
      },
      rename: async (a, b) => {
        const { renameSync } = await import('node:fs');
        renameSync(a, b);
      },
      unlink: async (f) => rmSync(f, { force: true }),
    };
    await writeFileAtomic(file, 'new\n', fs);
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(path.dirname(seen[0]!)).toBe(dir);
    expect(path.basename(seen[0]!)).toMatch(/^\.lstmc-tmp-/);
    expect(readdirSync(dir)).toEqual(['Echo.ts']);
    // The real implementation too.
    await writeFileAtomic(file, 'newer\n');
    expect(readFileSync(file, 'utf8')).toBe('newer\n');
    expect(readdirSync(dir)).toEqual(['Echo.ts']);
  });

  it('lstmc compile with a failing write: exit 2, old module intact, no temp files', async () => {
    const dir = tmp('atomic');
    writeFileSync(path.join(dir, 'a.yaml'), VANILLA_YAML);
    mkdirSync(path.join(dir, 'gen'));
    writeFileSync(path.join(dir, 'gen', 'Echo.ts'), 'old module\n');
    const io = captureIO(dir, failing('write'));
    expect(await runCompile(['a.yaml'], { out: 'gen' }, io)).toBe(2);
    expect(io.err.join('')).toContain('cannot write gen/Echo.ts: disk full');
    expect(readFileSync(path.join(dir, 'gen', 'Echo.ts'), 'utf8')).toBe('old module\n');
    expect(readdirSync(path.join(dir, 'gen'))).toEqual(['Echo.ts']);
  });
});

describe('ts-morph stays off the check path', () => {
  function sources(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith('.ts')) out.push(full);
      }
    };
    if (existsSync(dir)) walk(dir);
    return out;
  }

  it('only emit/typescript.ts imports ts-morph; nothing but compile-command (dynamically) imports emit', () => {
    const files = ['grammar', 'compiler', 'runtime', 'cli'].flatMap((d) => sources(path.join(ROOT, d)));
    for (const file of files) {
      const rel = path.relative(ROOT, file).replace(/\\/g, '/');
      const text = readFileSync(file, 'utf8');
      if (rel !== 'emit/typescript.ts')
        expect(text, rel).not.toMatch(/from\s+['"]ts-morph['"]|import\(\s*['"]ts-morph['"]/);
      const staticEmit = /^\s*import\s+(?!type\b)[^;]*from\s+['"][./]*(emit\/)?typescript\.js['"]/m;
      expect(text, rel).not.toMatch(staticEmit);
    }
    const cmd = readFileSync(path.join(ROOT, 'cli', 'compile-command.ts'), 'utf8');
    expect(cmd).toContain("await import('../emit/typescript.js')");
  });

  it('loading the compile command module does not load ts-morph', async () => {
    const { execFileSync } = await import('node:child_process');
    // dist/ is fresh: test/global-setup.ts builds before any suite runs.
    const dist = path.join(ROOT, 'dist', 'cli', 'compile-command.js');
    expect(existsSync(dist), `${dist} (built by test/global-setup.ts)`).toBe(true);
    const script = `await import(${JSON.stringify(new URL(`file://${dist}`).href)}); const { createRequire } = await import('node:module'); const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('ts-morph')); console.log(loaded ? 'loaded' : 'not loaded');`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('not loaded');
  });
});

describe('version', () => {
  it('reads lstmc version from package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(lstmcVersion()).toBe(pkg.version);
  });
});
