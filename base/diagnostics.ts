/**
 * Diagnostics as data (after the TypeScript compiler's diagnosticMessages.json): one table of stable
 * codes, severities and message templates. Phases never throw on bad user input; they push
 * `Diagnostic`s into a `DiagnosticBag` and return what they could build.
 *
 * Codes are stable: never renumber, never reuse a retired code. Ranges:
 *   LSTM1xxx syntax (lexing, parsing, YAML structure)
 *   LSTM2xxx names and arguments
 *   LSTM3xxx shapes
 *   LSTM4xxx training and data configuration
 *   LSTM5xxx import (`lstmc import`: Keras / TF.js model files; 5001-5049 the converter, 5050-5069 weights)
 *   LSTM9xxx internal / usage (never a user-input problem)
 *
 * Templates use `{name}` placeholders filled from the `args` object given to `diag()`.
 */
import type { Span } from './span.js';

export type Severity = 'error' | 'warning' | 'info';

export interface DiagnosticDef {
  code: string;
  severity: Severity;
  message: string;
  /** A default hint template, used unless the caller passes its own. */
  hint?: string;
  /** One line for docs / `--explain`. */
  doc: string;
}

function d(code: string, severity: Severity, message: string, doc: string, hint?: string): DiagnosticDef {
  return hint === undefined ? { code, severity, message, doc } : { code, severity, message, doc, hint };
}

export const Diagnostics = {
  // ---- 1xxx syntax ----
  UnexpectedToken: d(
    'LSTM1001',
    'error',
    'Unexpected {found}; expected {expected}.',
    'The parser met a token it did not expect.',
  ),
  UnterminatedString: d(
    'LSTM1002',
    'error',
    'Unterminated string literal.',
    'A string opened with " is not closed on the same line.',
    'Close the string with a matching ".',
  ),
  InvalidCharacter: d('LSTM1003', 'error', 'Invalid character {char}.', 'A character that cannot start any token.'),
  NestingTooDeep: d(
    'LSTM1004',
    'error',
    'Nesting is too deep (more than {max} levels).',
    'Brackets or nested calls nest deeper than the parser accepts.',
  ),
  NoModel: d(
    'LSTM1005',
    'error',
    'The file defines no model.',
    'A spec file must contain at least one model.',
    'Add a block `model Name { input x: [T, 1] ... }`.',
  ),
  InvalidNumber: d(
    'LSTM1006',
    'error',
    'Number {raw} is not representable: {reason}.',
    'A numeric literal overflows, or is otherwise not a finite number.',
  ),
  BinaryFile: d(
    'LSTM1007',
    'error',
    'The file is not text (it contains {what}).',
    'The input looks binary or is not valid UTF-8.',
  ),
  InvalidEscape: d(
    'LSTM1008',
    'error',
    'Invalid escape sequence {seq} in a string.',
    'A backslash in a string starts no known escape (\\" \\\\ \\n \\t \\r \\u{hex}).',
    'Write \\\\ for a literal backslash.',
  ),
  YamlSyntax: d('LSTM1010', 'error', 'YAML: {message}', 'The YAML parser rejected the document.'),
  YamlDuplicateKey: d(
    'LSTM1011',
    'error',
    'Duplicate key "{key}".',
    'A YAML mapping repeats a key; YAML would silently keep only one.',
    'Remove or rename one of the two keys.',
  ),
  YamlAlias: d(
    'LSTM1012',
    'error',
    'YAML aliases and anchors are not allowed in specs.',
    'Aliases (`*a`) can expand exponentially ("billion laughs"); specs must spell values out.',
  ),
  YamlStructure: d(
    'LSTM1013',
    'error',
    '{message}',
    'A YAML document does not have the shape of a spec (e.g. `layers` is not a list).',
  ),
  YamlUnknownKey: d(
    'LSTM1014',
    'error',
    'Unknown key "{key}" in {where}.',
    'A YAML mapping has a key the spec format does not define.',
    '{hint}',
  ),

  // ---- 2xxx names and arguments ----
  UnknownLayer: d('LSTM2001', 'error', 'Unknown layer "{name}".', 'The layer name is not in the layer table.'),
  UnknownArgument: d(
    'LSTM2002',
    'error',
    '{what} {layer} has no argument "{name}".',
    "The argument name is not in the layer's (or optimizer's) schema.",
  ),
  ArgumentType: d(
    'LSTM2003',
    'error',
    'Argument "{name}" of {layer} must be {expected}, got {got}.',
    'The argument value has the wrong type.',
  ),
  ArgumentRange: d(
    'LSTM2004',
    'error',
    'Argument "{name}" of {layer} must be {range}, got {got}.',
    'The argument value is outside its allowed range.',
  ),
  MissingArgument: d('LSTM2005', 'error', '{layer} needs argument "{name}".', 'A required argument is missing.'),
  DuplicateArgument: d(
    'LSTM2006',
    'error',
    'Argument "{name}" is given twice.',
    'The same argument appears more than once (perhaps once positionally and once by name).',
  ),
  TooManyPositional: d(
    'LSTM2007',
    'error',
    '{layer} takes {max} positional argument(s), got {got}.',
    'Too many positional arguments; all but the main argument(s) must be named.',
  ),
  UndefinedName: d(
    'LSTM2008',
    'error',
    'Undefined name "{name}".',
    'A graph step reads a value that no `input` or `let` defines.',
  ),
  DuplicateName: d(
    'LSTM2009',
    'error',
    '"{name}" is already defined.',
    'An input, let or param name is defined twice in one model.',
  ),
  UndefinedParam: d(
    'LSTM2010',
    'error',
    'Unknown parameter "{name}".',
    'A `--param` override or `$name` reference names no declared param.',
  ),
  UnknownEnumValue: d(
    'LSTM2011',
    'error',
    '"{value}" is not a valid {what}.',
    'An enumerated value (activation, mergeMode, padding, ...) is not recognised.',
  ),
  NoInput: d(
    'LSTM2012',
    'error',
    'Model {model} has no input.',
    'A model must declare at least one `input`.',
    'Declare one, e.g. `input x: [T, 1]`.',
  ),
  Cycle: d('LSTM2013', 'error', 'Cycle in the graph: {path}.', 'Graph steps depend on each other in a loop.'),
  DuplicateModel: d('LSTM2014', 'error', 'Model "{name}" is defined twice.', 'Two models in one file share a name.'),
  NotAWrapper: d(
    'LSTM2015',
    'error',
    '{layer} cannot wrap {inner}.',
    'The wrapper cannot wrap that layer (e.g. bidirectional needs a recurrent layer).',
  ),
  UnusedValue: d(
    'LSTM2016',
    'warning',
    'Value "{name}" is never used.',
    'A `let` value feeds no layer and is not an output.',
  ),
  DestructureCount: d(
    'LSTM2017',
    'error',
    'Destructuring {want} name(s) from a step with {got} output(s).',
    "The number of names in `let [a, b, ...]` does not match the layer's outputs.",
  ),
  ParamValue: d(
    'LSTM2018',
    'error',
    'Invalid value for parameter "{name}": {reason}.',
    "A param's value or its `--param` override is not a literal of a usable type.",
  ),
  InvalidModelName: d(
    'LSTM2019',
    'error',
    'Invalid name "{name}": {reason}.',
    'Model and layer names must be identifiers the generated code can use.',
  ),
  EmptyModel: d('LSTM2020', 'error', 'Model {model} has no layers.', 'A model must contain at least one layer.'),
  UnsupportedLayer: d(
    'LSTM2021',
    'error',
    'Layer "{name}" is not supported by lstmc yet.',
    'A Keras / TF.js layer that lstmc does not implement (yet).',
  ),

  // issue 11, stateful layers (LSTM2045-2049 reserved)
  StatefulTarget: d(
    'LSTM2045',
    'error',
    'Layer {name} is stateful; target {target} does not support stateful layers.',
    'The PyTorch target (compile --target pytorch, train --engine torch) refuses stateful recurrent layers.',
    'Compile with --target typescript, or train with the tfjs engine (`lstmc train` without --engine torch).',
  ),

  // ---- 3xxx shapes ----
  RankMismatch: d(
    'LSTM3001',
    'error',
    '{layer} expects a {expected} input {expectedShape}, but its input has shape {got}.',
    'A layer receives an input of the wrong rank.',
  ),
  DimMismatch: d(
    'LSTM3002',
    'error',
    '{what}: dimension {dim} differs ({a} vs {b}).',
    'Two shapes that must agree do not.',
  ),
  AssertionFailed: d(
    'LSTM3003',
    'error',
    'Declared shape {declared} does not match inferred shape {inferred}.',
    'A typed `let name: [dims]` assertion does not hold.',
  ),
  InitialStateMismatch: d(
    'LSTM3004',
    'error',
    '{message}',
    'The `initialState` of a recurrent layer does not match its units or count of states.',
  ),
  NonPositiveDim: d(
    'LSTM3005',
    'error',
    '{layer} would produce a non-positive dimension ({dim}) from input {input}.',
    'A conv or pooling window is larger than its input.',
  ),
  ReshapeCount: d(
    'LSTM3006',
    'error',
    'Cannot reshape {from} ({fromCount} elements) to {to} ({toCount} elements).',
    'Reshape must keep the number of elements.',
  ),
  UndefinedDim: d(
    'LSTM3007',
    'error',
    '{layer} needs a known {which} dimension, but its input has shape {got}.',
    'A layer needs a concrete dimension (e.g. Dense needs a known last dimension to size its kernel).',
  ),
  InvalidInputDim: d(
    'LSTM3008',
    'error',
    'Invalid dimension {dim}: {reason}.',
    'An input dimension must be a positive integer, a param, a symbol or `?`.',
  ),
  SymbolMismatch: d(
    'LSTM3009',
    'error',
    '{what}: dimensions {a} and {b} are not provably equal.',
    'Two symbolic dimensions with different names cannot be shown to agree.',
  ),
  InvalidPermutation: d(
    'LSTM3010',
    'error',
    'Invalid permutation {dims} for an input of rank {rank}.',
    'permute dims must be a permutation of 1..rank.',
  ),
  MultiOutputAsSingle: d(
    'LSTM3011',
    'error',
    '{layer} returns {count} outputs (returnState: true) but is used as a single value.',
    'Destructure the outputs with `let [out, h, c] = ...`.',
  ),
  AxisOutOfRange: d(
    'LSTM3012',
    'error',
    'Axis {axis} is out of range for shape {shape}.',
    'An axis argument does not name a dimension of the input.',
  ),
  InputCount: d(
    'LSTM3013',
    'error',
    '{layer} takes {expected} input(s), got {got}.',
    'A layer is fed the wrong number of inputs.',
  ),
  OutputIsNotTensor: d(
    'LSTM3014',
    'error',
    'Output "{name}" is not a single tensor.',
    'An output name refers to something that is not a tensor.',
  ),

  // issue 11, attention layers (LSTM3025-3029 reserved)
  AttentionFeatureMismatch: d(
    'LSTM3025',
    'error',
    '{layer}: {what} has {a} features but {other} has {b}.',
    "An attention layer compares the query with the key feature by feature (and additiveAttention scales the key's features by one weight per value feature), so those last dimensions must be equal.",
  ),
  AttentionLengthMismatch: d(
    'LSTM3026',
    'error',
    '{layer}: the value has {a} timesteps but the key has {b}.',
    'Every key step scores one value step, so the value and the key must have the same number of timesteps.',
    'Feed the key and the value from the same sequence, or give both the same length.',
  ),

  // issue 11, masks (LSTM3020-3024 reserved)
  MaskDropped: d(
    'LSTM3020',
    'warning',
    'The mask made by {source} stops at {layer}: {layer} does not support masks, so masked steps count as data from here on.',
    'A mask (from masking or embedding with maskZero) reaches a layer that does not support masks (flatten, reshape, convolutions, pooling): TF.js drops it there, and Keras 3 warns the same.',
  ),
  MaskedLoss: d(
    'LSTM3021',
    'warning',
    'Output {output} carries the mask made by {source}, but TF.js does not mask the loss: masked steps count in the loss and the metrics.',
    'Keras 2 leaves masked steps out of the loss of a masked output; TF.js 4.22 does not, so training on padded sequences also fits the padding.',
  ),
  MaskMerged: d(
    'LSTM3022',
    'error',
    'Layer {merge} receives the mask made by {source}, and {reader} reads the mask it passes on, which TF.js 4.22 computes wrongly.',
    "TF.js 4.22's add, multiply and average compute a mis-shaped mask (the first input's only): a layer that reads it fails or skips the wrong steps.",
  ),
  MaskRefused: d(
    'LSTM3023',
    'error',
    'Layer {layer} receives the mask made by {source}: {reason}.',
    'TF.js 4.22 fails on a mask at this layer at run time.',
  ),
  MaskReversed: d(
    'LSTM3024',
    'warning',
    'The mask {reader} reads does not line up with its input: {reverser} returns its sequence reversed (goBackwards) but passes the mask made by {source} on unreversed.',
    'A recurrent layer with goBackwards and returnSequences returns the steps in reverse order while the mask it passes on keeps the original order (TF.js and Keras), so a layer that reads the mask skips the wrong steps.',
  ),

  // issue 11, declared batch sizes and stateful layers (LSTM3035-3039 reserved)
  StatefulWithoutBatch: d(
    'LSTM3035',
    'error',
    'Layer {name} is stateful, but input {input} declares no batch size.',
    'A stateful recurrent layer keeps one state per sample of a fixed batch: the model input must declare it.',
  ),
  InputBatchMismatch: d(
    'LSTM3036',
    'error',
    'Input {name} declares batch {batch}, but input {other} declares batch {otherBatch}.',
    'Every input of a model is fed the same batch of samples, so declared batch sizes must agree.',
    'Declare the same batch on every input.',
  ),
  InvalidBatch: d(
    'LSTM3037',
    'error',
    'Invalid batch size {value} for input {name}: {reason}.',
    'A declared batch size is a positive whole number or a param holding one.',
  ),
  ConvRecurrentInitialState: d(
    'LSTM3030',
    'error',
    '{layer} cannot start from given states: TF.js 4.22 builds a convolutional LSTM with initialState with wrong shapes.',
    'TF.js 4.22 (ConvRNN2D) mis-computes the output shapes of convLstm2d when it is given initial states (also inside bidirectional), so the model would not build; lstmc refuses it.',
    'Leave initialState out: the layer starts from zero states.',
  ),

  // issue 11, GRU resetAfter and conv1d causal padding (LSTM3040-3044 reserved)
  CausalPaddingNot1d: d(
    'LSTM3040',
    'error',
    '{layer} has no causal padding: `padding: causal` is for conv1d only.',
    'Causal padding (zeros before the first step only) is defined for 1-D convolutions over time, as in Keras; 2-D and 3-D convolutions and pooling layers pad valid or same.',
    'Use padding: valid or same; for a causal convolution over time use conv1d(..., padding: causal).',
  ),

  // ---- 4xxx training and data ----
  UnknownLoss: d('LSTM4001', 'error', 'Unknown loss "{name}".', 'The loss is not one TensorFlow.js knows.'),
  UnknownOptimizer: d(
    'LSTM4002',
    'error',
    'Unknown optimizer "{name}".',
    'The optimizer is not one TensorFlow.js knows.',
  ),
  UnknownMetric: d('LSTM4003', 'error', 'Unknown metric "{name}".', 'The metric is not one TensorFlow.js knows.'),
  UnknownTrainKey: d(
    'LSTM4004',
    'error',
    'Unknown key "{key}" in the {block} block.',
    'A key in `train { }` / `data { }` is not recognised.',
  ),
  TrainValue: d(
    'LSTM4005',
    'error',
    '"{key}" must be {expected}, got {got}.',
    'A training or data setting has a value of the wrong type or range.',
  ),
  LossActivation: d(
    'LSTM4006',
    'warning',
    '{loss} expects {expected}, but the output layer {layer} uses activation "{activation}".',
    'The loss and the output activation do not fit together.',
  ),
  TargetShape: d(
    'LSTM4007',
    'error',
    'The data block gives targets of shape {target}, but the model output has shape {output}.',
    'The declared target shape does not match the model output.',
  ),
  DataConfig: d('LSTM4008', 'error', '{message}', 'The data block is invalid.'),
  ClipBoth: d(
    'LSTM4009',
    'warning',
    'Both clipNorm and clipValue are set: gradients are clipped by norm first, then by value.',
    'Setting both gradient clipping options is rarely intended.',
  ),
  DataInputShape: d(
    'LSTM4011',
    'error',
    'The data block gives inputs of shape {data}, but input {name} has shape {input}.',
    'The examples the data block produces do not fit the model input.',
  ),
  DataFileMissing: d(
    'LSTM4020',
    'warning',
    'The {source} file "{path}" does not exist.',
    "A data block names a file that is not there (relative paths are resolved against the spec file's directory); `lstmc train` would stop at it.",
    'Looked for {absolute}.',
  ),

  // ---- 5xxx import (lstmc import; the position is in the imported JSON file) ----
  ImportJson: d(
    'LSTM5001',
    'error',
    'The file is not valid JSON: {message}.',
    'The imported file does not parse as JSON.',
  ),
  ImportTooLarge: d(
    'LSTM5002',
    'error',
    'The file is {size} bytes; lstmc import reads at most {max} bytes.',
    'A model topology is small; a file this large is almost certainly not one (weights live in .bin files).',
  ),
  ImportFormat: d(
    'LSTM5003',
    'error',
    'The file is not a Keras or TF.js model: {message}.',
    'The JSON is neither a TF.js model.json, a Keras 2 `to_json()` nor a Keras 3 model config.',
    '`lstmc import` reads a TF.js model.json (format layers-model) or the JSON of a Keras `model.to_json()`.',
  ),
  ImportMissingField: d(
    'LSTM5004',
    'error',
    'Missing or invalid "{field}" in {where}.',
    'A field the model format requires is absent or has the wrong type.',
  ),
  ImportUnknownClass: d(
    'LSTM5005',
    'error',
    'Layer "{layer}" has class "{className}", which is no Keras layer lstmc knows.',
    'The layer class is neither a Keras layer in the layer table nor a known unsupported one (a custom layer?).',
    '`lstmc import` takes the Keras layers of the layer table (docs/layers.md).',
  ),
  ImportUnsupportedLayer: d(
    'LSTM5006',
    'error',
    'Layer "{layer}" ({className}) cannot be imported: {reason}',
    'A Keras layer lstmc has no equivalent for (Lambda, a layer not in the table, a shared layer).',
  ),
  ImportUnsupportedConfig: d(
    'LSTM5007',
    'error',
    'Layer "{layer}" ({className}) sets {key} = {value}, which lstmc cannot express.',
    'A layer setting (a regularizer, a constraint, an unknown key with a non-default value, a parametrised initializer) has no lstmc spelling.',
    '{hint}',
  ),
  ImportValue: d(
    'LSTM5008',
    'error',
    'Layer "{layer}" ({className}): {key} must be {expected}, got {got}.',
    'A layer setting has a value of the wrong type or range for the lstmc argument it maps to.',
  ),
  ImportDtype: d(
    'LSTM5009',
    'error',
    '"{layer}" computes in {dtype}; lstmc models compute in float32.',
    'A layer or input declares a dtype other than float32 (or int32 for embedding inputs).',
  ),
  ImportHardSigmoid: d(
    'LSTM5010',
    'error',
    'Layer "{layer}" ({className}) uses the Keras 3 {key} hard_sigmoid (x/6 + 1/2), which lstmc cannot express.',
    "Keras 3's hard_sigmoid is relu6(x + 3) / 6; lstmc's hardSigmoid is Keras 2's and TF.js's 0.2x + 1/2.",
    'Retrain with activation sigmoid, or keep the model in Keras.',
  ),
  ImportGraph: d(
    'LSTM5011',
    'error',
    'Layer "{layer}": {message}.',
    'The layer graph is broken: a cycle, a reference to a layer that does not exist, an output nothing produces.',
  ),
  ImportMask: d(
    'LSTM5012',
    'error',
    'Layer "{layer}" ({className}) is called with {what}, which lstmc cannot express.',
    'A layer call passes an explicit mask, constants or a training flag, or reads state lstmc does not model.',
  ),
  // 5050-5069: lstmc import --weights (runtime/import-weights.ts)
  ImportNoWeights: d(
    'LSTM5050',
    'error',
    'The file has no weights: {why}.',
    '`lstmc import --weights` needs a TF.js model.json with a weights manifest; a Keras `to_json()` holds the architecture only.',
    'Convert the saved Keras model (.h5 or .keras) with `tensorflowjs_converter --input_format keras MODEL.h5 OUTDIR` and import OUTDIR/model.json, or import without --weights.',
  ),
  ImportWeightsFile: d(
    'LSTM5051',
    'error',
    'Cannot read the weights in "{path}": {reason}.',
    'A weights file the manifest names is missing, unreadable, shorter than the manifest says, or holds a dtype lstmc cannot load.',
  ),
  ImportWeightShape: d(
    'LSTM5052',
    'error',
    'Weight "{weight}" of layer "{layer}" has shape {got} in the file; the imported layer "{target}" needs {expected}.',
    'A weight in the file does not fit the layer of the imported spec it belongs to (nothing is written).',
    'The spec and the weights must describe the same model: import the spec from this same model.json.',
  ),
  ImportWeightsLayers: d(
    'LSTM5053',
    'error',
    'The weights do not fit the imported model: {message}.',
    'The layers with weights in the file and in the imported spec do not pair up (a different count, a weight of no layer, a different number of weights in a layer).',
  ),
  ImportRunDir: d(
    'LSTM5054',
    'error',
    'Cannot write the run directory {dir}: {reason}.',
    '`--weights DIR` writes a new run directory; it never replaces other files, and replaces a run only with --force.',
  ),
  ImportWeightsDiffer: d(
    'LSTM5055',
    'error',
    'The imported model computes other outputs than the original: max |difference| {diff} on {what}.',
    'After assigning the weights, lstmc runs the imported model and tfjs loading the original file on the same inputs; they must agree (nothing is written otherwise).',
    'This is a bug in lstmc import; please report it with the model.json.',
  ),

  // issue 11, declared batch sizes in training (LSTM4030-4034 reserved)
  TrainBatchMismatch: d(
    'LSTM4030',
    'error',
    'Training uses batches of {batchSize} (`batchSize`), but input {input} declares batch {batch}.',
    'A model whose input declares a batch size trains on batches of exactly that size.',
    'Remove `batchSize` (it defaults to the declared batch) or set it to {batch}.',
  ),
  StatefulShuffle: d(
    'LSTM4031',
    'warning',
    'Layer {name} is stateful, but training shuffles the samples: each batch would continue states left by unrelated samples.',
    'Stateful layers carry states from one batch to the next, which only means something when the samples stay in order.',
    'Remove `shuffle: true` (stateful models default to shuffle: false).',
  ),
  LossOutputCount: d(
    'LSTM4040',
    'error',
    '`{key}` gives {got} value(s), but model {model} has {outputs} output(s).',
    'A per-output loss or loss weight list needs exactly one entry per model output, in output order.',
  ),
  LossUnknownOutput: d(
    'LSTM4041',
    'error',
    '`{key}` names output "{name}", but model {model} has no output of that name.',
    'A per-output loss or weight map is keyed by the output names (`output a, b`).',
  ),
  LossMissingOutput: d(
    'LSTM4042',
    'error',
    '`{key}` has no entry for output "{name}".',
    'A per-output loss or weight map needs an entry for every model output.',
  ),
  DataMultiOutput: d(
    'LSTM4043',
    'error',
    'The data block gives one target per example, but model {model} has {outputs} outputs.',
    'No data source produces targets for several outputs; train such a model through the compiled module or the runtime API with arrays.',
  ),

  // ---- 9xxx internal / usage ----
  Internal: d(
    'LSTM9001',
    'error',
    'Internal error: {message}',
    'A bug in lstmc. Please report it with the spec that triggers it.',
  ),
  FileRead: d('LSTM9002', 'error', 'Cannot read {path}: {reason}.', 'The file could not be read.'),
} as const satisfies Record<string, DiagnosticDef>;

export type DiagnosticKey = keyof typeof Diagnostics;

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  hint?: string;
  /**
   * The hint as edits a tool can apply (editors offer them as quick fixes); absent when the hint is
   * advice only. Not part of the `check --format json` contract.
   */
  fixes?: DiagnosticFix[];
}

/**
 * One text edit of a fix. Replaces `span` with `newText`; when `oldText` is given, replaces only the
 * first occurrence of `oldText` inside `span` (so that quotes, a `$` or the rest of a list around the
 * word stay as written). An empty span (endColumn === column) inserts.
 */
export interface FixEdit {
  span: Span;
  newText: string;
  oldText?: string;
}

/** A machine-applicable form of a hint: a title for the menu and the edits. */
export interface DiagnosticFix {
  title: string;
  edits: FixEdit[];
}

/** The fix that replaces one word (`oldText`) inside `span` by `newText`. */
export function replaceFix(span: Span, oldText: string, newText: string, title?: string): DiagnosticFix {
  return { title: title ?? `Change "${oldText}" to "${newText}"`, edits: [{ span, oldText, newText }] };
}

export function format(template: string, args: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
}

export function makeDiagnostic(
  def: DiagnosticDef,
  span: Span,
  args: Record<string, unknown> = {},
  hint?: string,
  fixes?: DiagnosticFix[],
): Diagnostic {
  const diag: Diagnostic = {
    file: span.file,
    line: span.line,
    column: span.column,
    endLine: span.endLine,
    endColumn: span.endColumn,
    severity: def.severity,
    code: def.code,
    message: format(def.message, args),
  };
  const h = hint ?? (def.hint !== undefined ? format(def.hint, args) : undefined);
  if (h !== undefined && h !== '' && h !== '{hint}') diag.hint = h;
  if (fixes !== undefined && fixes.length > 0) diag.fixes = fixes;
  return diag;
}

/** Collects diagnostics for one phase/file. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  add(
    def: DiagnosticDef,
    span: Span,
    args: Record<string, unknown> = {},
    hint?: string,
    fixes?: DiagnosticFix[],
  ): Diagnostic {
    const dg = makeDiagnostic(def, span, args, hint, fixes);
    this.items.push(dg);
    return dg;
  }
  push(...ds: Diagnostic[]): void {
    this.items.push(...ds);
  }
  get errorCount(): number {
    return this.items.filter((x) => x.severity === 'error').length;
  }
  get hasErrors(): boolean {
    return this.items.some((x) => x.severity === 'error');
  }
}

/** Sort by file, position, then code: the order every output format uses. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code),
  );
}
