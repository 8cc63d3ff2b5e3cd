/**
 * `lstmc data SPEC --out DIR [--param k=v] [--model NAME] [--samples N] [--force]`
 *
 * Materialises a spec's `data { }` block as NumPy arrays, exactly the arrays `lstmc train` trains and
 * evaluates on (the runtime's `loadData` with the same options, and the same data/model shape check):
 *
 *   DIR/train_x.npy  DIR/train_y.npy  DIR/test_x.npy  DIR/test_y.npy   float32, C order, .npy 1.0
 *   DIR/meta.json    source and resolved options, shapes, sample counts, alphabet, CSV scaler, the
 *                    train block with every optimizer default explicit, model name, format version
 *
 * A data block without a test split (a short text corpus, a CSV split of 1) gives test arrays of 0 samples.
 * DIR is written atomically (a temporary sibling directory, then a rename: runtime/io.ts
 * `writeDirAtomic`). An existing DIR is replaced only with --force, and only when it is empty or an
 * earlier `lstmc data` export (it has this command's meta.json): --force never deletes anything else.
 *
 * Exit codes: 0 ok; 1 spec errors, data errors (one located line), write failures; 2 usage errors
 * (an existing DIR without --force included). Nothing here imports tfjs or the runtime at startup.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { IRModel } from '../compiler/ir.js';
import type { DataInfo } from '../runtime/data/types.js';
import { checkOneSpec, paramOption } from './check-command.js';
import { UsageError } from './files.js';

/** `meta.json`'s `format` and `version`: bump the version when a field changes meaning. */
export const DATA_FORMAT = 'lstmc-data';
export const DATA_FORMAT_VERSION = 1;

/** The array files of an export, by role. */
export const DATA_FILES = {
  trainX: 'train_x.npy',
  trainY: 'train_y.npy',
  testX: 'test_x.npy',
  testY: 'test_y.npy',
} as const;

interface DataCliOptions {
  out: string;
  model?: string;
  param?: Record<string, string>;
  samples?: number;
  force?: boolean;
}

/** A user-facing failure: one line on stderr, exit code 1. */
class DataCommandFailure extends Error {}

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(v);
}

/** Checks the spec (diagnostics printed, exit 1 on errors) and picks the model, as `lstmc train` does. */
async function checkedModel(input: string, opts: DataCliOptions): Promise<{ model: IRModel; baseDir: string } | null> {
  const checked = await checkOneSpec(input, opts.param !== undefined ? { params: opts.param } : {});
  if (!checked) return null;
  const { file } = checked;
  const models = checked.result.models;
  const names = models.map((m) => m.name).join(', ');
  let model: IRModel | undefined;
  if (opts.model !== undefined) {
    model = models.find((m) => m.name === opts.model);
    if (!model)
      throw new UsageError(
        `no model named "${opts.model}" in ${file.display}${models.length ? ` (models: ${names})` : ''}`,
      );
  } else {
    if (models.length > 1)
      throw new UsageError(`${file.display} defines ${models.length} models (${names}); choose one with --model NAME`);
    model = models[0];
    if (!model) throw new DataCommandFailure(`${file.display} has no model that checks cleanly`);
  }
  return { model, baseDir: file.stdin ? process.cwd() : dirname(file.absolute) };
}

/** Whether `dir` is inside `parent` (or is it). */
function isWithin(dir: string, parent: string): boolean {
  const rel = relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/** Refuses an --out that must not be replaced (usage errors, exit 2). */
function checkOutDir(out: string, display: string, force: boolean, specFile: string): void {
  const abs = resolve(out);
  if (isWithin(process.cwd(), abs))
    throw new UsageError(`--out ${display} is the current directory or one of its parents; choose a new directory`);
  if (specFile !== '' && isWithin(specFile, abs))
    throw new UsageError(`--out ${display} holds the spec file; choose a new directory`);
  if (!existsSync(abs)) return;
  if (!statSync(abs).isDirectory()) throw new UsageError(`--out ${display} exists and is not a directory`);
  const entries = readdirSync(abs);
  if (entries.length === 0) return;
  if (!force) throw new UsageError(`${display} already exists; pass --force to replace it`);
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(join(abs, 'meta.json'), 'utf8'));
  } catch {
    meta = undefined;
  }
  if ((meta as { format?: unknown } | undefined)?.format !== DATA_FORMAT) {
    throw new UsageError(
      `${display} exists and is not an \`lstmc data\` export (no meta.json of format "${DATA_FORMAT}"); --force replaces only those. Choose a new directory`,
    );
  }
}

export function registerDataCommand(program: Command): Command {
  return program
    .command('data')
    .description(
      "write a spec's data block as NumPy arrays (train/test inputs and targets, float32 .npy) plus meta.json",
    )
    .argument('<file>', 'a .lstm or YAML spec; - for stdin')
    .requiredOption('--out <dir>', 'output directory (written atomically)')
    .option('--model <name>', 'the model whose data block to export (when the file has several)')
    .addOption(paramOption())
    .option(
      '--samples <n>',
      'override the number of synthetic training samples (as `lstmc train --samples`)',
      positiveInt,
    )
    .option('--force', 'replace DIR when it holds an earlier export')
    .action(async (input: string, opts: DataCliOptions) => {
      try {
        await exportData(input, opts);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        const err = e as Error & { located?: () => string };
        if (err?.name === 'DataError' && typeof err.located === 'function') {
          process.stderr.write(`lstmc: error: ${err.located()}\n`);
          process.exitCode = 1;
          return;
        }
        if (e instanceof DataCommandFailure) {
          process.stderr.write(`lstmc: error: ${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
    });
}

async function exportData(input: string, opts: DataCliOptions): Promise<void> {
  const c = await checkedModel(input, opts);
  if (!c) return;
  const { model } = c;
  const specFile = input === '-' ? '' : resolve(input);
  const rt = await import('../runtime/index.js');
  const { encodeNpy } = await import('../runtime/npy.js');
  const { OPTIMIZER_TABLE } = await import('../compiler/train.js');

  // The same checks and the same data `lstmc train` loads (runtime/train.ts), in the same order.
  if (!model.data) {
    throw new rt.DataError(
      `model ${model.name} has no data block: add \`data { synthetic: ... }\`, \`data { csv: "file.csv" ... }\` or \`data { text: "corpus.txt" ... }\``,
      undefined,
      undefined,
      model.span,
    );
  }
  // A swap interrupted between its renames leaves DIR.old-*: put it back first, so it counts as existing.
  rt.recoverDir(opts.out);
  checkOutDir(opts.out, opts.out, opts.force === true, specFile);
  const ds = rt.loadData(model.data, {
    baseDir: c.baseDir,
    ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
  });
  const spec = rt.toTfModelSpec(model);
  rt.checkDataShapes(model, spec, ds);

  const { info } = ds;
  const empty = (shape: number[]) => ({ values: new Float32Array(0), shape: [0, ...shape] });
  const test = ds.test ?? { x: empty(info.inputShape), y: empty(info.targetShape) };
  const arrays = { trainX: ds.train.x, trainY: ds.train.y, testX: test.x, testY: test.y };
  const files: Record<string, Uint8Array | string> = {};
  for (const [role, file] of Object.entries(DATA_FILES)) {
    const a = arrays[role as keyof typeof arrays];
    files[file] = encodeNpy(a.values, a.shape);
  }

  const t = spec.train;
  const ir = model.train;
  const params = OPTIMIZER_TABLE[ir.optimizer.name]!.params;
  const nTrain = ds.train.x.shape[0]!;
  // tfjs `fit({ validationSplit })` holds out the LAST samples: floor(n * (1 - split)) train.
  const nValidation = t.validationSplit > 0 ? nTrain - Math.floor(nTrain * (1 - t.validationSplit)) : 0;
  const meta = {
    format: DATA_FORMAT,
    version: DATA_FORMAT_VERSION,
    model: model.name,
    spec: model.file,
    params: model.params,
    source: { kind: info.source, value: info.value, options: info.options, description: info.description },
    input: { name: model.inputs[0]?.name ?? spec.inputs[0]!.name, shape: info.inputShape },
    target: { shape: info.targetShape },
    samples: { train: nTrain, test: test.x.shape[0]!, validation: nValidation },
    files: Object.fromEntries(
      Object.entries(DATA_FILES).map(([role, file]) => [
        role,
        { file, dtype: 'float32', shape: arrays[role as keyof typeof arrays].shape },
      ]),
    ),
    ...(info.alphabet !== undefined ? { alphabet: info.alphabet } : {}),
    ...(info.source === 'csv' ? { scaler: csvScaler(info) } : {}),
    train: {
      loss: t.loss,
      optimizer: {
        name: ir.optimizer.name,
        factory: t.optimizer.factory,
        args: Object.fromEntries(params.map((p, i) => [p.name, t.optimizer.args[i]!])),
      },
      metrics: t.metrics,
      epochs: t.epochs,
      batchSize: t.batchSize,
      validationSplit: t.validationSplit,
      shuffle: t.shuffle,
      clipNorm: t.clipNorm ?? null,
      clipValue: t.clipValue ?? null,
      earlyStopping: ir.earlyStopping ?? null,
      seed: ir.seed ?? null,
    },
  };
  files['meta.json'] = metaJson(meta);

  try {
    rt.writeDirAtomic(opts.out, files);
  } catch (e) {
    throw new DataCommandFailure(`cannot write ${opts.out}: ${(e as Error).message}`);
  }
  const shape = (s: number[]) => `[${s.join(', ')}]`;
  process.stdout.write(
    `${model.name}: ${info.description}: ${nTrain} training and ${test.x.shape[0]} test samples, ` +
      `input ${shape(info.inputShape)} → target ${shape(info.targetShape)}; wrote ${opts.out}\n`,
  );
  process.exitCode = 0;
}

/** Indented JSON with arrays of numbers (shapes) kept on one line. */
function metaJson(meta: unknown): string {
  // Only pretty-printing newlines are matched: JSON strings never hold a raw newline.
  const numbers = /\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g;
  return (
    JSON.stringify(meta, null, 2).replace(numbers, (_, inner: string) => `[${inner.split(/,\n\s*/).join(', ')}]`) + '\n'
  );
}

/**
 * The CSV column and its min-max scaler: scaled = (v − min) / (max − min), a zero range counting as 1
 * (runtime/data/csv.ts `unscale` maps back). `kind: 'none'` when the spec says `scale: none`.
 */
function csvScaler(info: DataInfo): Record<string, unknown> {
  const header = info.options.header;
  return {
    kind: info.scale ? 'minmax' : 'none',
    ...(info.scale ? { min: info.scale.min, max: info.scale.max } : {}),
    column: info.column ?? null,
    // `header` is the spec's option when given; otherwise whether the runtime detected a header row,
    // seen from the column's name (without a header the runtime names columns by their 0-based index).
    header: typeof header === 'boolean' ? header : info.column !== undefined && !/^\d+$/.test(info.column),
  };
}
