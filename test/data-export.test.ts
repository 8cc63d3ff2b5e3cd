/**
 * `lstmc data` and runtime/npy.ts: the .npy writer against numpy's byte layout, the reader, numpy as
 * an oracle (when /usr/bin/python3 has numpy; required in CI), and the CLI's arrays against the
 * runtime's own loader (the arrays `lstmc train` trains on), its meta.json, --force and bad inputs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { loadData, type Dataset } from '../runtime/data/index.js';
import { decodeNpy, encodeNpy, npyHeader, NpyError, readNpyHeader } from '../runtime/npy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const PYTHON = '/usr/bin/python3';
const HAVE_NUMPY = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const CI = Boolean(process.env.CI);
if (!HAVE_NUMPY && !CI)
  process.stderr.write(
    `test/data-export.test.ts: ${PYTHON} with numpy not found; skipping the numpy oracle (it runs in CI)\n`,
  );

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lstmc-data-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lstmc(args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', LSTMC_DEBUG: '' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, text: string): string {
  const full = path.join(dir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return full;
}

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const npy = (file: string) => decodeNpy(new Uint8Array(readFileSync(file)));
const sha256 = (a: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

/** The dataset `lstmc train` would load for `file` (checked in-process, loaded by the runtime). */
function runtimeDataset(file: string, params?: Record<string, string>): Dataset {
  const r = checkSource(readFileSync(file, 'utf8'), file, params ? { params } : {});
  const m = r.models[0]!;
  return loadData(m.data!, { baseDir: path.dirname(file) });
}

function expectExportEquals(out: string, ds: Dataset): void {
  const tx = npy(path.join(out, 'train_x.npy'));
  const ty = npy(path.join(out, 'train_y.npy'));
  expect(tx.shape).toEqual(ds.train.x.shape);
  expect(ty.shape).toEqual(ds.train.y.shape);
  expect(tx.values).toEqual(ds.train.x.values);
  expect(ty.values).toEqual(ds.train.y.values);
  const ex = npy(path.join(out, 'test_x.npy'));
  const ey = npy(path.join(out, 'test_y.npy'));
  if (ds.test) {
    expect(ex.shape).toEqual(ds.test.x.shape);
    expect(ey.shape).toEqual(ds.test.y.shape);
    expect(ex.values).toEqual(ds.test.x.values);
    expect(ey.values).toEqual(ds.test.y.values);
  } else {
    expect(ex.shape).toEqual([0, ...ds.info.inputShape]);
    expect(ey.shape).toEqual([0, ...ds.info.targetShape]);
  }
}

// ------------------------------------------------------------------------------------------------

describe('runtime/npy.ts', () => {
  it('writes the NPY 1.0 byte layout: magic, version, uint16 header length, padded dict, little-endian float32', () => {
    const b = encodeNpy(Float32Array.of(1, 2, 3, 4, 5, -0.5), [2, 3]);
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const headerLength = 128 - 10;
    expect([...b.subarray(0, 10)]).toEqual([
      0x93,
      0x4e,
      0x55,
      0x4d,
      0x50,
      0x59,
      1,
      0,
      headerLength & 0xff,
      headerLength >> 8,
    ]);
    expect(new TextDecoder('latin1').decode(b.subarray(10, 128))).toBe(
      dict + ' '.repeat(headerLength - dict.length - 1) + '\n',
    );
    expect(b.length).toBe(128 + 6 * 4);
    const view = new DataView(b.buffer, b.byteOffset + 128);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getFloat32(i * 4, true))).toEqual([1, 2, 3, 4, 5, -0.5]);
    // 1.0 as little-endian float32
    expect([...b.subarray(128, 132)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it('shape tuples as Python writes them; the data always starts at a multiple of 64 bytes', () => {
    expect(npyHeader([3])).toMatch(/'shape': \(3,\), \}/);
    expect(npyHeader([])).toMatch(/'shape': \(\), \}/);
    expect(npyHeader([0, 4, 1])).toMatch(/'shape': \(0, 4, 1\), \}/);
    for (const shape of [
      [],
      [1],
      [7, 3],
      [123456789, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    ]) {
      const h = npyHeader(shape);
      expect((10 + h.length) % 64).toBe(0);
      expect(h.endsWith('\n')).toBe(true);
      expect(h.slice(0, -1)).toMatch(/\} *$/);
    }
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(NpyError);
    expect(() => npyHeader([2, -1])).toThrow(/invalid dimension -1/);
  });

  it('round trips through the reader, including empty and 0-d arrays', () => {
    const cases: [Float32Array, number[]][] = [
      [Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), [2, 3, 4]],
      [Float32Array.of(Math.PI), []],
      [new Float32Array(0), [0, 5, 1]],
      [Float32Array.of(NaN, Infinity, -Infinity, -0), [4]],
    ];
    for (const [values, shape] of cases) {
      const back = decodeNpy(encodeNpy(values, shape));
      expect(back.shape).toEqual(shape);
      expect(back.values).toEqual(values);
      expect(readNpyHeader(encodeNpy(values, shape))).toMatchObject({
        version: [1, 0],
        descr: '<f4',
        fortranOrder: false,
        shape,
      });
    }
  });

  it('reads other numeric dtypes, big-endian data, Fortran order and format 2.0 (hand-built files)', () => {
    const file = (version: number, dict: string, data: Uint8Array): Uint8Array => {
      const lenBytes = version === 1 ? 2 : 4;
      const pre = 8 + lenBytes;
      const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
      const header = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
      const out = new Uint8Array(total + data.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
      new DataView(out.buffer)[version === 1 ? 'setUint16' : 'setUint32'](8, header.length, true);
      out.set(bytesOf(header), pre);
      out.set(data, total);
      return out;
    };
    const f8 = new Uint8Array(Float64Array.of(1.5, -2.25, 3).buffer);
    expect(decodeNpy(file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8))).toEqual({
      values: Float32Array.of(1.5, -2.25, 3),
      shape: [3],
    });
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 0.75, false);
    new DataView(be.buffer).setFloat32(4, -8, false);
    expect(decodeNpy(file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", be)).values).toEqual(
      Float32Array.of(0.75, -8),
    );
    // [[1, 2, 3], [4, 5, 6]] stored column by column
    const fortran = new Uint8Array(Int32Array.of(1, 4, 2, 5, 3, 6).buffer);
    expect(decodeNpy(file(2, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", fortran))).toEqual({
      values: Float32Array.of(1, 2, 3, 4, 5, 6),
      shape: [2, 3],
    });
    expect(
      decodeNpy(file(1, "{'shape': (3,), 'fortran_order': False, 'descr': '|b1'}", Uint8Array.of(0, 1, 2))).values,
    ).toEqual(Float32Array.of(0, 1, 1));
  });

  it('refuses what it cannot read with a plain message, never unpickling', () => {
    const good = encodeNpy(Float32Array.of(1, 2), [2]);
    expect(() => decodeNpy(bytesOf('PK\u0003\u0004 a zip, not npy'))).toThrow(/not a NumPy \.npy file/);
    const obj = good.slice();
    obj.set(bytesOf("'|O4'"), 10 + "{'descr': ".length);
    expect(() => decodeNpy(obj)).toThrow(/unsupported dtype '\|O4': object arrays \(pickles\) are never loaded/);
    expect(() => decodeNpy(good.subarray(0, good.length - 1))).toThrow(/truncated data/);
    const v9 = good.slice();
    v9[6] = 9;
    expect(() => decodeNpy(v9)).toThrow(/unsupported \.npy format version 9\.0/);
    const evil = good.slice();
    evil.set(bytesOf("{'descr': __import__('os')"), 10);
    expect(() => decodeNpy(evil)).toThrow(NpyError);
  });
});

// ------------------------------------------------------------------------------------------------

const CSV_SPEC = `model Passengers {
  param w = 4
  input x: [w, 1]
  lstm(8)
  dense(2)
  train {
    loss: mse
    optimizer: rmsprop(learningRate: 0.01)
    metrics: [mae]
    epochs: 3
    batchSize: 4
    validationSplit: 0.25
    clipNorm: 1
    seed: 7
    earlyStopping { patience: 2 }
  }
  data { csv: "data/series.csv"  column: passengers  window: w  horizon: 2 }
}
`;
const CORPUS = 'hello world, hello lstm. '.repeat(20);
const VOCAB = new Set(CORPUS).size;
const TEXT_SPEC = `model Chars {
  input x: [8, ${VOCAB}]
  lstm(8)
  dense(${VOCAB}, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam  epochs: 1 }
  data { text: "corpus.txt"  window: 8  step: 2 }
}
`;

function setupCsv(): string {
  write(
    'data/series.csv',
    'month,passengers\n' +
      Array.from({ length: 30 }, (_, i) => `m${i},${100 + ((i * 37) % 23) * 10}`).join('\n') +
      '\n',
  );
  return write('csv.lstm', CSV_SPEC);
}

describe('lstmc data', () => {
  it('specs/vanilla.lstm: the arrays train loads, and a meta.json describing them', () => {
    const spec = path.join(ROOT, 'specs', 'vanilla.lstm');
    const r = lstmc(['data', spec, '--out', 'echo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^VanillaEcho: synthetic echo .*2000 training and 200 test samples, input \[5, 10\] → target \[10\]; wrote echo\n$/,
    );
    const out = path.join(dir, 'echo');
    expect(readdirSync(out).sort()).toEqual(['meta.json', 'test_x.npy', 'test_y.npy', 'train_x.npy', 'train_y.npy']);
    expectExportEquals(out, runtimeDataset(spec));
    const meta = JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'lstmc-data',
      version: 1,
      model: 'VanillaEcho',
      source: {
        kind: 'synthetic',
        value: 'echo',
        options: { samples: 2000, testSamples: 200, seed: 1, length: 5, features: 10, index: 2 },
      },
      input: { name: 'x', shape: [5, 10] },
      target: { shape: [10] },
      samples: { train: 2000, test: 200, validation: 0 },
      files: {
        trainX: { file: 'train_x.npy', dtype: 'float32', shape: [2000, 5, 10] },
        testY: { file: 'test_y.npy', dtype: 'float32', shape: [200, 10] },
      },
      train: {
        loss: 'categoricalCrossentropy',
        optimizer: {
          name: 'adam',
          factory: 'adam',
          args: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
        },
        metrics: ['accuracy'],
        epochs: 500,
        batchSize: 1,
        validationSplit: 0,
        shuffle: true,
        clipNorm: null,
        clipValue: null,
        earlyStopping: null,
        seed: null,
      },
    });
    expect(meta.scaler).toBeUndefined();
    // Nothing left beside the output directory (the temporary directory was renamed).
    expect(readdirSync(dir).filter((f) => f.startsWith('echo.'))).toEqual([]);
  });

  it('a CSV spec: windows and min-max scaling fitted on the training part, the scaler and the train block in meta.json', () => {
    const spec = setupCsv();
    const r = lstmc(['data', 'csv.lstm', '--out', 'csv-out']);
    expect(r.code, r.stderr).toBe(0);
    const ds = runtimeDataset(spec);
    expect(ds.info.scale).toBeDefined();
    expectExportEquals(path.join(dir, 'csv-out'), ds);
    const meta = JSON.parse(readFileSync(path.join(dir, 'csv-out', 'meta.json'), 'utf8'));
    expect(meta.scaler).toEqual({
      kind: 'minmax',
      min: ds.info.scale!.min,
      max: ds.info.scale!.max,
      column: 'passengers',
      header: true,
    });
    expect(meta.source).toMatchObject({
      kind: 'csv',
      value: 'data/series.csv',
      options: { column: 'passengers', window: 4, horizon: 2, scale: 'minmax', split: 0.8 },
    });
    expect(meta.samples).toEqual({ train: 20, test: 5, validation: 5 });
    expect(meta.params).toEqual({ w: 4 });
    expect(meta.train).toEqual({
      loss: 'meanSquaredError',
      optimizer: {
        name: 'rmsprop',
        factory: 'rmsprop',
        args: { learningRate: 0.01, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
      },
      metrics: ['mae'],
      epochs: 3,
      batchSize: 4,
      validationSplit: 0.25,
      shuffle: true,
      clipNorm: 1,
      clipValue: null,
      earlyStopping: { patience: 2, monitor: expect.any(String), minDelta: expect.any(Number) },
      seed: 7,
    });
  });

  it('--param reaches the data block; a split without test data gives 0-sample test arrays', () => {
    const spec = setupCsv();
    const r = lstmc(['data', 'csv.lstm', '--out', 'csv-w6', '--param', 'w=6']);
    expect(r.code, r.stderr).toBe(0);
    expectExportEquals(path.join(dir, 'csv-w6'), runtimeDataset(spec, { w: '6' }));
    expect(npy(path.join(dir, 'csv-w6', 'train_x.npy')).shape).toEqual([18, 6, 1]);

    write('all.lstm', CSV_SPEC.replace('horizon: 2', 'horizon: 2  split: 1'));
    const all = lstmc(['data', 'all.lstm', '--out', 'csv-all']);
    expect(all.code, all.stderr).toBe(0);
    expect(npy(path.join(dir, 'csv-all', 'test_x.npy'))).toEqual({ values: new Float32Array(0), shape: [0, 4, 1] });
    expect(npy(path.join(dir, 'csv-all', 'test_y.npy')).shape).toEqual([0, 2]);
    expect(JSON.parse(readFileSync(path.join(dir, 'csv-all', 'meta.json'), 'utf8')).samples).toMatchObject({
      train: 25,
      test: 0,
    });
  });

  it('a text corpus: the alphabet in meta.json', () => {
    write('corpus.txt', CORPUS);
    const spec = write('text.lstm', TEXT_SPEC);
    const r = lstmc(['data', 'text.lstm', '--out', 'text-out']);
    expect(r.code, r.stderr).toBe(0);
    const ds = runtimeDataset(spec);
    expectExportEquals(path.join(dir, 'text-out'), ds);
    const meta = JSON.parse(readFileSync(path.join(dir, 'text-out', 'meta.json'), 'utf8'));
    expect(meta.alphabet).toBe([...new Set(CORPUS)].sort().join(''));
    expect(meta.input.shape).toEqual([8, VOCAB]);
  });

  it('an existing DIR: refused without --force; --force replaces an earlier export but nothing else', () => {
    const spec = path.join(ROOT, 'specs', 'stacked.lstm');
    expect(lstmc(['data', spec, '--out', 'again', '--samples', '50']).code).toBe(0);
    const first = readFileSync(path.join(dir, 'again', 'train_x.npy'));
    const again = lstmc(['data', spec, '--out', 'again']);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe('lstmc: again already exists; pass --force to replace it\n');
    expect(readFileSync(path.join(dir, 'again', 'train_x.npy'))).toEqual(first);

    const forced = lstmc(['data', spec, '--out', 'again', '--force', '--samples', '60']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(npy(path.join(dir, 'again', 'train_x.npy')).shape).toEqual([60, 50, 1]);
    expect(readdirSync(dir).filter((f) => f.startsWith('again.'))).toEqual([]);

    write('mine/notes.txt', 'keep me');
    const other = lstmc(['data', spec, '--out', 'mine', '--force']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^lstmc: mine exists and is not an `lstmc data` export/);
    expect(readFileSync(path.join(dir, 'mine', 'notes.txt'), 'utf8')).toBe('keep me');
    const here = lstmc(['data', spec, '--out', '.', '--force']);
    expect(here.code).toBe(2);
    expect(here.stderr).toMatch(/current directory/);
    mkdirSync(path.join(dir, 'empty'));
    expect(lstmc(['data', spec, '--out', 'empty', '--samples', '10']).code).toBe(0);
  });

  describe('bad inputs: a located message, a non-zero exit, no stack trace', () => {
    const expectClean = (r: Run, code: number, message: RegExp) => {
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(r.stdout).toBe('');
    };

    it('no data block', () => {
      write('nodata.lstm', 'model M {\n  input x: [4, 1]\n  lstm(4)\n  dense(2)\n}\n');
      expectClean(
        lstmc(['data', 'nodata.lstm', '--out', 'x1']),
        1,
        /^lstmc: error: nodata\.lstm:1:1: model M has no data block/,
      );
      expect(existsSync(path.join(dir, 'x1'))).toBe(false);
    });
    it('a missing CSV file, a non-numeric cell', () => {
      write('nocsv.lstm', CSV_SPEC.replace('data/series.csv', 'data/nope.csv'));
      expectClean(
        lstmc(['data', 'nocsv.lstm', '--out', 'x2']),
        1,
        /^lstmc: error: data\/nope\.csv: file not found \(data block at nocsv\.lstm:17:10\)\n$/,
      );
      write(
        'data/bad.csv',
        'month,passengers\n' + Array.from({ length: 12 }, (_, i) => `m${i},${i === 6 ? 'n/a' : i}`).join('\n') + '\n',
      );
      write('badcsv.lstm', CSV_SPEC.replace('data/series.csv', 'data/bad.csv'));
      expectClean(
        lstmc(['data', 'badcsv.lstm', '--out', 'x2']),
        1,
        /^lstmc: error: data\/bad\.csv:8: non-numeric value "n\/a" in column "passengers" \(data block at badcsv\.lstm:17:10\)\n$/,
      );
      expect(existsSync(path.join(dir, 'x2'))).toBe(false);
    });
    it('spec errors are diagnostics', () => {
      write('broken.lstm', 'model B {\n  input x: [5, 10]\n  lstm(25)\n  lstm(10)\n  data { synthetic: echo }\n}\n');
      expectClean(lstmc(['data', 'broken.lstm', '--out', 'x3']), 1, /broken\.lstm:4:3 error LSTM3001/);
    });
    it('data that does not fit the model: the checker code, as train reports it', () => {
      write('mismatch.lstm', CSV_SPEC.replace('dense(2)', 'dense(3)'));
      expectClean(lstmc(['data', 'mismatch.lstm', '--out', 'x4']), 1, /LSTM400\d/);
      // Known only once the corpus is read: the same message `lstmc train` gives.
      write('corpus.txt', CORPUS);
      write('wide.lstm', TEXT_SPEC.replaceAll(`${VOCAB}`, `${VOCAB + 7}`));
      const wide = lstmc(['data', 'wide.lstm', '--out', 'x4']);
      expectClean(
        wide,
        1,
        /^lstmc: error: wide\.lstm:6:10: LSTM4011 The data block gives inputs of shape \[batch, 8, 13\], but input x has shape \[batch, 8, 20\]/,
      );
      expect(wide.stderr).toBe(lstmc(['train', 'wide.lstm', '--out', 'x4']).stderr);
      expect(existsSync(path.join(dir, 'x4'))).toBe(false);
    });
    it('usage errors exit 2', () => {
      expectClean(lstmc(['data', 'csv.lstm']), 2, /required option '--out <dir>'/);
      write('two.lstm', 'model A {\n  input x: [5, 10]\n  dense(1)\n}\nmodel B {\n  input x: [5, 10]\n  dense(1)\n}\n');
      expectClean(
        lstmc(['data', 'two.lstm', '--out', 'x5']),
        2,
        /defines 2 models \(A, B\); choose one with --model NAME/,
      );
      expectClean(lstmc(['data', 'nothing-here.lstm', '--out', 'x5']), 2, /no files matched/);
    });
  });
});

// ------------------------------------------------------------------------------------------------

/** Runs a Python script with numpy; returns its stdout parsed as JSON. */
function python(script: string, ...args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.skipIf(!HAVE_NUMPY && !CI)('numpy as the oracle', () => {
  it(`${PYTHON} has numpy (required when CI is set)`, () => {
    expect(HAVE_NUMPY, `${PYTHON} -c "import numpy" failed; install python3-numpy`).toBe(true);
  });

  it('numpy.load reads every exported file with the right shape, dtype and values; numpy.save writes the same bytes', () => {
    const spec = setupCsv();
    for (const [out, ds] of [
      ['echo-np', runtimeDataset(path.join(ROOT, 'specs', 'vanilla.lstm'))],
      ['csv-np', runtimeDataset(spec)],
    ] as const) {
      const r = lstmc([
        'data',
        out === 'echo-np' ? path.join(ROOT, 'specs', 'vanilla.lstm') : 'csv.lstm',
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const got = python(
        `
import hashlib, io, json, sys
import numpy as np
out = {}
for name in ['train_x', 'train_y', 'test_x', 'test_y']:
    path = sys.argv[1] + '/' + name + '.npy'
    a = np.load(path, allow_pickle=False)
    buf = io.BytesIO()
    np.save(buf, a)
    out[name] = {
        'shape': list(a.shape), 'dtype': a.dtype.str, 'c': bool(a.flags['C_CONTIGUOUS']),
        'sha256': hashlib.sha256(a.tobytes(order='C')).hexdigest(),
        'resaved_identical': buf.getvalue() == open(path, 'rb').read(),
    }
print(json.dumps(out))
`,
        path.join(dir, out),
      ) as Record<string, { shape: number[]; dtype: string; c: boolean; sha256: string; resaved_identical: boolean }>;
      const want = { train_x: ds.train.x, train_y: ds.train.y, test_x: ds.test!.x, test_y: ds.test!.y };
      for (const [name, a] of Object.entries(want)) {
        expect(got[name], `${out}/${name}`).toEqual({
          shape: a.shape,
          dtype: '<f4',
          c: true,
          sha256: sha256(a.values),
          resaved_identical: true,
        });
      }
    }
  });

  it('the reader reads what numpy writes: dtypes, byte orders, Fortran order, 0-d, empty, format 2.0', () => {
    const npDir = path.join(dir, 'from-numpy');
    mkdirSync(npDir, { recursive: true });
    const cases = python(
      `
import json, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
cases = {
    'f4': rng.standard_normal((3, 4, 2)).astype('<f4'),
    'f8': rng.standard_normal((5, 3)),
    'f4_big': rng.standard_normal((2, 3)).astype('>f4'),
    'f2': rng.standard_normal((4,)).astype('<f2'),
    'fortran': np.asfortranarray(rng.standard_normal((3, 4, 5)).astype('<f4')),
    'i4': np.arange(-6, 6, dtype='<i4').reshape(3, 4),
    'i8_big': np.arange(10, dtype='>i8'),
    'u1': np.arange(250, 256, dtype='u1'),
    'bool': np.array([[True, False], [False, True]]),
    'scalar': np.array(2.5, dtype='<f4'),
    'empty': np.zeros((0, 4, 1), dtype='<f4'),
}
out = {}
for name, a in cases.items():
    np.save(d + '/' + name + '.npy', a)
    out[name] = {'shape': list(a.shape), 'values': np.ascontiguousarray(a).astype('<f4').ravel(order='C').tolist()}
v2 = rng.standard_normal((2, 2)).astype('<f4')
with open(d + '/v2.npy', 'wb') as f:
    np.lib.format.write_array(f, v2, version=(2, 0))
out['v2'] = {'shape': [2, 2], 'values': v2.ravel().tolist()}
np.save(d + '/object.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
print(json.dumps(out))
`,
      npDir,
    ) as Record<string, { shape: number[]; values: number[] }>;
    expect(Object.keys(cases)).toHaveLength(12);
    for (const [name, want] of Object.entries(cases)) {
      const got = npy(path.join(npDir, `${name}.npy`));
      expect(got.shape, name).toEqual(want.shape);
      expect(Array.from(got.values), name).toEqual(want.values);
    }
    expect(readNpyHeader(new Uint8Array(readFileSync(path.join(npDir, 'v2.npy')))).version).toEqual([2, 0]);
    expect(() => npy(path.join(npDir, 'object.npy'))).toThrow(/object arrays \(pickles\) are never loaded/);
  });
});
