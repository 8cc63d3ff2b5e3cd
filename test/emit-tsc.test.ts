/**
 * Every emitted module type-checks with `tsc --noEmit --strict` (plus noUnusedLocals /
 * noUnusedParameters / exactOptionalPropertyTypes) against the real @tensorflow/tfjs types.
 * The modules are written to a temp directory inside the project so that node_modules resolves.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModules, moduleNames, type EmitInput, type TfModule } from '../emit/typescript.js';
import { checkSource } from '../compiler/index.js';
import { evilModel, graphWithNames, handInputs, projectTempDir, ROOT, specFiles, tfSpecOf } from './emit-helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function allInputs(tfModule: TfModule): EmitInput[] {
  const inputs: EmitInput[] = handInputs();
  for (const model of [evilModel(), graphWithNames(['class', 'a b', '1st', 'tf', 'p', 'a_b'])]) {
    inputs.push({ model, tfSpec: tfSpecOf(model), options: { sourcePath: 'x.lstm', source: '', version: '0' } });
  }
  // Hand-built models go under other names so that they do not collide with the specs' models.
  for (const input of inputs) input.model = { ...input.model, name: `Hand${input.model.name}` };
  for (const s of specFiles()) {
    if (!/\.ya?ml$/.test(s.file)) continue; // .lstm twins give the same models
    const r = checkSource(s.source, s.file);
    expect(r.diagnostics, s.file).toEqual([]);
    expect(r.models.length, s.file).toBeGreaterThan(0);
    for (const model of r.models) {
      inputs.push({ model, tfSpec: tfSpecOf(model), options: { sourcePath: s.file, source: s.source, version: '0' } });
    }
  }
  // Per-output losses and loss weights: the module carries runtime/output-losses.ts's withOutputLosses.
  const heads = `model HandHeads {
  input x: [4, 3]
  let h = x -> lstm(5)
  let value = h -> dense(1)
  let label = h -> dense(3, activation: softmax)
  output value, label
  train { loss: {value: mse, label: categoricalCrossentropy}  lossWeights: [1, 0.2]  clipNorm: 1 }
}
`;
  const r = checkSource(heads, 'heads.lstm');
  expect(r.diagnostics).toEqual([]);
  for (const model of r.models)
    inputs.push({ model, tfSpec: tfSpecOf(model), options: { sourcePath: 'heads.lstm', source: heads, version: '0' } });
  for (const input of inputs) input.options = { ...input.options, tfModule };
  return inputs;
}

function typeCheck(files: string[]): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    noUnusedLocals: true,
    noUnusedParameters: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
  };
  const program = ts.createProgram(files, options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file !== undefined && d.start !== undefined
        ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : '';
    return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

const modules: TfModule[] = ['@tensorflow/tfjs'];
if (existsSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json')))
  modules.push('@tensorflow/tfjs-node');

describe('emitted modules type-check (tsc --noEmit --strict)', () => {
  for (const tfModule of modules) {
    it(`against ${tfModule}`, async () => {
      const inputs = allInputs(tfModule);
      const { modules: emitted, diagnostics } = emitModules(inputs);
      expect(diagnostics).toEqual([]);
      // Every input became a module: the hand-built ones and at least the six reference models.
      expect(emitted).toHaveLength(inputs.length);
      expect(emitted.filter((m) => !m.model.startsWith('Hand')).length).toBeGreaterThanOrEqual(6);
      const dir = projectTempDir('tsc');
      dirs.push(dir);
      const files = emitted.map((m) => {
        const file = path.join(dir, m.fileName);
        writeFileSync(file, m.text);
        return file;
      });
      // A consumer that uses every export, as a user would.
      const consumer = emitted
        .map((m, i) => {
          // The exported names as the emitter chooses them (emit/typescript.ts moduleNames).
          const names = moduleNames(m.model);
          const base = m.fileName.replace(/\.ts$/, '');
          return [
            `import * as m${i} from './${base}.js';`,
            `const model${i}: tf.LayersModel = m${i}.${names.build}({});`,
            `m${i}.${names.compile}(model${i});`,
            `const shapes${i}: Readonly<Record<string, readonly (number | null)[]>> = m${i}.inputShapes;`,
            `const epochs${i}: number = m${i}.trainingConfig.epochs;`,
            `const defaults${i}: m${i}.${names.paramsType} = m${i}.${names.defaults};`,
            `export { shapes${i}, epochs${i}, defaults${i} };`,
          ].join('\n');
        })
        .join('\n');
      const consumerFile = path.join(dir, 'consumer.ts');
      writeFileSync(consumerFile, `import * as tf from '${tfModule}';\n${consumer}\n`);
      expect(typeCheck([...files, consumerFile])).toEqual([]);
    }, 120_000);
  }
});
