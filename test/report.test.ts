/**
 * history.csv and `lstmc report` (issue 12, item 7):
 * - runtime/history.ts: CSV round trips (fast-check), resume truncation, fallback to lstmc.json;
 * - real runs of `lstmc train`: history.csv agrees with lstmc.json, a resumed run continues it, a
 *   kill -9 mid-run leaves complete files that agree on the epoch;
 * - the report page: self-contained, rendered by a real headless Chromium (test/helpers/chromium.ts):
 *   no console errors, no network, one curve point per epoch, the model graph drawn;
 * - bad run directories and outputs: one clear line, exit 1;
 * - the end-of-training sparkline: only on a terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lossSparkline, resample, runDirSparkline, sparkline } from '../cli/sparkline.js';
import { formatHistoryCsv, parseHistoryCsv, RunHistory, rowsFromState, type HistoryRow } from '../runtime/history.js';
import { niceTicks } from '../runtime/report/charts.js';
import { readRunDir, RunDirError } from '../runtime/report/run.js';
import { launchChromium, skipWithoutChromium, type Chromium } from './helpers/chromium.js';
import { skipWithoutTorch } from './helpers/python.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

const SPEC = `# A tiny run with a validation split, for the report tests.
model TinyEcho {
  input x: [5, 10]
  lstm(8)
  dense(10, activation: softmax)

  train {
    loss: categoricalCrossentropy
    optimizer: adam
    metrics: [accuracy]
    epochs: 4
    batchSize: 16
    validationSplit: 0.25
    seed: 3
  }
  data {
    synthetic: echo
    samples: 64
    testSamples: 32
  }
}
`;

let dir: string;

function lstmc(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', LSTMC_DEBUG: '', ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lstmc-report-'));
  writeFileSync(path.join(dir, 'tiny.lstm'), SPEC);
});

// ---------------------------------------------------------------------------------------------

describe('history.csv format (runtime/history.ts)', () => {
  const metric = fc.constantFrom('loss', 'acc', 'mse', 'val_loss', 'val_acc', 'val_mse');
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });

  it('format then parse gives the rows back (values exactly, timings at their printed precision)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(metric, { minLength: 1, maxLength: 6 }), fc.nat(30), (metrics, n) => {
        const rows: HistoryRow[] = Array.from({ length: n }, (_, i) => ({
          epoch: i + 1,
          values: Object.fromEntries(metrics.map((m, j) => [m, Math.sin(i * 7 + j) * 10 ** (j - 2)])),
          seconds: 0.25 * (i + 1),
          elapsedSeconds: 0.5 * (i + 1),
          samplesPerSec: 100 + i,
          time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        }));
        const parsed = parseHistoryCsv(formatHistoryCsv(metrics, rows));
        expect(parsed.problems).toEqual([]);
        expect(parsed.metrics).toEqual(metrics);
        expect(parsed.rows).toEqual(rows);
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(finite, (v) => {
        const parsed = parseHistoryCsv(formatHistoryCsv(['loss'], [{ epoch: 1, values: { loss: v } }]));
        expect(parsed.rows[0]!.values.loss).toBe(v === 0 ? 0 : v);
      }),
    );
  });

  it('orders columns: training values, then their val_ twins', () => {
    const h = new RunHistory();
    h.record(1, { val_acc: 0.5, loss: 1, val_loss: 1.1, acc: 0.4 }, 2, 100, new Date(0));
    expect(h.csv().split('\n')[0]).toBe('epoch,loss,acc,val_loss,val_acc,seconds,elapsed_seconds,samples_per_sec,time');
    expect(h.csv().split('\n')[1]).toBe('1,1,0.4,1.1,0.5,2.000,2.000,50.0,1970-01-01T00:00:00.000Z');
  });

  it('resume keeps the rows up to the checkpoint epoch and continues the elapsed time', () => {
    const h = new RunHistory();
    for (let e = 1; e <= 5; e++) h.record(e, { loss: 1 / e }, 1, 10, new Date(e * 1000));
    const resumed = RunHistory.resume(h.csv(), 3, { loss: [1, 0.5, 1 / 3] });
    expect(resumed.length).toBe(3);
    resumed.record(4, { loss: 0.2 }, 2, 10, new Date(9000));
    const rows = parseHistoryCsv(resumed.csv()).rows;
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(rows[3]!.elapsedSeconds).toBe(5);
    expect(rows[2]!.time).toBe(new Date(3000).toISOString());
  });

  it('resume without a usable file rebuilds the rows from lstmc.json (no timings)', () => {
    const state = { loss: [3, 2, 1], val_loss: [3.5, 2.5, 1.5] };
    for (const text of [undefined, '', 'garbage\n1,2\n', 'epoch,loss\n1,3\n']) {
      const r = RunHistory.resume(text, 3, state);
      const rows = parseHistoryCsv(r.csv()).rows;
      expect(
        rows.map((x) => x.values),
        String(text),
      ).toEqual([
        { loss: 3, val_loss: 3.5 },
        { loss: 2, val_loss: 2.5 },
        { loss: 1, val_loss: 1.5 },
      ]);
      expect(rows[0]!.seconds).toBeUndefined();
    }
    expect(rowsFromState(state).metrics).toEqual(['loss', 'val_loss']);
  });

  it('reports unreadable lines instead of failing', () => {
    const p = parseHistoryCsv('epoch,loss\n1,0.5\nx,0.4\n3,0.3\n2,0.2\n');
    expect(p.rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(p.problems).toEqual(['line 3: no epoch number']);
    expect(parseHistoryCsv('loss\n1\n').problems[0]).toMatch(/header starting with "epoch"/);
  });
});

describe('sparkline and chart helpers', () => {
  it('scales bars between the smallest and largest value', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
    expect(sparkline([2, NaN, 1])).toBe('█ ▁');
    expect(sparkline([])).toBe('');
    expect(resample([1, 2, 3, 4], 2)).toEqual([1.5, 3.5]);
    expect([
      ...sparkline(
        Array.from({ length: 500 }, (_, i) => i),
        40,
      ),
    ]).toHaveLength(40);
  });

  it('one line with loss and val_loss that fits the terminal', () => {
    const h = { loss: Array.from({ length: 200 }, (_, i) => 2 / (i + 1)), val_loss: [3, 2, 1.5] };
    for (const columns of [60, 80, 200]) {
      const line = lossSparkline(h, columns);
      expect(line).not.toContain('\n');
      expect([...line].length, line).toBeLessThanOrEqual(Math.max(columns, 60));
      expect(line).toMatch(/^loss 2 [▁-█]+ 0\.01 · val_loss 3 [▁-█]+ 1\.5 {2}\(200 epochs\)$/);
    }
    expect(lossSparkline({ acc: [1] })).toBe('');
  });

  it('nice ticks cover the range with round steps', () => {
    expect(niceTicks(0.13, 0.97)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(2, 2).length).toBeGreaterThan(1);
    fc.assert(
      fc.property(
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (lo, span) => {
          const t = niceTicks(lo, lo + span);
          expect(t[0]!).toBeLessThanOrEqual(lo);
          expect(t[t.length - 1]!).toBeGreaterThanOrEqual(lo + span - 1e-9 * Math.max(1, Math.abs(lo)));
          expect(t.length).toBeLessThan(15);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('every run records its history', () => {
  it('history.csv holds one row per epoch with every loss, metric and validation value, equal to lstmc.json', () => {
    const r = lstmc(['train', 'tiny.lstm', '--out', 'runs/a', '--progress', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const state = JSON.parse(readFileSync(path.join(dir, 'runs/a/lstmc.json'), 'utf8')) as {
      epoch: number;
      history: Record<string, number[]>;
    };
    const csv = readFileSync(path.join(dir, 'runs/a/history.csv'), 'utf8');
    const parsed = parseHistoryCsv(csv);
    expect(parsed.problems).toEqual([]);
    expect(csv.split('\n')[0]).toBe('epoch,loss,acc,val_loss,val_acc,seconds,elapsed_seconds,samples_per_sec,time');
    expect(parsed.rows.map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
    for (const [k, vs] of Object.entries(state.history))
      expect(
        parsed.rows.map((x) => x.values[k]),
        k,
      ).toEqual(vs);
    for (const row of parsed.rows) {
      expect(row.seconds).toBeGreaterThan(0);
      expect(row.samplesPerSec).toBeGreaterThan(0);
      expect(Date.parse(row.time!)).toBeGreaterThan(Date.parse('2020-01-01'));
    }
    const el = parsed.rows.map((x) => x.elapsedSeconds!);
    expect(el).toEqual([...el].sort((a, b) => a - b));
    // Nothing else was printed on a pipe: the sparkline is for terminals.
    expect(r.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  it('a resumed run continues the file: earlier rows unchanged, new rows appended', () => {
    const first = lstmc(['train', 'tiny.lstm', '--out', 'runs/b', '--epochs', '2', '--progress', 'none']);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(path.join(dir, 'runs/b/history.csv'), 'utf8');
    const again = lstmc(['train', 'tiny.lstm', '--out', 'runs/b', '--epochs', '4', '--resume', '--progress', 'none']);
    expect(again.code, again.stderr).toBe(0);
    const after = readFileSync(path.join(dir, 'runs/b/history.csv'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const rows = parseHistoryCsv(after).rows;
    expect(rows.map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
    expect(rows[2]!.elapsedSeconds!).toBeGreaterThan(rows[1]!.elapsedSeconds!);
  });

  it('a resumed run drops rows after the checkpoint epoch (runHistoryFor)', async () => {
    const { runHistoryFor } = await import('../runtime/history-writer.js');
    const h = new RunHistory();
    for (let e = 1; e <= 6; e++) h.record(e, { loss: 1 / e }, 1, 10);
    const d = path.join(dir, 'runs/truncate');
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'history.csv'), h.csv());
    const resumed = runHistoryFor(d, { epoch: 4, history: { loss: [1, 0.5, 1 / 3, 0.25] } });
    expect(parseHistoryCsv(resumed.csv()).rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(runHistoryFor(d, null).length).toBe(0);
  });

  it('kill -9 during training leaves a complete history.csv that agrees with the checkpoint', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, 'train', 'tiny.lstm', '--out', 'runs/killed', '--epochs', '400', '--progress', 'lines'],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Epoch 6/" line; output so far: ${out}`)), 120_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (/Epoch 6\/400/.test(out)) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('close', r));
    const run = readRunDir(path.join(dir, 'runs/killed'));
    expect(run.historySource).toBe('history.csv');
    expect(run.history.problems).toEqual([]);
    // Epoch 6's progress line comes before its checkpoint, and a checkpoint is handed over only after the
    // previous one landed: at least epoch 4 is on disk.
    expect(run.state.epoch).toBeGreaterThanOrEqual(4);
    expect(run.history.rows.map((r) => r.epoch)).toEqual(Array.from({ length: run.state.epoch }, (_, i) => i + 1));
  });
});

describe.skipIf(skipWithoutTorch('history.csv of lstmc train --engine torch'))('the PyTorch engine', () => {
  it('writes the same history.csv columns, and a resumed run continues it', () => {
    const first = lstmc(['train', 'tiny.lstm', '--engine', 'torch', '--out', 'runs/torch', '--epochs', '2']);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(path.join(dir, 'runs/torch/history.csv'), 'utf8');
    const again = lstmc([
      'train',
      'tiny.lstm',
      '--engine',
      'torch',
      '--out',
      'runs/torch',
      '--epochs',
      '3',
      '--resume',
    ]);
    expect(again.code, again.stderr).toBe(0);
    const after = readFileSync(path.join(dir, 'runs/torch/history.csv'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after.split('\n')[0]).toBe('epoch,loss,acc,val_loss,val_acc,seconds,elapsed_seconds,samples_per_sec,time');
    const run = readRunDir(path.join(dir, 'runs/torch'));
    expect(run.historySource).toBe('history.csv');
    expect(run.history.problems).toEqual([]);
    expect(run.history.rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    const state = JSON.parse(readFileSync(path.join(dir, 'runs/torch/lstmc.json'), 'utf8')) as {
      history: Record<string, number[]>;
    };
    for (const [k, vs] of Object.entries(state.history))
      expect(
        run.history.rows.map((x) => x.values[k]),
        k,
      ).toEqual(vs);
    for (const r of run.history.rows) expect(r.samplesPerSec).toBeGreaterThan(0);
    expect(lstmc(['report', 'runs/torch']).code).toBe(0);
    expect(readFileSync(path.join(dir, 'runs/torch/report.html'), 'utf8')).toContain('PyTorch');
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------

describe('lstmc report', () => {
  it('writes one self-contained page (default RUN_DIR/report.html)', () => {
    const r = lstmc(['report', 'runs/a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Wrote ${path.join('runs/a', 'report.html')}: TinyEcho, 4 epochs\n`);
    expect(r.stderr).toBe('');
    const html = readFileSync(path.join(dir, 'runs/a/report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // Nothing fetched: no external scripts, styles, images or fonts.
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    // The held-out metrics train measured after the last epoch (evaluation.json).
    const ev = JSON.parse(readFileSync(path.join(dir, 'runs/a/evaluation.json'), 'utf8')) as {
      epoch: number;
      split: string;
      metrics: Record<string, number>;
    };
    expect(ev).toMatchObject({ epoch: 4, split: 'test' });
    expect(Object.keys(ev.metrics)).toEqual(expect.arrayContaining(['loss', 'acc']));
    expect(readRunDir(path.join(dir, 'runs/a')).evaluation).toEqual({ split: 'test', metrics: ev.metrics });
    expect(html).toMatch(/<th>test split<\/th><td>loss <b>[\d.]+<\/b>/);
    for (const text of ['TinyEcho', 'lstm_1', 'dense_1', 'val_loss', 'synthetic', 'echo', 'samples/s'])
      expect(html).toContain(text);
  });

  it('the sparkline of a run directory (for runs trained out of process: --engine torch)', () => {
    expect(runDirSparkline(path.join(dir, 'runs/a'))).toMatch(
      /^loss \S+ [▁-█]{4} \S+ · val_loss \S+ [▁-█]{4} \S+ {2}\(4 epochs\)$/,
    );
    expect(runDirSparkline(path.join(dir, 'runs/none'))).toBe('');
    expect(runDirSparkline(path.join(dir, 'runs/broken'))).toBe('');
  });

  it('a spec changed since the run: the page and stderr say what changed', () => {
    mkdirSync(path.join(dir, 'changed'), { recursive: true });
    writeFileSync(path.join(dir, 'changed/tiny.lstm'), SPEC);
    const r = lstmc(['train', 'changed/tiny.lstm', '--out', 'runs/changed', '--epochs', '1', '--progress', 'none']);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(path.join(dir, 'changed/tiny.lstm'), SPEC.replace('lstm(8)', 'lstm(9)'));
    const rep = lstmc(['report', 'runs/changed', '-o', 'changed.html']);
    expect(rep.code).toBe(0);
    const note = 'changed since this run (layer lstm_1: units 8 in the checkpoint, 9 in the spec)';
    expect(rep.stderr).toContain(note);
    expect(readFileSync(path.join(dir, 'changed.html'), 'utf8')).toContain(note);
  });

  it('an evaluation.json of another epoch is stale and not shown', () => {
    const d = path.join(dir, 'runs/stale');
    mkdirSync(d, { recursive: true });
    for (const f of ['lstmc.json', 'history.csv', 'model.json'])
      writeFileSync(path.join(d, f), readFileSync(path.join(dir, 'runs/a', f)));
    writeFileSync(path.join(d, 'evaluation.json'), JSON.stringify({ epoch: 3, split: 'test', metrics: { loss: 1 } }));
    expect(readRunDir(d).evaluation).toBeUndefined();
  });

  it('without the spec: the page still has the run, and says why the graph is missing', () => {
    const r = lstmc(['report', 'runs/a', '-o', 'nospec.html', '--spec', 'missing.lstm']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^lstmc: note: Cannot read the spec missing\.lstm: ENOENT/);
    const html = readFileSync(path.join(dir, 'nospec.html'), 'utf8');
    expect(html).toContain('Cannot read the spec missing.lstm');
    expect(html).toContain('data-chart="loss"');
  });

  it('bad run directories and outputs: one line, exit 1, no stack', () => {
    writeFileSync(path.join(dir, 'file.txt'), 'x');
    mkdirSync(path.join(dir, 'runs/empty'), { recursive: true });
    mkdirSync(path.join(dir, 'runs/broken'), { recursive: true });
    writeFileSync(path.join(dir, 'runs/broken/lstmc.json'), '{"model": ');
    const cases: [string[], RegExp][] = [
      [['report', 'runs/none'], /^lstmc: error: runs\/none: no such directory\n$/],
      [['report', 'file.txt'], /^lstmc: error: file\.txt is a file, not a run directory\n$/],
      [['report', 'runs/empty'], /^lstmc: error: runs\/empty is not a run directory \(no lstmc\.json\): train into it/],
      [['report', 'runs/broken'], /^lstmc: error: runs\/broken\/lstmc\.json: not valid JSON/],
      [
        ['report', 'runs/a', '-o', 'no/such/dir/r.html'],
        /^lstmc: error: cannot write no\/such\/dir\/r\.html: no such directory\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = lstmc(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(() => readRunDir(path.join(dir, 'runs/empty'))).toThrow(RunDirError);
  });
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(skipWithoutChromium('report page in Chromium'))('the report page in a real headless Chromium', () => {
  let browser: Chromium;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders without console errors or network, with one curve point per epoch and the model graph', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewportSize({ width: 1200, height: 900 });
    const file = path.join(dir, 'runs/a/report.html');
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(await page.title()).toBe('TinyEcho · lstmc report');
    // Curves: every series path has one point (M or L command) per epoch, and is drawn with a size.
    const series = await page.$$eval('svg.chart path.series', (paths) =>
      paths.map((p) => {
        const path = p as unknown as { getBBox(): { width: number; height: number }; getTotalLength(): number };
        const b = path.getBBox();
        return {
          name: p.getAttribute('data-series'),
          points: Number(p.getAttribute('data-points')),
          commands: (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0,
          width: b.width,
          height: b.height,
          length: path.getTotalLength(),
        };
      }),
    );
    expect(series.map((s) => s.name).sort()).toEqual(['acc', 'loss', 'samples/s', 'val_acc', 'val_loss']);
    for (const s of series) {
      expect(s.points, s.name!).toBe(4);
      expect(s.commands, s.name!).toBe(4);
      expect(s.width, s.name!).toBeGreaterThan(100);
      expect(s.length, s.name!).toBeGreaterThan(100);
    }
    // The model graph: one box per input, layer and output, every edge, as Graphviz drew them.
    const graph = await page.$$eval('.graph svg', (svgs) =>
      svgs.map((s) => ({
        nodes: s.querySelectorAll('g.node').length,
        edges: s.querySelectorAll('g.edge').length,
        text: s.textContent ?? '',
        width: s.getBoundingClientRect().width,
      })),
    );
    expect(graph).toHaveLength(1);
    expect(graph[0]!.nodes).toBe(4);
    expect(graph[0]!.edges).toBe(3);
    for (const t of ['x', '(InputLayer)', 'lstm_1', '(LSTM)', 'dense_1', '(Dense)', 'output', '(batch, 5, 10)'])
      expect(graph[0]!.text).toContain(t);
    expect(graph[0]!.width).toBeGreaterThan(100);

    // Pixels: the loss chart has the training colour and the validation colour on screen.
    const chart = page.locator('figure', { has: page.locator('svg[data-chart="loss"]') });
    const png = await chart.screenshot();
    // Counted in the page (no image library here): pixels near the train blue (#1f6feb) and the val orange (#d4580b).
    const colors = (await page.evaluate(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let train = 0, val = 0;
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i], gg = d[i + 1], b = d[i + 2];
        if (Math.abs(r - 0x1f) < 40 && Math.abs(gg - 0x6f) < 40 && b > 0xc0) train++;
        if (r > 0xb0 && Math.abs(gg - 0x58) < 40 && b < 0x50) val++;
      }
      return { train, val };
    })()`)) as { train: number; val: number };
    expect(colors.train).toBeGreaterThan(200);
    expect(colors.val).toBeGreaterThan(200);

    // Hovering a chart reads out that epoch's values.
    const box = (await page.locator('svg[data-chart="loss"]').boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    const readout = await chart.locator('.readout').textContent();
    expect(readout).toMatch(/^epoch 4 · loss \d/);
    expect(readout).toContain('val_loss');

    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await page.close();
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(!existsSync('/usr/bin/script'))('the sparkline on a terminal', () => {
  it('lstmc train on a TTY ends with a one-line loss sparkline', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} train tiny.lstm --out runs/tty --epochs 3`;
    const r = spawnSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(lines[lines.length - 1]).toMatch(
      /^loss \S+ [▁▂▃▄▅▆▇█]{3} \S+ · val_loss \S+ [▁▂▃▄▅▆▇█]{3} \S+ {2}\(3 epochs\)$/,
    );
    expect(readdirSync(path.join(dir, 'runs/tty'))).toContain('history.csv');
  });
});
