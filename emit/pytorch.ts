/**
 * The PyTorch emitter: checked IR -> one self-contained Python module per model (`<Model>.py`), the
 * second lowering target beside emit/typescript.ts. Loaded only by `lstmc compile --target pytorch`.
 *
 * One source of truth, as for TypeScript: the module is printed from the `TfModelSpec`
 * (compiler/tfspec.ts) and from each layer's `lower.pytorch` entry in the layer table (which class of
 * emit/pytorch/support.py computes it, with which config). The emitter decides nothing per layer.
 *
 * Module shape (file `<ModelName>.py`, torch + numpy only):
 *   # header: source spec, regenerate command, content hash
 *   """usage docstring"""
 *   emit/pytorch/support.py, verbatim      the layer classes (LSTM, Dense, ...), Keras/TF.js semantics
 *   emit/pytorch/train.py, verbatim        LstmcModel (TF.js weights both ways), losses, metrics, the
 *                                          TF.js optimizers, the training loop (DDP under torchrun)
 *   class <ModelName>(LstmcModel)          __init__ builds `self.layers_` (nn.ModuleList) from the spec;
 *                                          forward(*inputs) threads values as the TF.js graph does
 *   <ModelName>.MODEL_JSON = (...)         the TF.js model.json (topology + weights manifest) of the
 *                                          model, as `lstmc train` saves it: save_tfjs writes it back
 *   if __name__ == '__main__': ...         `python3 <ModelName>.py train --data DIR --out DIR ...`
 *
 * Safe printing: nothing from a spec becomes Python code. Attribute and local names are generated
 * (`self.layers_[i]`, `v3`, `m3`); layer names, input names, config strings, the source path and the
 * TF.js topology are printed as Python string literals by `pyStr`, which escapes everything outside
 * printable ASCII, so no spec text can end a literal or a comment. The model name (an ASCII identifier
 * by the checker's rule) becomes the class and file name; names Python or the module itself needs
 * (keywords, builtins, the module's own top-level names, standard-library and torch module names a
 * `<name>.py` would shadow) are refused with a located LSTM2019 diagnostic, and a layer without a
 * PyTorch lowering with a located "not supported by target pytorch" one; nothing is emitted then.
 *
 * Output is deterministic: the same IR, options, topology and support files give byte-identical text.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Diagnostics, makeDiagnostic, type Diagnostic } from '../base/diagnostics.js';
import type { Span } from '../base/span.js';
import type { IRLayer, IRModel, IRNode, Shape, ValueRef } from '../compiler/ir.js';
import { instanceOf } from '../compiler/layers/table.js';
import type { LayerInstance } from '../compiler/layers/types.js';
import { invalidModelNameReason } from '../compiler/rules/model-name.js';
import { toTfModelSpec, toTfShape, type TfModelSpec } from '../compiler/tfspec.js';
import { OPTIMIZER_TABLE } from '../compiler/train.js';

export const PYTORCH_TARGET = 'pytorch';

export interface PytorchEmitOptions {
  /** The spec path printed in the header (callers pass it relative to the output directory). */
  sourcePath: string;
  /** The spec's source text (hashed). */
  source: string;
  /** `--param` overrides as given (hashed, printed in the regenerate line). */
  params?: Record<string, string>;
  /** lstmc version (hashed and printed). */
  version: string;
}

/**
 * A TF.js layers `model.json` as `lstmc train` saves it (runtime/io.ts): `modelTopology`, `format`,
 * `generatedBy`, `convertedBy` and a `weightsManifest` whose entries name, shape and order the weights.
 */
export interface TfjsModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  [key: string]: unknown;
}

export interface PytorchEmitInput {
  model: IRModel;
  options: PytorchEmitOptions;
  /** Defaults to `toTfModelSpec(model)`. */
  tfSpec?: TfModelSpec;
  /**
   * The model's TF.js model.json (built from the TfModelSpec with tfjs by the caller: this module never
   * loads tfjs). Without it the module loads TF.js weights but `save_tfjs` refuses to run.
   */
  modelJson?: TfjsModelJson;
}

export interface EmittedPythonModule {
  model: string;
  /** Base file name, e.g. `VanillaEcho.py`. */
  fileName: string;
  text: string;
}

export interface PytorchEmitResult {
  modules: EmittedPythonModule[];
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------
// The support files (copied verbatim into every module)

/** Beside this file when running from the sources; two levels up from dist/emit/pytorch.js in a build. */
const SUPPORT_DIRS = ['./pytorch/', '../../emit/pytorch/'];

function supportFile(name: string): string {
  const candidates = SUPPORT_DIRS.map((d) => fileURLToPath(new URL(d + name, import.meta.url)));
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new Error(`cannot find emit/pytorch/${name} (looked for ${candidates.join(', ')})`);
  return readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
}

interface SupportTexts {
  /** support.py without its `from __future__` imports (hoisted to the top of the module). */
  layers: string;
  /** train.py. */
  runtime: string;
  futures: string[];
  /** Top-level names both files define or import. */
  names: Set<string>;
  /** Classes support.py defines. */
  classes: Set<string>;
}

let supportTexts: SupportTexts | undefined;

/** Names a Python file binds at top level: classes, functions, assignments and imports. */
export function pythonTopLevelNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^(?:class|def)\s+([A-Za-z_]\w*)/gm)) names.add(m[1]!);
  for (const m of text.matchAll(/^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm)) names.add(m[1]!);
  for (const m of text.matchAll(/^import\s+([^\n#]+)/gm)) {
    for (const part of m[1]!.split(',')) {
      const [mod, alias] = part.trim().split(/\s+as\s+/);
      if (alias !== undefined) names.add(alias.trim());
      else if (mod !== undefined && mod !== '') names.add(mod.split('.')[0]!);
    }
  }
  for (const m of text.matchAll(/^from\s+\S+\s+import\s+(\([^)]*\)|[^\n#]+)/gm)) {
    for (const part of m[1]!.replace(/[()]/g, '').split(',')) {
      const [name, alias] = part.trim().split(/\s+as\s+/);
      const bound = (alias ?? name ?? '').trim();
      if (/^[A-Za-z_]\w*$/.test(bound)) names.add(bound);
    }
  }
  return names;
}

function loadSupport(): SupportTexts {
  if (supportTexts !== undefined) return supportTexts;
  const support = supportFile('support.py');
  const runtime = supportFile('train.py');
  const futures: string[] = [];
  const layers = support
    .split('\n')
    .filter((line) => {
      if (/^from __future__ import /.test(line)) {
        futures.push(line);
        return false;
      }
      return true;
    })
    .join('\n');
  const classes = new Set([...support.matchAll(/^class\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!));
  const names = new Set([...pythonTopLevelNames(support), ...pythonTopLevelNames(runtime)]);
  supportTexts = { layers: layers.trimEnd() + '\n', runtime: runtime.trimEnd() + '\n', futures, names, classes };
  return supportTexts;
}

// ---------------------------------------------------------------------------------------------
// Python literals

const PY_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const PY_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
  'match',
  'case',
  'type',
]);

/** Python 3.11 builtins (dir(builtins), public): a model class with one of these names would shadow it. */
const PY_BUILTINS = new Set(
  (
    'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError ' +
    'BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ' +
    'ConnectionResetError DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception ExceptionGroup ' +
    'FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError ImportWarning ' +
    'IndentationError IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError ' +
    'ModuleNotFoundError NameError NotADirectoryError NotImplemented NotImplementedError OSError OverflowError ' +
    'PendingDeprecationWarning PermissionError ProcessLookupError RecursionError ReferenceError ResourceWarning ' +
    'RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit ' +
    'TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError ' +
    'UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError abs aiter all anext any ascii ' +
    'bin bool breakpoint bytearray bytes callable chr classmethod compile complex copyright credits delattr dict dir ' +
    'divmod enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help hex id input int ' +
    'isinstance issubclass iter len license list locals map max memoryview min next object oct open ord pow print ' +
    'property quit range repr reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip'
  ).split(' '),
);

/**
 * Module names a `<name>.py` beside the module would shadow when Python runs it (the script's directory
 * comes first on sys.path): Python 3.11's sys.stdlib_module_names, torch, numpy and what torch imports.
 */
const PY_MODULES = new Set(
  (
    'abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect builtins ' +
    'bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys compileall concurrent ' +
    'configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm decimal difflib dis ' +
    'distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput fnmatch fractions ftplib ' +
    'functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib ' +
    'imghdr imp importlib inspect io ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox ' +
    'mailcap marshal math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath ' +
    'nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform ' +
    'plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri ' +
    'random re readline reprlib resource rlcompleter runpy sched secrets select selectors shelve shlex shutil signal site ' +
    'smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat statistics string ' +
    'stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile termios textwrap ' +
    'this threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle turtledemo types ' +
    'typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml ' +
    'xmlrpc zipapp zipfile zipimport zlib zoneinfo torch numpy functorch caffe2 torchgen sympy mpmath networkx jinja2 ' +
    'markupsafe filelock fsspec typing_extensions yaml setuptools pkg_resources six'
  ).split(' '),
);

/**
 * A single-quoted Python string literal for any string, pure printable ASCII: backslash, quotes and
 * every other character outside printable ASCII are escaped (`\n`, `\x00`, `\u2028`, `\U0001f600`;
 * lone surrogates as `\udXXX`), so the literal is one line and fits in a comment too.
 */
export function pyStr(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c <= 0xff) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c <= 0xffff) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + "'";
}

function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot print non-finite number ${n}`);
  if (Object.is(n, -0)) return '0';
  return String(n);
}

/** A JSON-like value as a Python literal (None/True/False, numbers, strings, lists, dicts with string keys). */
export function pyValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pyValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${pyStr(k)}: ${pyValue(x)}`).join(', ')}}`;
  }
  throw new Error(`cannot print a value of type ${typeof v}`);
}

/** `key=value`, or `**{'key': value}` when the key is not a plain Python identifier. */
function pyKwarg(key: string, value: string): string {
  return PY_IDENT.test(key) && !PY_KEYWORDS.has(key) ? `${key}=${value}` : `**{${pyStr(key)}: ${value}}`;
}

/** A long string as parenthesised adjacent literals of at most `width` characters of source each. */
function pyLongStr(s: string, indent: string, width = 96): string {
  const chars = Array.from(s);
  if (chars.length === 0) return "''";
  const pieces: string[] = [];
  let cur = '';
  let curLen = 0;
  for (const ch of chars) {
    const lit = pyStr(ch).slice(1, -1);
    if (curLen + lit.length > width && cur !== '') {
      pieces.push(cur);
      cur = '';
      curLen = 0;
    }
    cur += ch;
    curLen += lit.length;
  }
  if (cur !== '') pieces.push(cur);
  return `(\n${pieces.map((p) => `${indent}    ${pyStr(p)}`).join('\n')}\n${indent})`;
}

// ---------------------------------------------------------------------------------------------
// Naming and validation

export function pythonFileName(modelName: string): string {
  return `${modelName}.py`;
}

/** Why a model name cannot name the Python class and module, or undefined when it can. */
export function invalidPythonModelNameReason(name: string): string | undefined {
  const base = invalidModelNameReason(name);
  if (base !== undefined) return base;
  if (PY_KEYWORDS.has(name)) return `${name} is a Python keyword, so it cannot name the PyTorch class`;
  if (name.startsWith('__')) return 'names starting with __ are reserved by Python';
  if (/^(_?lstmc|Lstmc|LSTMC)/.test(name)) return 'names starting with lstmc are reserved for the generated module';
  if (PY_BUILTINS.has(name)) return `the PyTorch class ${name} would shadow the Python builtin ${name}`;
  if (PY_MODULES.has(name)) return `a module ${name}.py would shadow the Python module ${name} when it runs`;
  if (loadSupport().names.has(name) || name === 'nn') {
    return `the PyTorch class ${name} would shadow the name ${name} of the generated module (its layer classes and helpers)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

function located(span: Span | undefined, fallback: Span): Span {
  return span ?? fallback;
}

/** The model's name on the first line of its span when the source shows it there, else the span. */
function nameSpan(model: IRModel, source: string): Span {
  const sp = model.span;
  const line = source.split('\n')[sp.line - 1];
  if (line !== undefined && model.name !== '') {
    const col = line.indexOf(model.name, Math.max(0, sp.column - 1));
    if (col >= 0)
      return {
        file: sp.file,
        line: sp.line,
        column: col + 1,
        endLine: sp.line,
        endColumn: col + 1 + model.name.length,
      };
  }
  return sp;
}

/**
 * A layer (or a wrapped layer) the PyTorch target cannot lower. Message: `Layer "x" is not supported by
 * target pytorch.`, under LSTM2021 (the table's "not supported" code).
 */
function unsupportedLayer(type: string, span: Span, model: IRModel): Diagnostic {
  const d = makeDiagnostic(Diagnostics.UnsupportedLayer, span, { name: type });
  d.message = `Layer "${type}" is not supported by target ${PYTORCH_TARGET}.`;
  d.hint = `The layer table has no PyTorch lowering for ${type} yet; compile model ${model.name} with --target typescript, or train it with \`lstmc train\`.`;
  return d;
}

/** Every diagnostic the PyTorch target gives for a model (name rules, unsupported layers), before any build. */
export function pytorchDiagnostics(model: IRModel, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reason = invalidPythonModelNameReason(model.name);
  if (reason !== undefined)
    out.push(makeDiagnostic(Diagnostics.InvalidModelName, nameSpan(model, source), { name: model.name, reason }));
  for (const node of model.nodes) {
    const visit = (inst: LayerInstance | undefined, layer: IRLayer | undefined): void => {
      if (inst === undefined) return;
      if (inst.def.lower.pytorch === undefined)
        out.push(unsupportedLayer(inst.def.name, located(layer?.span, model.span), model));
      else if (layer?.args['stateful'] === true)
        out.push(
          makeDiagnostic(Diagnostics.StatefulTarget, located(layer.argSpans['stateful'] ?? layer.span, model.span), {
            name: node.name,
            target: PYTORCH_TARGET,
          }),
        );
      visit(inst.inner, layer?.inner);
    };
    visit(instanceOf(node), node);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The model section

function refKey(r: ValueRef): string {
  return `${r.node}\u0000${r.index}`;
}

/** Input shapes of a node (batch excluded): the IR's, or from the values it reads. */
function inputShapesOf(model: IRModel, node: IRNode): Shape[] {
  if (node.inputShapes.length === node.inputs.length && node.inputs.length > 0) return node.inputShapes;
  const inputs = new Map(model.inputs.map((i) => [i.name, i.shape]));
  const nodes = new Map(model.nodes.map((n) => [n.name, n]));
  return node.inputs.map((r) => inputs.get(r.node) ?? nodes.get(r.node)?.outputShapes[r.index] ?? []);
}

/** The inner layer name TF.js gave a wrapper's inner layer in the topology (when the spec names none). */
function innerNameInTopology(modelJson: TfjsModelJson | undefined, layerName: string): string | undefined {
  const topo = modelJson?.modelTopology as { config?: { layers?: unknown } } | undefined;
  const layers = topo?.config?.layers;
  if (!Array.isArray(layers)) return undefined;
  for (const l of layers as { config?: { name?: unknown; layer?: { config?: { name?: unknown } } } }[]) {
    if (l?.config?.name === layerName) {
      const inner = l.config.layer?.config?.name;
      return typeof inner === 'string' ? inner : undefined;
    }
  }
  return undefined;
}

interface Call {
  className: string;
  kwargs: [string, string][];
  inner?: Call;
}

function layerCall(
  inst: LayerInstance,
  name: string | undefined,
  inputShapes: readonly Shape[],
  outputShape: Shape | undefined,
  modelJson: TfjsModelJson | undefined,
  nodeName: string,
): Call {
  const lowering = inst.def.lower.pytorch;
  if (lowering === undefined) throw new Error(`layer ${inst.def.name} has no PyTorch lowering`);
  const { classes } = loadSupport();
  if (!PY_IDENT.test(lowering.className) || !classes.has(lowering.className)) {
    throw new Error(
      `the PyTorch lowering of ${inst.def.name} names class ${JSON.stringify(lowering.className)}, which emit/pytorch/support.py does not define`,
    );
  }
  const shapes = inputShapes.map((s) => toTfShape(s));
  const inputShape = inst.def.inputs.max > 1 ? shapes : (shapes[0] ?? null);
  const kwargs: [string, string][] = [['input_shape', pyValue(inputShape)]];
  if (name !== undefined) kwargs.push(['name', pyStr(name)]);
  const config = lowering.config(inst, inputShapes, outputShape);
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || k === 'name' || k === 'inputShape' || k === 'layer') continue;
    kwargs.push([k, pyValue(v)]);
  }
  const call: Call = { className: lowering.className, kwargs };
  if (inst.inner !== undefined) {
    const innerShapes = lowering.innerInputShapes?.(inst, inputShapes) ?? inputShapes.map((s) => s.slice());
    const given = inst.inner.args.name;
    const innerName = typeof given === 'string' ? given : innerNameInTopology(modelJson, nodeName);
    call.inner = layerCall(inst.inner, innerName, innerShapes, undefined, modelJson, nodeName);
  }
  return call;
}

function printCall(call: Call, indent: string): string {
  const inner = indent + '    ';
  const args = call.inner !== undefined ? [`layer=${printCall(call.inner, inner).trimStart()}`] : [];
  args.push(...call.kwargs.map(([k, v]) => pyKwarg(k, v)));
  const oneLine = `${indent}${call.className}(${args.join(', ')})`;
  if (oneLine.length <= 110 && call.inner === undefined) return oneLine;
  return `${indent}${call.className}(\n${args.map((a) => `${inner}${a},`).join('\n')}\n${indent})`;
}

/** Nodes whose outputs reach a model output (through data inputs or initial states). */
function nodesReachingOutputs(spec: TfModelSpec): Set<string> {
  const byName = new Map(spec.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const stack = spec.outputs.map((r) => r.node);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const node = byName.get(name);
    if (node === undefined) continue;
    seen.add(name);
    for (const r of [...node.inputs, ...(node.initialState ?? [])]) stack.push(r.node);
  }
  return seen;
}

function trainLiteral(model: IRModel, spec: TfModelSpec): string {
  const t = spec.train;
  const def = Object.values(OPTIMIZER_TABLE).find((d) => d.factory === t.optimizer.factory);
  if (def === undefined) throw new Error(`optimizer factory ${t.optimizer.factory} is not in the table`);
  const args = Object.fromEntries(def.params.map((p, i) => [p.name, t.optimizer.args[i] ?? p.default]));
  const es = model.train.earlyStopping;
  const entries: [string, unknown][] = [
    ['loss', t.loss],
    ['metrics', t.metrics],
    ['optimizer', { name: model.train.optimizer.name, factory: t.optimizer.factory, args }],
    ['epochs', t.epochs],
    ['batchSize', t.batchSize],
    ['validationSplit', t.validationSplit],
    ['shuffle', t.shuffle],
    ['clipNorm', t.clipNorm ?? null],
    ['clipValue', t.clipValue ?? null],
    ['earlyStopping', es !== undefined ? { patience: es.patience, monitor: es.monitor, minDelta: es.minDelta } : null],
    ['seed', model.train.seed ?? null],
  ];
  // Per-output losses and weights (compiler/tfspec.ts), read by train.py `lstmc_output_losses`.
  if (t.losses) entries.push(['losses', t.losses], ['outputNames', t.outputNames ?? []]);
  if (t.lossWeights) entries.push(['lossWeights', t.lossWeights]);
  return `{\n${entries.map(([k, v]) => `        ${pyStr(k)}: ${pyValue(v)},`).join('\n')}\n    }`;
}

function modelSection(model: IRModel, spec: TfModelSpec, modelJson: TfjsModelJson | undefined): string {
  const cls = model.name;
  const irNodes = new Map(model.nodes.map((n) => [n.name, n]));
  const lines: string[] = [];
  const w = (s = ''): void => void lines.push(s);

  const inputs = spec.inputs.map((i) => ({ name: i.name, shape: i.shape }));
  const outputs = spec.outputs.map((r, i) => ({ name: r.node, shape: toTfShape(model.outputShapes[i] ?? []) }));
  const reaching = nodesReachingOutputs(spec);

  w(`class ${cls}(LstmcModel):`);
  w(
    `    """The lstmc model ${cls} in PyTorch (a ${spec.kind === 'sequential' ? 'tf.sequential chain' : 'tf.model graph'} in TF.js).`,
  );
  w('');
  w(
    `    forward(*inputs) takes ${spec.inputs.length === 1 ? 'one tensor' : `${spec.inputs.length} tensors, in the order of INPUTS`} (batch first, float32)`,
  );
  w(
    `    and returns ${spec.outputs.length === 1 ? 'one tensor' : `a list of ${spec.outputs.length} tensors`}, as the TF.js model's predict() does.`,
  );
  w(`    ${cls}.from_tfjs(dir) loads a TF.js layers model directory; model.save_tfjs(dir) writes one.`);
  w('    """');
  w('');
  w(`    MODEL_NAME = ${pyStr(model.name)}`);
  w(`    INPUTS = ${pyValue(inputs)}`);
  w(`    OUTPUTS = ${pyValue(outputs)}`);
  w(`    TRAIN = ${trainLiteral(model, spec)}`);
  w(`    REACHES_OUTPUTS = ${spec.nodes.every((n) => reaching.has(n.name)) ? 'True' : 'False'}`);
  w('');
  w('    def __init__(self):');
  w('        super().__init__()');
  w(`        self.layer_names = ${pyValue(spec.nodes.map((n) => n.name))}`);
  w(`        self.output_names = ${pyValue(outputs.map((o) => o.name))}`);
  if (spec.nodes.length === 0) {
    w('        self.layers_ = nn.ModuleList([])');
  } else {
    w('        self.layers_ = nn.ModuleList(');
    w('            [');
    spec.nodes.forEach((node, i) => {
      const ir = irNodes.get(node.name);
      if (ir === undefined) throw new Error(`node ${node.name} of the TfModelSpec is not in the IR`);
      const inst = instanceOf(ir);
      if (inst === undefined) throw new Error(`layer type ${ir.type} of node ${node.name} is not in the layer table`);
      w(`                # ${i}: ${pyStr(node.name)}`);
      const call = layerCall(inst, node.name, inputShapesOf(model, ir), ir.outputShapes[0], modelJson, node.name);
      w(`${printCall(call, '                ')},`);
    });
    w('            ]');
    w('        )');
  }
  w('');

  // forward: one line per layer; values v<i> (a list when the layer has several outputs), masks m<i>.
  const vars = new Map<string, { value: string; mask: string }>();
  spec.inputs.forEach((input, i) => vars.set(refKey({ node: input.name, index: 0 }), { value: `x${i}`, mask: 'None' }));
  const multi = new Set(spec.nodes.filter((n) => n.outputCount > 1).map((n) => n.name));
  const ref = (r: ValueRef): { value: string; mask: string } => {
    const direct = vars.get(refKey(r));
    if (direct !== undefined) return direct;
    const whole = vars.get(refKey({ node: r.node, index: -1 }));
    if (whole === undefined) throw new Error(`reference to undefined value ${r.node}[${r.index}]`);
    return { value: `${whole.value}[${r.index}]`, mask: `${whole.mask}[${r.index}]` };
  };
  w('    def forward(self, *inputs):');
  w(
    `        (${spec.inputs.map((_, i) => `x${i}`).join(', ')}${spec.inputs.length === 1 ? ',' : ''}) = self.check_inputs(inputs)`,
  );
  spec.nodes.forEach((node, i) => {
    const xs = node.inputs.map(ref);
    const x = xs.length === 1 ? xs[0]!.value : `[${xs.map((v) => v.value).join(', ')}]`;
    const allNone = xs.every((v) => v.mask === 'None');
    const mask = allNone ? 'None' : xs.length === 1 ? xs[0]!.mask : `[${xs.map((v) => v.mask).join(', ')}]`;
    const args = [String(i), x];
    if (mask !== 'None') args.push(mask);
    if (node.initialState !== undefined && node.initialState.length > 0) {
      args.push(`initial_state=[${node.initialState.map((r) => ref(r).value).join(', ')}]`);
    }
    if (node.outputCount > 1) args.push(`n=${node.outputCount}`);
    const v = `v${i + 1}`;
    const m = `m${i + 1}`;
    w(`        ${v}, ${m} = self.apply_layer(${args.join(', ')})  # ${pyStr(node.name)}`);
    if (multi.has(node.name)) vars.set(refKey({ node: node.name, index: -1 }), { value: v, mask: m });
    else vars.set(refKey({ node: node.name, index: 0 }), { value: v, mask: m });
  });
  const outs = spec.outputs.map((r) => ref(r).value);
  w(`        return ${outs.length === 1 ? outs[0] : `[${outs.join(', ')}]`}`);
  w('');
  w('');
  if (loadSupport().names.has('__all__')) w(`__all__ += [${pyStr(cls)}, 'LstmcModel', 'lstmc_main']`);
  w(`${cls}.MODEL_JSON = ${modelJson !== undefined ? pyLongStr(JSON.stringify(modelJson), '') : 'None'}`);
  w('');
  w('');
  w("if __name__ == '__main__':");
  w(`    raise SystemExit(lstmc_main(${cls}))`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The module

export function pytorchContentHash(
  source: string,
  params: Record<string, string> | undefined,
  version: string,
): string {
  const canonicalParams = Object.keys(params ?? {})
    .sort()
    .map((k) => [k, params![k]]);
  const { layers, runtime } = loadSupport();
  return createHash('sha256')
    .update(PYTORCH_TARGET)
    .update('\0')
    .update(source)
    .update('\0')
    .update(JSON.stringify(canonicalParams))
    .update('\0')
    .update(version)
    .update('\0')
    .update(layers)
    .update('\0')
    .update(runtime)
    .digest('hex');
}

/** ` --param a=1 --param 'b=x y'`, safe inside a comment (anything unusual goes through pyStr). */
function paramFlags(params: Record<string, string> | undefined): string {
  if (params === undefined) return '';
  const safe = (t: string): string => (/^[A-Za-z0-9_.+=-]+$/.test(t) ? t : pyStr(t));
  return Object.keys(params)
    .sort()
    .map((k) => ` --param ${safe(`${k}=${params[k]!}`)}`)
    .join('');
}

/** Code lines with `# comments` aligned after them, indented by four spaces. */
function aligned(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([code]) => code.length)) + 2;
  return rows.map(([code, comment]) => `    ${comment === '' ? code : `${code.padEnd(width)}# ${comment}`}`);
}

/** Print one model as a Python module. Throws only on internal inconsistencies. */
export function printPytorchModule(
  model: IRModel,
  spec: TfModelSpec,
  options: PytorchEmitOptions,
  modelJson?: TfjsModelJson,
): string {
  const support = loadSupport();
  const cls = model.name;
  const hash = pytorchContentHash(options.source, options.params, options.version);
  const parts: string[] = [];
  parts.push(
    [
      `# Generated by lstmc ${/^[\w.+-]+$/.test(options.version) ? options.version : pyStr(options.version)} from ${pyStr(options.sourcePath)} (model ${cls}). Do not edit.`,
      `# Regenerate with: lstmc compile <spec> -o <this directory> --target pytorch${paramFlags(options.params)} (CI: add --check)`,
      `# lstmc-content-hash: sha256:${hash}`,
    ].join('\n'),
  );
  parts.push(
    [
      `"""The lstmc model ${cls} as a PyTorch module (torch + numpy only).`,
      '',
      ...aligned([
        [`from ${cls} import ${cls}`, ''],
        [`model = ${cls}()`, 'Keras/TF.js initializers'],
        [`model = ${cls}.from_tfjs('runs/${cls}')`, 'or the weights of a TF.js layers model directory'],
        ['y = model(x)', 'what the TF.js model predicts (model.eval() first)'],
        [`model.save_tfjs('out/${cls}')`, 'loads with tf.loadLayersModel and lstmc predict'],
      ]),
      '',
      'Train on the arrays of `lstmc data SPEC --out DATA` (one JSON line per epoch on stdout; RUN gets a',
      'TF.js model + lstmc.json after every epoch, as `lstmc train` writes it):',
      '',
      `    python3 ${cls}.py train --data DATA --out RUN [--epochs N] [--batch-size N] [--resume] [--device cpu|cuda]`,
      `    python3 -m torch.distributed.run --nproc_per_node=2 --redirects 1 --tee 1 ${cls}.py train --data DATA --out RUN`,
      '"""',
    ].join('\n'),
  );
  if (support.futures.length > 0) parts.push(support.futures.join('\n'));
  parts.push('import torch\nfrom torch import nn');
  parts.push(`# ${'='.repeat(93)}\n# Layers: lstmc emit/pytorch/support.py\n# ${'='.repeat(93)}\n\n${support.layers}`);
  parts.push(
    `# ${'='.repeat(93)}\n# Model runtime: lstmc emit/pytorch/train.py\n# ${'='.repeat(93)}\n\n${support.runtime}`,
  );
  parts.push(`# ${'='.repeat(93)}\n# The model\n# ${'='.repeat(93)}\n\n\n${modelSection(model, spec, modelJson)}`);
  return parts.join('\n\n\n').replace(/\n{4,}/g, '\n\n\n');
}

/**
 * Emit PyTorch modules for checked models. Problems (`checkPytorchInputs`) give located diagnostics;
 * when there is any, no module is emitted.
 */
export function emitPytorchModules(inputs: readonly PytorchEmitInput[]): PytorchEmitResult {
  const diagnostics = checkPytorchInputs(inputs);
  if (diagnostics.length > 0) return { modules: [], diagnostics };
  const modules = inputs.map(({ model, options, tfSpec, modelJson }) => ({
    model: model.name,
    fileName: pythonFileName(model.name),
    text: printPytorchModule(model, tfSpec ?? toTfModelSpec(model), options, modelJson),
  }));
  return { modules, diagnostics };
}

/**
 * What stops models from lowering to PyTorch, before anything is built: name problems, layers without
 * a PyTorch lowering, and two models writing the same file (compared case-insensitively).
 */
export function checkPytorchInputs(inputs: readonly Pick<PytorchEmitInput, 'model' | 'options'>[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const taken = new Map<string, IRModel>();
  for (const { model, options } of inputs) {
    const ds = pytorchDiagnostics(model, options.source);
    diagnostics.push(...ds);
    if (ds.length > 0) continue;
    const fileName = pythonFileName(model.name);
    const other = taken.get(fileName.toLowerCase());
    if (other !== undefined) {
      diagnostics.push(
        makeDiagnostic(
          Diagnostics.InvalidModelName,
          nameSpan(model, options.source),
          {
            name: model.name,
            reason: `its module ${fileName} would overwrite the module of model ${other.name} (${other.file}:${other.span.line}); file names are compared case-insensitively`,
          },
          other.name === model.name
            ? 'Compile one spelling of a model into one output directory (e.g. only specs/*.lstm, not also the YAML twins).'
            : 'Rename one of the models, or compile them into different output directories.',
        ),
      );
      continue;
    }
    taken.set(fileName.toLowerCase(), model);
  }
  return diagnostics;
}
