/**
 * The TypeScript emitter: checked IR -> one TypeScript module per model that builds the TF.js model.
 *
 * This is the only module of `compiler/` that loads ts-morph; it is imported dynamically by the
 * `compile` command only (never by `check`, `summary` or the runtime).
 *
 * One source of truth: the module is printed from the `TfModelSpec` (compiler/tfspec.ts), the same final
 * data the runtime executes (runtime/build.ts, runtime/optimizer.ts): the model kind, every layer config
 * with its name and input shape, the loss, metric and optimizer identifiers. The emitter decides none
 * of them; it only prints, and substitutes params (`p.units`) where a value came from one. Gradient
 * clipping is runtime/clipping.ts `withGradientClipping`, whose source text is copied into the module.
 *
 * Module shape (file `<ModelName>.ts`, the model name verbatim):
 *   // header: source spec (path relative to the module's directory) and a content hash
 *   import * as tf from '@tensorflow/tfjs';
 *   import { lstmcLayers } from 'lstmc/runtime/layers';    // only when a layer is one of lstmc's own classes
 *   export interface <Name>Params { ... }             // the spec's params
 *   export const default<Name>Params: <Name>Params    // their values as compiled
 *   export const inputShapes = { x: [5, 10] } as const  // batch excluded, symbolic dims null
 *   export function build<Name>(params = {}): tf.LayersModel   // tf.sequential chain / tf.model graph
 *   export const trainingConfig = { ... } as const
 *   export function compile<Name>(model: tf.LayersModel): void
 * `<Name>` is the model name with its first letter upper-cased (`vanilla` -> `buildVanilla`).
 *
 * Safe printing: a model name must be an ASCII identifier (it becomes part of identifiers and of a
 * file name); anything else is rejected with a located LSTM2019 diagnostic. Every other string from a
 * spec (layer names, input names, string args, param names) is printed through `quote()` / `propKey()`,
 * which escape everything outside printable ASCII, so no spec text can leave a string literal.
 * Local variable names are derived from layer/input names and sanitised, de-duplicated identifiers.
 *
 * Output is deterministic: the same IR, options and source text give byte-identical text.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CodeBlockWriter,
  IndentationText,
  NewLineKind,
  Project,
  QuoteKind,
  StructureKind,
  VariableDeclarationKind,
  ts,
} from 'ts-morph';
import type { StatementStructures, WriterFunction } from 'ts-morph';
import { Diagnostics, makeDiagnostic, type Diagnostic } from '../base/diagnostics.js';
import type { Span } from '../base/span.js';
import type { IRLayer, IRModel, IROptimizer, IRTrain, ValueRef } from '../compiler/ir.js';
import { optimizerCall } from '../compiler/train.js';
import type { TfLayerSpec } from '../compiler/layers/types.js';
import { invalidModelNameReason } from '../compiler/rules/model-name.js';
import { toTfModelSpec, type TfModelSpec, type TfOptimizerSpec, type TfTrainSpec } from '../compiler/tfspec.js';

export type TfModule = '@tensorflow/tfjs' | '@tensorflow/tfjs-node';
export const TF_MODULES: readonly TfModule[] = ['@tensorflow/tfjs', '@tensorflow/tfjs-node'];

export interface EmitOptions {
  /** The import of the generated module. Default `@tensorflow/tfjs`. */
  tfModule?: TfModule;
  /** The spec path printed in the header (callers pass it relative to the output directory). */
  sourcePath: string;
  /** The spec's source text (hashed). */
  source: string;
  /** `--param` overrides as given (hashed). */
  params?: Record<string, string>;
  /** lstmc version (hashed and printed). */
  version: string;
}

export interface EmittedModule {
  model: string;
  /** Base file name, e.g. `VanillaEcho.ts`. */
  fileName: string;
  text: string;
}

export interface EmitResult {
  modules: EmittedModule[];
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------
// Safe printing helpers

const JS_IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Reserved words (ES + strict mode + TS contextual words that cannot be binding names), plus globals we use. */
const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'let',
  'static',
  'implements',
  'interface',
  'package',
  'private',
  'protected',
  'public',
  'await',
  'async',
  'arguments',
  'eval',
  'undefined',
  'NaN',
  'Infinity',
  'as',
  'any',
  'boolean',
  'constructor',
  'declare',
  'get',
  'module',
  'require',
  'number',
  'set',
  'string',
  'symbol',
  'type',
  'from',
  'of',
  'never',
  'unknown',
  'object',
  'namespace',
  'keyof',
  'readonly',
  'infer',
  'is',
  'asserts',
  'global',
  'bigint',
  'satisfies',
  'accessor',
  'out',
  'override',
  'abstract',
  // names the generated code itself uses in the builder's scope
  'tf',
  'p',
  'params',
  'model',
  'globalThis',
  'Object',
  'Math',
  'Array',
]);

/**
 * A single-quoted TypeScript string literal for any string. Escapes backslash, quotes, backticks, `$`
 * and every character outside printable ASCII (newlines, U+2028/2029, bidi controls, astral chars as
 * surrogate pairs), so the literal is one line and cannot end early or start a template.
 */
export function quote(s: string): string {
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '`') out += '\\`';
    else if (ch === '$') out += '\\$';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + "'";
}

/** An object-literal / interface property key: bare when it is an identifier, quoted otherwise. */
export function propKey(name: string): string {
  return JS_IDENT.test(name) && name !== '__proto__' ? name : quote(name);
}

/** `p.units` or `p['my-param']`. */
function propAccess(obj: string, name: string): string {
  return JS_IDENT.test(name) && name !== '__proto__' ? `${obj}.${name}` : `${obj}[${quote(name)}]`;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Deterministic local identifiers derived from spec names. */
class NameScope {
  private readonly used = new Set<string>(RESERVED);
  fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = '_' + base;
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

function printNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot print non-finite number ${n}`);
  return Object.is(n, -0) ? '0' : String(n);
}

/** A value printed inline; `subst` gives code for values that came from params. */
function printValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return printNumber(v);
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(printValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, x]) => `${propKey(k)}: ${printValue(x)}`).join(', ')} }`;
  }
  throw new Error(`cannot print a value of type ${typeof v}`);
}

function typeOfParam(v: number | string | boolean): string {
  return typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'boolean';
}

// ---------------------------------------------------------------------------------------------
// Naming and validation

export interface ModuleNames {
  /** Model name with an upper-case first letter. */
  base: string;
  fileName: string;
  paramsType: string;
  defaults: string;
  build: string;
  compile: string;
}

export function moduleNames(modelName: string): ModuleNames {
  const base = upperFirst(modelName);
  return {
    base,
    fileName: `${modelName}.ts`,
    paramsType: `${base}Params`,
    defaults: `default${base}Params`,
    build: `build${base}`,
    compile: `compile${base}`,
  };
}

export { invalidModelNameReason };

// ---------------------------------------------------------------------------------------------
// Hash

export function contentHash(source: string, params: Record<string, string> | undefined, version: string): string {
  const canonicalParams = Object.keys(params ?? {})
    .sort()
    .map((k) => [k, params![k]]);
  return createHash('sha256')
    .update(source)
    .update('\0')
    .update(JSON.stringify(canonicalParams))
    .update('\0')
    .update(version)
    .digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Optimizers: the spec's `{ factory, args }` call (compiler/train.ts `optimizerCall`), the one the
// runtime calls too (runtime/optimizer.ts), so the two paths cannot drift.

/** `tf.train.adam(0.001, 0.9, 0.999, 1e-7)`: the spec's call, every argument explicit. */
function printOptimizer({ factory, args }: TfOptimizerSpec): string {
  if (!JS_IDENT.test(factory)) throw new Error(`invalid optimizer factory ${JSON.stringify(factory)}`);
  return `tf.train.${factory}(${args.map((a) => (typeof a === 'boolean' ? String(a) : printNumber(a))).join(', ')})`;
}

/** The expression a module prints for a checked optimizer (Keras defaults where the spec is silent). */
export function optimizerExpression(o: IROptimizer): string {
  return printOptimizer(optimizerCall(o));
}

// ---------------------------------------------------------------------------------------------
// The module printer

interface ParamRefs {
  /** config key -> param name, for a layer (and its inner layer). */
  args: Record<string, string>;
  inner?: ParamRefs;
}

function paramRefsOf(layer: IRLayer | undefined): ParamRefs | undefined {
  if (layer === undefined) return undefined;
  const refs: ParamRefs = { args: layer.argParams ?? {} };
  const inner = paramRefsOf(layer.inner);
  if (inner !== undefined) refs.inner = inner;
  return refs;
}

class ModulePrinter {
  private readonly paramAccess = new Map<string, string>();
  usesParams = false;

  constructor(private readonly model: IRModel) {
    for (const name of Object.keys(model.params)) this.paramAccess.set(name, propAccess('p', name));
  }

  /** `p.units` when `value` is exactly the value of the named param, else undefined. */
  param(paramName: string | undefined, value: unknown): string | undefined {
    if (paramName === undefined) return undefined;
    const access = this.paramAccess.get(paramName);
    if (access === undefined || this.model.params[paramName] !== value) return undefined;
    this.usesParams = true;
    return access;
  }

  shape(shape: readonly (number | null)[], dimParams: readonly (string | undefined)[] | undefined): string {
    return `[${shape.map((d, i) => this.param(dimParams?.[i], d) ?? printValue(d)).join(', ')}]`;
  }

  /**
   * Writes `tf.layers.<factory>({ ... })`, or `lstmcLayers.<factory>({ ... })` for lstmc's own classes (no trailing
   * punctuation).
   */
  layerCall(
    w: CodeBlockWriter,
    spec: TfLayerSpec,
    refs: ParamRefs | undefined,
    inputShapeDims?: readonly (string | undefined)[],
  ): void {
    if (!JS_IDENT.test(spec.factory)) throw new Error(`invalid layer factory ${JSON.stringify(spec.factory)}`);
    const entries = Object.entries(spec.config).filter(([, v]) => v !== undefined);
    if (spec.inner !== undefined && !entries.some(([k]) => k === 'layer')) {
      const at = entries.findIndex(([k]) => k !== 'name' && k !== 'inputShape' && k !== 'batchInputShape');
      entries.splice(at < 0 ? entries.length : at, 0, ['layer', spec.inner]);
    }
    const callee = `${spec.module === 'lstmc' ? 'lstmcLayers' : 'tf.layers'}.${spec.factory}`;
    if (entries.length === 0) {
      w.write(`${callee}()`);
      return;
    }
    w.write(`${callee}({`).newLine();
    w.indent(() => {
      for (const [key, value] of entries) {
        w.write(`${propKey(key)}: `);
        if (key === 'layer' && spec.inner !== undefined) {
          this.layerCall(w, spec.inner, refs?.inner);
        } else if ((key === 'inputShape' || key === 'batchInputShape') && Array.isArray(value)) {
          w.write(this.shape(value as (number | null)[], inputShapeDims));
        } else {
          w.write(this.param(refs?.args[key], value) ?? printValue(value));
        }
        w.write(',').newLine();
      }
    });
    w.write('})');
  }
}

/** ` --param a=1 --param b='x y'`, safe inside a line comment (anything unusual is quoted/escaped). */
function paramFlags(params: Record<string, string> | undefined): string {
  if (params === undefined) return '';
  const safe = (t: string): string => (/^[A-Za-z0-9_.+=-]+$/.test(t) ? t : quote(t));
  return Object.keys(params)
    .sort()
    .map((k) => ` --param ${safe(`${k}=${params[k]!}`)}`)
    .join('');
}

function emitHeader(model: IRModel, options: EmitOptions, tfModule: TfModule): string {
  const hash = contentHash(options.source, options.params, options.version);
  // The path is printed through quote(): a file name cannot end the comment or add lines.
  return [
    `// Generated by lstmc ${options.version} from ${quote(options.sourcePath)} (model ${model.name}). Do not edit.`,
    `// Regenerate with: lstmc compile <spec> -o <this directory>${tfModule === '@tensorflow/tfjs' ? '' : ` --tf-module ${tfModule}`}${paramFlags(options.params)} (CI: add --check)`,
    `// lstmc-content-hash: sha256:${hash}`,
  ].join('\n');
}

function refKey(ref: ValueRef): string {
  return `${ref.node}\u0000${ref.index}`;
}

function buildBodyWriter(
  model: IRModel,
  spec: TfModelSpec,
  printer: ModulePrinter,
  names: ModuleNames,
): WriterFunction {
  return (w) => {
    const body: string[] = [];
    // Render into a scratch writer first: whether `p` is used is only known afterwards.
    const scratch = (fn: (sw: CodeBlockWriter) => void): string => {
      const sw = new CodeBlockWriter({ indentNumberOfSpaces: 2, useSingleQuote: true, newLine: '\n' });
      fn(sw);
      return sw.toString();
    };
    const irNodes = new Map(model.nodes.map((n) => [n.name, n]));
    if (spec.kind === 'sequential') {
      body.push(
        scratch((sw) => {
          sw.write('return tf.sequential({').newLine();
          sw.indent(() => {
            sw.writeLine(`name: ${quote(spec.name)},`);
            sw.write('layers: [').newLine();
            sw.indent(() => {
              spec.nodes.forEach((node, i) => {
                const first = model.inputs[0];
                // batchInputShape: [batch, ...shape]; the batch may come from a param too.
                const dims =
                  i === 0 && first !== undefined
                    ? first.batch === undefined
                      ? first.dimParams
                      : [first.batchParam, ...first.dimParams]
                    : undefined;
                printer.layerCall(sw, node.spec, paramRefsOf(irNodes.get(node.name)), dims);
                sw.write(',').newLine();
              });
            });
            sw.writeLine('],');
          });
          sw.write('});');
        }),
      );
    } else {
      const scope = new NameScope();
      const vars = new Map<string, string>();
      const irInputs = new Map(model.inputs.map((i) => [i.name, i]));
      const ref = (r: ValueRef): string => {
        const v = vars.get(refKey(r));
        if (v === undefined) throw new Error(`reference to undefined value ${r.node}[${r.index}]`);
        return v;
      };
      const refs = (rs: readonly ValueRef[]): string => (rs.length === 1 ? ref(rs[0]!) : `[${rs.map(ref).join(', ')}]`);
      for (const input of spec.inputs) {
        const v = scope.fresh(input.name);
        vars.set(refKey({ node: input.name, index: 0 }), v);
        const irInput = irInputs.get(input.name);
        if (input.batch === undefined) {
          const shape = printer.shape(input.shape, irInput?.dimParams);
          body.push(`const ${v} = tf.input({ name: ${quote(input.name)}, shape: ${shape} });`);
        } else {
          const dims = [irInput?.batchParam, ...(irInput?.dimParams ?? [])];
          const batchShape = printer.shape([input.batch, ...input.shape], dims);
          body.push(`const ${v} = tf.input({ name: ${quote(input.name)}, batchShape: ${batchShape} });`);
        }
      }
      // Outputs nobody reads get no variable (noUnusedLocals-clean): holes in a destructuring pattern.
      const used = new Set<string>(spec.outputs.map(refKey));
      for (const node of spec.nodes)
        for (const r of [...node.inputs, ...(node.initialState ?? [])]) used.add(refKey(r));
      for (const node of spec.nodes) {
        const outs: string[] = [];
        for (let i = 0; i < node.outputCount; i++) {
          const key = refKey({ node: node.name, index: i });
          if (!used.has(key)) {
            outs.push('');
            continue;
          }
          const v = scope.fresh(i === 0 ? node.name : `${node.name}_state${i}`);
          vars.set(key, v);
          outs.push(v);
        }
        while (outs.length > 0 && outs[outs.length - 1] === '') outs.pop();
        const call = scratch((sw) => printer.layerCall(sw, node.spec, paramRefsOf(irNodes.get(node.name))));
        const kwargs =
          node.initialState !== undefined && node.initialState.length > 0
            ? `, { initialState: [${node.initialState.map(ref).join(', ')}] }`
            : '';
        const apply = `${call}.apply(${refs(node.inputs)}${kwargs})`;
        if (outs.length === 0) {
          body.push(`${apply}; // no output of ${quote(node.name)} is used`);
        } else if (node.outputCount === 1) {
          body.push(`const ${outs[0]!} = ${apply} as tf.SymbolicTensor;`);
        } else {
          // A tuple, so that each name is a SymbolicTensor under noUncheckedIndexedAccess (a state fed as data).
          const tuple = `[${outs.map(() => 'tf.SymbolicTensor').join(', ')}]`;
          body.push(`const [${outs.map((o) => (o === '' ? '' : o)).join(', ')}] = ${apply} as ${tuple};`);
        }
      }
      const inputsList = spec.inputs.map((i) => ref({ node: i.name, index: 0 }));
      const outputsList = spec.outputs.map(ref);
      body.push(
        [
          'return tf.model({',
          `  name: ${quote(spec.name)},`,
          `  inputs: ${inputsList.length === 1 ? inputsList[0] : `[${inputsList.join(', ')}]`},`,
          `  outputs: ${outputsList.length === 1 ? outputsList[0] : `[${outputsList.join(', ')}]`},`,
          '});',
        ].join('\n'),
      );
    }
    if (printer.usesParams) w.writeLine(`const p: ${names.paramsType} = { ...${names.defaults}, ...params };`);
    else w.writeLine('void params; // no layer argument of this model comes from a param');
    for (const chunk of body) {
      for (const line of chunk.split('\n')) w.writeLine(line);
    }
  };
}

function trainingConfigText(train: IRTrain, tfTrain: TfTrainSpec): string {
  const cfg: Record<string, unknown> = {
    loss: tfTrain.losses ?? train.loss,
    optimizer: train.optimizer.name,
    optimizerArgs: sortedRecord(train.optimizer.args),
    metrics: train.metrics,
    epochs: train.epochs,
    batchSize: train.batchSize,
    validationSplit: train.validationSplit,
    shuffle: train.shuffle,
  };
  if (tfTrain.lossWeights !== undefined) cfg['lossWeights'] = tfTrain.lossWeights;
  if (train.clipNorm !== undefined) cfg['clipNorm'] = train.clipNorm;
  if (train.clipValue !== undefined) cfg['clipValue'] = train.clipValue;
  if (train.earlyStopping !== undefined) {
    cfg['earlyStopping'] = {
      monitor: train.earlyStopping.monitor,
      patience: train.earlyStopping.patience,
      minDelta: train.earlyStopping.minDelta,
    };
  }
  if (train.seed !== undefined) cfg['seed'] = train.seed;
  const lines = Object.entries(cfg).map(([k, v]) => `  ${propKey(k)}: ${printValue(v)},`);
  return `{\n${lines.join('\n')}\n} as const`;
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

/**
 * runtime/clipping.ts, the gradient clipping the runtime uses: beside `emit/` when running from the
 * sources, two levels above `dist/emit/typescript.js` in a build or an installed package (package.json
 * ships the file). Only its text is read; the emitter never loads tfjs.
 */
const CLIPPING_SOURCES = ['../runtime/clipping.ts', '../../runtime/clipping.ts'];

let clippingHelper: string | undefined;

/**
 * The `withGradientClipping` function of runtime/clipping.ts (JSDoc included, not exported), printed
 * into modules whose spec sets clipNorm / clipValue: TF.js optimizers have no clipping option.
 */
function clippingHelperText(project: Project): string {
  if (clippingHelper !== undefined) return clippingHelper;
  const candidates = CLIPPING_SOURCES.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`cannot find runtime/clipping.ts (looked for ${candidates.join(', ')})`);
  const sf = project.createSourceFile('/lstmc-runtime/clipping.ts', readFileSync(file, 'utf8'), { overwrite: true });
  try {
    const fn = sf.getFunctionOrThrow('withGradientClipping');
    fn.setIsExported(false);
    clippingHelper = fn.getText(true);
  } finally {
    project.removeSourceFile(sf);
  }
  return clippingHelper;
}

/** runtime/output-losses.ts, found as runtime/clipping.ts is (the package ships both). */
const OUTPUT_LOSSES_SOURCES = ['../runtime/output-losses.ts', '../../runtime/output-losses.ts'];

let outputLossesHelper: string | undefined;

/** The `withOutputLosses` function of runtime/output-losses.ts (not exported), for modules with several outputs. */
function outputLossesHelperText(project: Project): string {
  if (outputLossesHelper !== undefined) return outputLossesHelper;
  const candidates = OUTPUT_LOSSES_SOURCES.map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`cannot find runtime/output-losses.ts (looked for ${candidates.join(', ')})`);
  const sf = project.createSourceFile('/lstmc-runtime/output-losses.ts', readFileSync(file, 'utf8'), {
    overwrite: true,
  });
  try {
    const fn = sf.getFunctionOrThrow('withOutputLosses');
    fn.setIsExported(false);
    outputLossesHelper = fn.getText(true);
  } finally {
    project.removeSourceFile(sf);
  }
  return outputLossesHelper;
}

function compileBody(train: TfTrainSpec): WriterFunction {
  return (w) => {
    let optimizer = printOptimizer(train.optimizer);
    const clip: string[] = [];
    if (train.clipNorm !== undefined) clip.push(`clipNorm: ${printNumber(train.clipNorm)}`);
    if (train.clipValue !== undefined) clip.push(`clipValue: ${printNumber(train.clipValue)}`);
    if (clip.length > 0) optimizer = `withGradientClipping(${optimizer}, { ${clip.join(', ')} })`;
    w.writeLine('model.compile({');
    w.writeLine(`  loss: ${train.losses ? `[${train.losses.map(quote).join(', ')}]` : quote(train.loss)},`);
    w.writeLine(`  optimizer: ${optimizer},`);
    w.writeLine(`  metrics: [${train.metrics.map(quote).join(', ')}],`);
    w.writeLine('});');
    if (train.losses) {
      const weights = (train.lossWeights ?? train.losses.map(() => 1)).map(printNumber).join(', ');
      w.writeLine(`withOutputLosses(model, [${weights}], [${(train.outputNames ?? []).map(quote).join(', ')}]);`);
    } else if (train.outputNames) {
      w.writeLine(`withOutputLosses(model, null, [${train.outputNames.map(quote).join(', ')}]);`);
    }
  };
}

/** Whether a layer of the model (or a wrapped one) is one of lstmc's own classes (`lstmc/runtime/layers`). */
function usesLstmcLayers(spec: TfModelSpec): boolean {
  const uses = (l: TfLayerSpec | undefined): boolean => l !== undefined && (l.module === 'lstmc' || uses(l.inner));
  return spec.nodes.some((n) => uses(n.spec));
}

/** Print one model as a module. Throws only on internal inconsistencies (never on user input that passed checking). */
export function printModule(project: Project, model: IRModel, spec: TfModelSpec, options: EmitOptions): string {
  const tfModule = options.tfModule ?? '@tensorflow/tfjs';
  if (!TF_MODULES.includes(tfModule)) throw new Error(`unsupported tf module ${JSON.stringify(tfModule)}`);
  const names = moduleNames(model.name);
  const printer = new ModulePrinter(model);
  const paramNames = Object.keys(model.params);

  const statements: (string | WriterFunction | StatementStructures)[] = [];
  statements.push(emitHeader(model, options, tfModule));
  statements.push({ kind: StructureKind.ImportDeclaration, namespaceImport: 'tf', moduleSpecifier: tfModule });
  if (usesLstmcLayers(spec)) {
    // lstmc's own layer classes (what tfjs lacks); importing them also registers them for model.json loading.
    statements.push({
      kind: StructureKind.ImportDeclaration,
      namedImports: ['lstmcLayers'],
      moduleSpecifier: 'lstmc/runtime/layers',
    });
  }
  statements.push({
    kind: StructureKind.Interface,
    name: names.paramsType,
    isExported: true,
    docs: [`The params of model ${model.name}; \`${names.build}\` accepts any subset of them.`],
    properties: paramNames.map((name) => ({ name: propKey(name), type: typeOfParam(model.params[name]!) })),
  });
  statements.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The param values the spec was compiled with (spec defaults and `--param` overrides).'],
    declarations: [
      {
        name: names.defaults,
        type: names.paramsType,
        initializer: (w) => {
          if (paramNames.length === 0) {
            w.write('{}');
            return;
          }
          w.write('{').newLine();
          w.indent(() => {
            for (const name of paramNames) w.writeLine(`${propKey(name)}: ${printValue(model.params[name])},`);
          });
          w.write('}');
        },
      },
    ],
  });
  statements.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['Input shapes without the batch dimension (null = unknown or symbolic), for the default params.'],
    declarations: [
      {
        name: 'inputShapes',
        initializer: (w) => {
          w.write('{').newLine();
          w.indent(() => {
            for (const input of spec.inputs) w.writeLine(`${propKey(input.name)}: ${printValue(input.shape)},`);
          });
          w.write('} as const');
        },
      },
    ],
  });
  const declaredBatch = spec.inputs.find((i) => i.batch !== undefined)?.batch;
  if (declaredBatch !== undefined)
    statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [
        'The declared batch size (`input ... batch N`), for the default params: the model takes batches of exactly this many samples. Stateful layers carry their states from one call to the next; call `model.resetStates()` before an unrelated sequence.',
      ],
      declarations: [{ name: 'batchSize', initializer: `${declaredBatch}` }],
    });
  const bodyWriter = buildBodyWriter(model, spec, printer, names);
  statements.push({
    kind: StructureKind.Function,
    isExported: true,
    name: names.build,
    docs: [
      `Builds model ${model.name} (${spec.kind === 'sequential' ? 'a tf.sequential chain' : 'a tf.model graph'}) with the given params (defaults: \`${names.defaults}\`).`,
    ],
    parameters: [{ name: 'params', type: `Partial<${names.paramsType}>`, initializer: '{}' }],
    returnType: 'tf.LayersModel',
    statements: bodyWriter,
  });
  statements.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The `train` block of the spec.'],
    declarations: [{ name: 'trainingConfig', initializer: trainingConfigText(model.train, spec.train) }],
  });
  if (spec.train.clipNorm !== undefined || spec.train.clipValue !== undefined)
    statements.push(clippingHelperText(project));
  if (spec.train.outputNames !== undefined) statements.push(outputLossesHelperText(project));
  statements.push({
    kind: StructureKind.Function,
    isExported: true,
    name: names.compile,
    docs: ['Compiles a model built by `' + names.build + '` with the loss, optimizer and metrics of `trainingConfig`.'],
    parameters: [{ name: 'model', type: 'tf.LayersModel' }],
    returnType: 'void',
    statements: compileBody(spec.train),
  });

  const sf = project.createSourceFile(`/emit/${names.fileName}`, '', { overwrite: true });
  try {
    sf.addStatements(statements);
    sf.formatText({
      indentSize: 2,
      tabSize: 2,
      convertTabsToSpaces: true,
      ensureNewLineAtEndOfFile: true,
      insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true,
    });
    return tidy(sf.getFullText());
  } finally {
    project.removeSourceFile(sf);
  }
}

/** Layout ts-morph leaves to the caller: one blank line between top-level declarations, `{}` for an empty interface. */
function tidy(text: string): string {
  const lines = text
    .replace(/\r\n/g, '\n')
    .replace(/^(export interface \w+) \{\n\}$/gm, '$1 {}')
    .split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const prev = out[out.length - 1];
    const topLevel = /^(\/\*\*|export |function |import )/.test(line);
    if (topLevel && prev !== undefined && prev !== '' && !prev.endsWith('*/')) out.push('');
    if (line === '' && (prev === '' || prev === undefined)) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export function createEmitProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, noLib: true },
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      newLineKind: NewLineKind.LineFeed,
      quoteKind: QuoteKind.Single,
      useTrailingCommas: true,
    },
  });
}

/** The model's name on the first line of its span when the source shows it there, else the span's first line. */
function nameSpan(model: IRModel, source: string): Span {
  const sp = model.span;
  const line = source.split('\n')[sp.line - 1];
  if (line !== undefined) {
    const col = line.indexOf(model.name, Math.max(0, sp.column - 1));
    if (col >= 0 && model.name !== '') {
      return {
        file: sp.file,
        line: sp.line,
        column: col + 1,
        endLine: sp.line,
        endColumn: col + 1 + model.name.length,
      };
    }
    return {
      file: sp.file,
      line: sp.line,
      column: sp.column,
      endLine: sp.line,
      endColumn: Math.max(sp.column + 1, line.length + 1),
    };
  }
  return sp;
}

export interface EmitInput {
  model: IRModel;
  options: EmitOptions;
  /** Defaults to `toTfModelSpec(model)` (tests may pass a hand-built one). */
  tfSpec?: TfModelSpec;
}

/**
 * Emit modules for checked models. Model names that cannot be printed safely, and two models that
 * would write the same file (compared case-insensitively), give LSTM2019 diagnostics located at the
 * model name; those models are not emitted.
 */
export function emitModules(inputs: readonly EmitInput[], project: Project = createEmitProject()): EmitResult {
  const diagnostics: Diagnostic[] = [];
  const modules: EmittedModule[] = [];
  const taken = new Map<string, IRModel>();
  for (const { model, options, tfSpec } of inputs) {
    const at = nameSpan(model, options.source);
    const reason = invalidModelNameReason(model.name);
    if (reason !== undefined) {
      diagnostics.push(makeDiagnostic(Diagnostics.InvalidModelName, at, { name: model.name, reason }));
      continue;
    }
    const names = moduleNames(model.name);
    const key = names.fileName.toLowerCase();
    const other = taken.get(key);
    if (other !== undefined) {
      diagnostics.push(
        makeDiagnostic(
          Diagnostics.InvalidModelName,
          at,
          {
            name: model.name,
            reason: `its module ${names.fileName} would overwrite the module of model ${other.name} (${other.file}:${other.span.line}); file names are compared case-insensitively`,
          },
          other.name === model.name
            ? 'Compile one spelling of a model into one output directory (e.g. only specs/*.lstm, not also the YAML twins).'
            : 'Rename one of the models, or compile them into different output directories.',
        ),
      );
      continue;
    }
    taken.set(key, model);
    const text = printModule(project, model, tfSpec ?? toTfModelSpec(model), options);
    modules.push({ model: model.name, fileName: names.fileName, text });
  }
  return { modules, diagnostics };
}
