/**
 * Runs people can trust (issue #12, items 1-4), end to end through the `lstmc` binary (dist/cli/main.js):
 * - `--resume` continues the run that was started: its --epochs, --batch-size, samples and --param
 *   (the issue's two examples: `--epochs 15 --batch-size 16` then `--resume` went on toward the spec's
 *   500 epochs at batch size 1; a CSV run killed at epoch 1 of `--epochs 6` resumed to "Epoch 2/2");
 * - `--resume` refuses a checkpoint that does not match the spec (units, optimizer, window), naming
 *   the change, exit 1, the run left as it was;
 * - training into a run's directory without --resume refuses; --force replaces it; a directory of
 *   other files is never replaced;
 * - Ctrl-C (SIGINT to the process, and a real ^C typed into a pseudo-terminal via `script`): exit 130,
 *   "interrupted after epoch N; continue with --resume", a resumable checkpoint, and line wrapping
 *   never left off.
 * Synchronisation is on output lines and on the checkpoint file, never on sleeps.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import { toTfModelSpec } from '../compiler/tfspec.js';
import { compareFingerprints, runFingerprint } from '../runtime/fingerprint.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'lstmc-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The issue's spec defaults: 500 epochs at batch size 1 (a resume that forgot the run's flags would never end). */
const ECHO = `model Echo {
  param units = 8
  input x: [5, 10]
  lstm(units)
  dense(10, activation: softmax)
  train { loss: categoricalCrossentropy  optimizer: adam(learningRate: 0.01)  metrics: [accuracy]  epochs: 500  batchSize: 1  seed: 3 }
  data { synthetic: echo  samples: 800  testSamples: 50  seed: 7 }
}
`;

/** A CSV series model whose spec says 2 epochs (the issue's "Epoch 2/2"). */
const SALES = `model Sales {
  param window = 12
  input x: [window, 1]
  lstm(16)
  dense(1)
  train { loss: mse  optimizer: adam  epochs: 2  batchSize: 4  seed: 1 }
  data { csv: "sales.csv"  column: "close"  window: window  horizon: 1 }
}
`;

function salesCsv(rows: number): string {
  const lines = ['day,open,close'];
  for (let i = 0; i < rows; i++)
    lines.push(`${i},${(100 + 10 * Math.sin(i / 7)).toFixed(2)},${(100 + 12 * Math.sin(i / 9) + i * 0.05).toFixed(2)}`);
  return lines.join('\n') + '\n';
}

function run(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dir(name: string, files: Record<string, string>): string {
  const cwd = path.join(tmp, name);
  mkdirSync(cwd, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(cwd, f), text);
  return cwd;
}

interface Spawned {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  /** Resolves once the output matches. */
  waitFor: (re: RegExp) => Promise<void>;
  exit: Promise<number | null>;
}

function start(args: string[], cwd: string): Spawned {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: 'pipe' });
  return watch(child);
}

function watch(child: ChildProcessWithoutNullStreams): Spawned {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    text += d.toString('utf8');
    for (const w of [...waiters])
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return {
    child,
    out: () => text,
    exit,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(text)) return resolve();
        waiters.push({ re, resolve });
        void exit.then(() => reject(new Error(`exited before ${re}:\n${text}`)));
      }),
  };
}

const state = (cwd: string, out: string) =>
  JSON.parse(readFileSync(path.join(cwd, out, 'lstmc.json'), 'utf8')) as {
    epoch: number;
    complete: boolean;
    run: { epochs: number; batchSize: number; samples?: number; params?: Record<string, string> };
    history: Record<string, number[]>;
  };

describe('the fingerprint names what changed', () => {
  const spec = (src: string) => {
    const r = checkSource(src, 'e.lstm');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return toTfModelSpec(r.models[0]!);
  };
  const data = { inputShape: [5, 10], targetShape: [10] };
  const base = runFingerprint(spec(ECHO), data);
  it('matches itself, and the checkpoint of the same spec', () => {
    expect(compareFingerprints(base, runFingerprint(spec(ECHO), data))).toEqual([]);
    expect(compareFingerprints(JSON.parse(JSON.stringify(base)), base)).toEqual([]);
  });
  it('lstm(16) -> lstm(17), adam -> sgd, a learning rate, a new layer, the data shape', () => {
    const units = spec(ECHO.replace('param units = 8', 'param units = 16'));
    const units17 = spec(ECHO.replace('param units = 8', 'param units = 17'));
    expect(compareFingerprints(runFingerprint(units, data), runFingerprint(units17, data))).toEqual([
      'layer lstm_1: units 16 in the checkpoint, 17 in the spec',
    ]);
    const sgd = spec(ECHO.replace('adam(learningRate: 0.01)', 'sgd'));
    expect(compareFingerprints(base, runFingerprint(sgd, data))).toEqual([
      'optimizer: adam in the checkpoint, sgd in the spec',
    ]);
    const lr = spec(ECHO.replace('adam(learningRate: 0.01)', 'adam(learningRate: 0.001)'));
    expect(compareFingerprints(base, runFingerprint(lr, data))).toEqual([
      'optimizer adam: learningRate 0.01 in the checkpoint, 0.001 in the spec',
    ]);
    const deeper = spec(ECHO.replace('lstm(units)', 'lstm(units, returnSequences: true)\n  lstm(4)'));
    const d = compareFingerprints(base, runFingerprint(deeper, data));
    expect(d).toContain('layer lstm_1: returnSequences false in the checkpoint, true in the spec');
    expect(d).toContain('layer lstm_2 (lstm) is new in the spec');
    expect(d).toContain('layer dense_1: input lstm_1 in the checkpoint, lstm_2 in the spec');
    expect(compareFingerprints(base, runFingerprint(spec(ECHO), { inputShape: [6, 10], targetShape: [10] }))).toEqual([
      'data inputs: shape [5, 10] in the checkpoint, [6, 10] now',
    ]);
  });
});

describe('--resume continues the run that was started', () => {
  it('issue example 1: --epochs 4 --batch-size 16, Ctrl-C, then --resume keeps 4 epochs at batch size 16', async () => {
    const cwd = dir('ex1', { 'echo.lstm': ECHO });
    const p = start(
      [
        'train',
        'echo.lstm',
        '--out',
        'run',
        '--epochs',
        '4',
        '--batch-size',
        '16',
        '--param',
        'units=6',
        '--progress',
        'lines',
      ],
      cwd,
    );
    await p.waitFor(/Epoch 1\/4 /);
    p.child.kill('SIGINT');
    const code = await p.exit;
    expect(code, p.out()).toBe(130);
    const m = /interrupted after epoch (\d+); continue with --resume/.exec(p.out());
    expect(m, p.out()).not.toBeNull();
    const n = Number(m![1]);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThan(4);
    const st = state(cwd, 'run');
    expect(st).toMatchObject({
      epoch: n,
      complete: false,
      run: { epochs: 4, batchSize: 16, samples: 800, params: { units: '6' } },
    });
    expect(st.history.loss).toHaveLength(n);

    const r = run(['train', 'echo.lstm', '--out', 'run', '--resume', '--progress', 'lines', '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `Resuming Echo from run after epoch ${n} of 4: epochs 4, batch size 16, samples 800, --param units=6 (the run's settings unless given).`,
    );
    expect(r.stderr).toContain(`Epoch ${n + 1}/4 `);
    expect(r.stderr).not.toMatch(/Epoch \d+\/500/);
    const res = JSON.parse(r.stdout) as { epochs: number; initialEpoch: number; batchSize: number };
    expect(res).toMatchObject({ epochs: 4, initialEpoch: n, batchSize: 16 });
    const done = state(cwd, 'run');
    expect(done.complete).toBe(true);
    expect(done.history.loss).toHaveLength(4);
  }, 120_000);

  it('issue example 2: a CSV run killed after epoch 1 of --epochs 6 resumes at "Epoch 2/6"', async () => {
    const cwd = dir('ex2', { 'sales.lstm': SALES, 'sales.csv': salesCsv(400) });
    const p = start(['train', 'sales.lstm', '--out', 'run', '--epochs', '6', '--progress', 'lines'], cwd);
    await p.waitFor(/Epoch 1\/6 /);
    // The checkpoint is written in the background: kill once it is on disk (as a crash would find it).
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        try {
          if (existsSync(path.join(cwd, 'run', 'lstmc.json')) && state(cwd, 'run').epoch >= 1) {
            clearInterval(poll);
            p.child.kill('SIGKILL');
            resolve();
          }
        } catch {
          /* mid-swap: try again */
        }
      }, 10);
      void p.exit.then(() => {
        clearInterval(poll);
        reject(new Error(`finished before it could be killed:\n${p.out()}`));
      });
    });
    await p.exit;
    const killed = state(cwd, 'run').epoch;
    expect(killed).toBeLessThan(6);
    const r = run(['train', 'sales.lstm', '--out', 'run', '--resume', '--progress', 'lines'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Epoch ${killed + 1}/6 `);
    expect(r.stdout).toContain('Epoch 6/6 ');
    expect(r.stdout).not.toMatch(/Epoch \d+\/2 /);
    // The start line: the column it read, the window, the counts.
    expect(r.stdout).toMatch(
      /^Sales: backend \w+ · data csv sales\.csv \[close\] window 12 → 1 · \d+ train \/ \d+ test\n/,
    );
  }, 120_000);
});

describe('--resume refuses a checkpoint that does not match the spec', () => {
  it('units, optimizer and window changes are named; exit 1; the run is left as it was', () => {
    const cwd = dir('mismatch', { 'echo.lstm': ECHO, 'sales.lstm': SALES, 'sales.csv': salesCsv(120) });
    expect(
      run(['train', 'echo.lstm', '--out', 'run', '--epochs', '1', '--batch-size', '64', '--progress', 'none'], cwd)
        .code,
    ).toBe(0);
    const before = readFileSync(path.join(cwd, 'run', 'lstmc.json'), 'utf8');

    writeFileSync(path.join(cwd, 'echo17.lstm'), ECHO.replace('param units = 8', 'param units = 17'));
    const u = run(['train', 'echo17.lstm', '--out', 'run', '--resume', '--epochs', '2'], cwd);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('lstmc: error: the checkpoint in run does not match echo17.lstm (model Echo):');
    expect(u.stderr).toContain('  layer lstm_1: units 8 in the checkpoint, 17 in the spec\n');
    expect(u.stderr).not.toMatch(/internal error|\n\s+at /);
    // --param on resume is a change too.
    const up = run(['train', 'echo.lstm', '--out', 'run', '--resume', '--epochs', '2', '--param', 'units=9'], cwd);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('layer lstm_1: units 8 in the checkpoint, 9 in the spec');

    writeFileSync(path.join(cwd, 'sgd.lstm'), ECHO.replace('adam(learningRate: 0.01)', 'sgd'));
    const o = run(['train', 'sgd.lstm', '--out', 'run', '--resume', '--epochs', '2'], cwd);
    expect(o.code).toBe(1);
    expect(o.stderr).toContain('  optimizer: adam in the checkpoint, sgd in the spec\n');
    expect(o.stderr).not.toContain('internal error');
    expect(readFileSync(path.join(cwd, 'run', 'lstmc.json'), 'utf8')).toBe(before);

    // A checkpoint of an older lstmc (no fingerprint, no run settings): the parameter count still tells.
    const old = JSON.parse(before) as Record<string, unknown>;
    delete old.fingerprint;
    delete old.run;
    writeFileSync(path.join(cwd, 'run', 'lstmc.json'), JSON.stringify(old));
    const o17 = run(['train', 'echo17.lstm', '--out', 'run', '--resume', '--epochs', '2', '--progress', 'none'], cwd);
    expect(o17.code).toBe(1);
    expect(o17.stderr).toMatch(
      /^lstmc: error: the checkpoint in run does not match echo17\.lstm \(model Echo\): 698 parameters in the checkpoint, 2084 in the spec/,
    );

    expect(run(['train', 'sales.lstm', '--out', 'sales', '--epochs', '1', '--progress', 'none'], cwd).code).toBe(0);
    const w = run(['train', 'sales.lstm', '--out', 'sales', '--resume', '--epochs', '2', '--param', 'window=10'], cwd);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('  input x: shape [12, 1] in the checkpoint, [10, 1] in the spec\n');
    expect(w.stderr).toContain('  data inputs: shape [12, 1] in the checkpoint, [10, 1] now\n');
    expect(w.stderr).not.toContain('internal error');
  }, 120_000);
});

describe('a run is never overwritten by accident', () => {
  it('without --resume training into a run refuses; --force replaces it; other files are never replaced', () => {
    const cwd = dir('force', { 'echo.lstm': ECHO });
    const quick = ['--epochs', '1', '--batch-size', '64', '--progress', 'none'];
    expect(run(['train', 'echo.lstm', '--out', 'run', ...quick, '--epochs', '2'], cwd).code).toBe(0);
    const before = readFileSync(path.join(cwd, 'run', 'lstmc.json'), 'utf8');
    const again = run(['train', 'echo.lstm', '--out', 'run', ...quick], cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'lstmc: error: run already holds a run of Echo (finished after epoch 2 of 2); continue it with --resume, or replace it with --force.\n',
    );
    expect(readFileSync(path.join(cwd, 'run', 'lstmc.json'), 'utf8')).toBe(before);
    // The PyTorch engine keeps the same rule (checked before any Python is looked for).
    const torch = run(['train', 'echo.lstm', '--out', 'run', '--engine', 'torch', '--python', '/bin/false'], cwd);
    expect(torch.code).toBe(1);
    expect(torch.stderr).toBe(again.stderr);
    const forced = run(['train', 'echo.lstm', '--out', 'run', ...quick, '--force'], cwd);
    expect(forced.code, forced.stderr).toBe(0);
    expect(state(cwd, 'run')).toMatchObject({ epoch: 1, complete: true, run: { epochs: 1 } });

    const both = run(['train', 'echo.lstm', '--out', 'run', '--resume', '--force'], cwd);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/choose one/);

    mkdirSync(path.join(cwd, 'mine'));
    writeFileSync(path.join(cwd, 'mine', 'notes.txt'), 'keep me');
    for (const extra of [[], ['--force']]) {
      const r = run(['train', 'echo.lstm', '--out', 'mine', ...quick, ...extra], cwd);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/mine holds files that are not an lstmc run \(notes\.txt\)/);
    }
    expect(readFileSync(path.join(cwd, 'mine', 'notes.txt'), 'utf8')).toBe('keep me');
    writeFileSync(path.join(cwd, 'afile'), 'x');
    const file = run(['train', 'echo.lstm', '--out', 'afile', ...quick], cwd);
    expect(file.code).toBe(1);
    expect(file.stderr).toBe('lstmc: error: afile is a file; --out names the directory of the run.\n');
  }, 120_000);
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('Ctrl-C in a terminal', () => {
  /** `lstmc train` in a pseudo-terminal (util-linux `script`); ^C is typed into it, as a user would. */
  function inTerminal(args: string[], cwd: string): Spawned {
    const cmd = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd,
      stdio: 'pipe',
      env: { ...process.env, COLUMNS: '100' },
    });
    return watch(child);
  }
  const wrapLeftOff = (out: string) => out.lastIndexOf('\x1b[?7l') > out.lastIndexOf('\x1b[?7h');

  it.runIf(hasScript)(
    '^C: exit 130, the message, a resumable checkpoint, line wrapping never left off',
    async () => {
      const cwd = dir('tty', { 'echo.lstm': ECHO });
      const p = inTerminal(['train', 'echo.lstm', '--out', 'run', '--epochs', '5', '--batch-size', '16'], cwd);
      await p.waitFor(/Epoch 2\/5\r?\n/);
      p.child.stdin.write('\x03');
      expect(await p.exit, p.out()).toBe(130);
      expect(p.out()).toMatch(
        /interrupted after epoch 1; continue with --resume \(lstmc train echo\.lstm --out run --resume\)/,
      );
      expect(p.out()).toMatch(/ \d+\/50 \[/); // the bar was drawn
      expect(wrapLeftOff(p.out())).toBe(false);
      expect(state(cwd, 'run')).toMatchObject({ epoch: 1, complete: false });

      // Twice: quits at once, still exit 130 and the terminal as it was.
      const q = inTerminal(['train', 'echo.lstm', '--out', 'run', '--resume'], cwd);
      await q.waitFor(/Epoch 2\/5\r?\n/);
      q.child.stdin.write('\x03');
      await q.waitFor(/stopping after this batch/);
      q.child.stdin.write('\x03');
      expect(await q.exit, q.out()).toBe(130);
      expect(wrapLeftOff(q.out())).toBe(false);
      const st = state(cwd, 'run');
      expect(st.complete).toBe(false);
      const r = run(['train', 'echo.lstm', '--out', 'run', '--resume', '--progress', 'lines'], cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Epoch ${st.epoch + 1}/5 `);
    },
    120_000,
  );
});
