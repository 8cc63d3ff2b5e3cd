/**
 * `lstmc train --engine torch` (cli/torch-train.ts, runtime/python.ts) with real PyTorch, no mocks:
 * - the vanilla spec trains 2 epochs on tiny data; the run directory loads in `lstmc predict` and
 *   `lstmc evaluate` (which agrees with the test metrics PyTorch reported); the temporary directory
 *   is gone;
 * - `--nproc 2` runs a real two-process DDP job (gloo on loopback, a file store: no TCP store) that
 *   ends with identical weights on both ranks;
 * - a bad `--python`, and a Python without torch (`LSTMC_PYTHON` too), are one clear message with the
 *   install hint and exit 1; a Python error in training (one rank of two, too) is summarised in two
 *   lines with the log kept in the run directory, never a traceback; Ctrl-C stops the run with its
 *   last checkpoint kept, exit 130;
 * - the pure parts: the epoch/final line reader, the stderr filter, the failure summary.
 * The suites with real torch skip with a message when no interpreter imports torch, unless CI is set
 * (then they fail). No timing assertions.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  epochLogs,
  parseModuleLine,
  rootFailure,
  StderrFilter,
  summarizePythonFailure,
  type EpochLine,
} from '../cli/torch-train.js';
import { findTorchPython as findForCli, probePython, TorchUnavailableError } from '../runtime/python.js';
import { findTorchPython, skipWithoutTorch } from './helpers/python.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const VANILLA = path.join(ROOT, 'specs', 'vanilla.lstm');
const SKIP = skipWithoutTorch('test/torch-train.test.ts');

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lstmc-torch-train-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh TMPDIR for one CLI run, so the test sees what lstmc leaves there. */
function freshTmp(name: string): string {
  const d = path.join(work, `tmp-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
}

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const py = findTorchPython();
  return {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: '',
    LSTMC_DEBUG: '',
    ...(py.ok ? { LSTMC_PYTHON: py.python } : {}),
    ...extra,
  };
}

/** Runs the CLI; `onStdout` sees its output as it comes (and may signal the process). */
function lstmc(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onOutput?: (all: string, pid: number) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: work,
      env: opts.env ?? env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      opts.onOutput?.(stdout + stderr, child.pid!);
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      opts.onOutput?.(stdout + stderr, child.pid!);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const noTraceback = (r: Run) => {
  expect(r.stdout + r.stderr).not.toMatch(/Traceback|File ".*", line \d+/);
};

/** A shell script standing in for Python: `body` gets the real interpreter as $PY. */
function script(name: string, body: string): string {
  const file = path.join(work, name);
  writeFileSync(
    file,
    `#!/bin/sh\nPY='${findTorchPython().ok ? (findTorchPython() as { python: string }).python : 'python3'}'\n${body}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

const SAMPLE = JSON.stringify([[0, 1, 2, 3, 4].map((i) => Array.from({ length: 10 }, (_, j) => (j === i ? 1 : 0)))]);

describe('lstmc train --engine torch: no Python with torch', () => {
  it('a --python path that does not exist: the install hint, exit 1, no traceback', async () => {
    const tmp = freshTmp('bad-python');
    const r = await lstmc(
      ['train', VANILLA, '--engine', 'torch', '--python', '/no/such/python3', '--out', 'runs/none', '--epochs', '1'],
      { env: env({ TMPDIR: tmp }) },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('--python /no/such/python3: no such file.');
    expect(r.stderr).toContain('apt-get install python3-torch python3-numpy libopenblas0-pthread');
    expect(r.stderr).toContain('pip install torch numpy');
    noTraceback(r);
    expect(existsSync(path.join(work, 'runs', 'none'))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a file that is not Python', async () => {
    const r = await lstmc(['train', VANILLA, '--engine', 'torch', '--python', '/bin/false', '--out', 'runs/none']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/--python \/bin\/false: does not run as Python/);
    noTraceback(r);
  });

  it('the runtime search says what it tried and why each failed', () => {
    expect(() => findForCli({ candidates: ['/no/such/python3', 'no-such-python-xyz'] })).toThrow(TorchUnavailableError);
    try {
      findForCli({ candidates: ['/no/such/python3', 'no-such-python-xyz'] });
    } catch (e) {
      expect((e as Error).message).toMatch(
        /^No Python with PyTorch found \(\/no\/such\/python3: no such file; no-such-python-xyz: not found on PATH\)\. /,
      );
    }
    expect(probePython('/no/such/python3')).toEqual({ ok: false, why: 'no such file' });
  });
});

describe.skipIf(SKIP)('lstmc train --engine torch (real PyTorch)', () => {
  it('a Python without torch (--python and LSTMC_PYTHON): the install hint, exit 1, no traceback', async () => {
    // The same interpreter without site-packages: it runs, but imports neither torch nor numpy.
    const bare = script('python-without-torch', 'unset PYTHONPATH\nexec "$PY" -S "$@"');
    for (const how of ['option', 'env'] as const) {
      const r = await lstmc(
        ['train', VANILLA, '--engine', 'torch', '--out', 'runs/none', ...(how === 'option' ? ['--python', bare] : [])],
        { env: env(how === 'env' ? { LSTMC_PYTHON: bare } : {}) },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(how === 'option' ? `--python ${bare} (` : `LSTMC_PYTHON=${bare} (`);
      expect(r.stderr).toMatch(/\) has no torch and numpy \(ModuleNotFoundError: No module named 'torch'\)\./);
      expect(r.stderr).toContain('apt-get install python3-torch python3-numpy libopenblas0-pthread');
      noTraceback(r);
    }
  });

  it('the vanilla spec trains 2 epochs; lstmc predict and evaluate load the run; the temp dir is removed', async () => {
    const tmp = freshTmp('vanilla');
    const r = await lstmc(
      [
        'train',
        VANILLA,
        '--engine',
        'torch',
        '--epochs',
        '2',
        '--samples',
        '64',
        '--batch-size',
        '16',
        '--out',
        'runs/echo',
        '--json',
      ],
      { env: env({ TMPDIR: tmp }) },
    );
    expect(r.code, r.stderr).toBe(0);
    noTraceback(r);
    // Keras-like progress (stderr with --json), from the module's JSON lines.
    expect(r.stderr).toMatch(/^VanillaEcho: PyTorch \S+ \(.*\) on cpu; data: synthetic echo/m);
    expect(r.stderr).toMatch(/^Epoch 1\/2 - .* - loss: \d+\.\d{4} - acc: \d\.\d{4}$/m);
    expect(r.stderr).toMatch(/^Epoch 2\/2 - /m);
    expect(r.stderr).toMatch(/^Saved VanillaEcho to runs\/echo/m);
    const result = JSON.parse(r.stdout) as {
      engine: string;
      epochs: number;
      initialEpoch: number;
      stopReason: string;
      final: Record<string, number>;
      evaluation: Record<string, number>;
      samplesPerSec: number;
      outDir: string;
      perEpoch: { epoch: number; seconds: number; samplesPerSec: number }[];
    };
    expect(result).toMatchObject({
      engine: 'torch',
      epochs: 2,
      initialEpoch: 0,
      stopReason: 'epochs',
      outDir: 'runs/echo',
    });
    expect(Object.keys(result.final).sort()).toEqual(['acc', 'loss']);
    expect(result.samplesPerSec).toBeGreaterThan(0);
    expect(result.perEpoch.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of result.perEpoch) expect(e.samplesPerSec * e.seconds).toBeCloseTo(64, 3);
    const run = path.join(work, 'runs', 'echo');
    for (const f of ['model.json', 'weights.bin', 'lstmc.json']) expect(existsSync(path.join(run, f)), f).toBe(true);
    expect(existsSync(path.join(run, 'torch-train.log'))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);

    writeFileSync(path.join(work, 'sample.json'), SAMPLE);
    const p = await lstmc(['predict', 'runs/echo', '-i', 'sample.json', '--backend', 'cpu', '--format', 'json']);
    expect(p.code, p.stderr).toBe(0);
    const out = (JSON.parse(p.stdout) as { predictions: { output: number[] }[] }).predictions.map((x) => x.output);
    expect(out).toHaveLength(1);
    expect(out[0]).toHaveLength(10);
    expect(out[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    // tfjs on the saved weights agrees with the test metrics PyTorch computed (same data, same model).
    // (The test split does not depend on --samples.)
    const ev = await lstmc(['evaluate', VANILLA, '--dir', 'runs/echo', '--backend', 'cpu', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const metrics = (JSON.parse(ev.stdout) as { metrics: Record<string, number> }).metrics;
    expect(metrics.loss).toBeCloseTo(result.evaluation.loss!, 4);
    expect(metrics.acc).toBeCloseTo(result.evaluation.acc!, 6);
  });

  it('--nproc 2 runs a real two-process DDP job on loopback; both ranks end with the same weights', async () => {
    const tmp = freshTmp('ddp');
    const r = await lstmc(
      [
        'train',
        VANILLA,
        '--engine',
        'torch',
        '--nproc',
        '2',
        '--epochs',
        '2',
        '--samples',
        '64',
        '--batch-size',
        '16',
        '--out',
        'runs/ddp',
        '--json',
        '--progress',
        'lines',
      ],
      { env: env({ TMPDIR: tmp }) },
    );
    expect(r.code, r.stderr).toBe(0);
    noTraceback(r);
    expect(r.stderr).toMatch(/on cpu × 2 processes/);
    expect(r.stderr).toMatch(/^Epoch 2\/2 - /m);
    const result = JSON.parse(r.stdout) as {
      nproc: number;
      epochs: number;
      replicas: { world: number; identical: boolean; weightsSha256: string[] };
    };
    expect(result.nproc).toBe(2);
    expect(result.epochs).toBe(2);
    expect(result.replicas.world).toBe(2);
    expect(result.replicas.identical).toBe(true);
    const state = JSON.parse(readFileSync(path.join(work, 'runs', 'ddp', 'lstmc.json'), 'utf8')) as {
      epoch: number;
      engine: { worldSize: number };
    };
    expect(state.epoch).toBe(2);
    expect(state.engine.worldSize).toBe(2);
    expect(readdirSync(tmp)).toEqual([]);
    const p = await lstmc(['predict', 'runs/ddp', '-i', 'sample.json', '--backend', 'cpu']);
    expect(p.code, p.stderr).toBe(0);
  });

  it('a Python error is two lines with the log kept in the run dir; in one rank of two too', async () => {
    // The real interpreter, except that the backward pass raises (in rank $FAIL_RANK only when set).
    const failing = script(
      'python-failing-backward',
      [
        'case "$2" in *LSTMC-PROBE*) exec "$PY" "$@";; esac',
        `exec "$PY" -c '
import os, runpy, sys, torch
if os.environ.get("FAIL_RANK", os.environ.get("RANK", "0")) == os.environ.get("RANK", "0"):
    def backward(self, *a, **k):
        raise RuntimeError("injected failure in backward")
    torch.Tensor.backward = backward
if sys.argv[1] == "-c":
    code = sys.argv[2]
    sys.argv = ["-c"] + sys.argv[3:]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
' "$@"`,
      ].join('\n'),
    );
    for (const nproc of [1, 2]) {
      const tmp = freshTmp(`failing-${nproc}`);
      const out = `runs/failing-${nproc}`;
      const r = await lstmc(
        ['train', VANILLA, '--engine', 'torch', '--python', failing, '--nproc', String(nproc), '--epochs', '1'].concat([
          '--samples',
          '32',
          '--out',
          out,
        ]),
        { env: env({ TMPDIR: tmp, FAIL_RANK: nproc === 2 ? '1' : undefined }) },
      );
      expect(r.code, r.stderr).toBe(1);
      noTraceback(r);
      const error = r.stderr.slice(r.stderr.indexOf('lstmc: error:')).trimEnd().split('\n');
      expect(error, r.stderr).toEqual([
        `lstmc: error: PyTorch training failed${nproc === 2 ? ' (rank 1 of 2)' : ''}: RuntimeError: injected failure in backward (VanillaEcho.py line ${error[0]!.match(/line (\d+)/)?.[1]}, in _lstmc_train)`,
        `  The full log is in ${out}/torch-train.log.`,
      ]);
      const log = readFileSync(path.join(work, out, 'torch-train.log'), 'utf8');
      expect(log).toContain('Traceback (most recent call last):');
      expect(log).toContain('RuntimeError: injected failure in backward');
      expect(readdirSync(tmp)).toEqual([]);
    }
  });

  it('Ctrl-C stops the run and keeps the last checkpoint (exit 130); --resume continues it', async () => {
    const tmp = freshTmp('interrupt');
    let sent = false;
    const r = await lstmc(
      ['train', VANILLA, '--engine', 'torch', '--epochs', '500', '--samples', '256', '--batch-size', '4'].concat([
        '--out',
        'runs/int',
        '--progress',
        'lines',
      ]),
      {
        env: env({ TMPDIR: tmp }),
        onOutput: (all, pid) => {
          if (!sent && /^Epoch 1\/500 /m.test(all)) {
            sent = true;
            process.kill(pid, 'SIGINT');
          }
        },
      },
    );
    expect(sent, r.stdout + r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    noTraceback(r);
    const m =
      /lstmc: interrupted; runs\/int holds the checkpoint of epoch (\d+): continue with `lstmc train .* --resume`\./.exec(
        r.stderr,
      );
    expect(m, r.stderr).not.toBeNull();
    const state = JSON.parse(readFileSync(path.join(work, 'runs', 'int', 'lstmc.json'), 'utf8')) as { epoch: number };
    expect(state.epoch).toBe(Number(m![1]));
    expect(readdirSync(tmp)).toEqual([]);
    // No Python process of this run is left.
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    if (ps.status === 0) expect(ps.stdout).not.toContain(tmp);

    const again = await lstmc(
      ['train', VANILLA, '--engine', 'torch', '--epochs', String(state.epoch + 1), '--samples', '256'].concat([
        '--batch-size',
        '4',
        '--out',
        'runs/int',
        '--resume',
        '--progress',
        'lines',
      ]),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Resuming VanillaEcho from runs/int after epoch ${state.epoch}.`);
    expect(again.stdout).toContain(`Epoch ${state.epoch + 1}/${state.epoch + 1} - `);
  });
});

describe('cli/torch-train.ts: reading the module and summarising failures', () => {
  it('epoch and final lines; bare NaN from Python json; other lines are not the module’s', () => {
    const e = parseModuleLine(
      '{"epoch": 3, "epochs": 5, "loss": 0.5, "acc": 0.75, "samples_per_s": 900.5, "seconds": 0.2}',
    );
    expect(e?.kind).toBe('epoch');
    expect(epochLogs(e!.line as EpochLine)).toEqual({ loss: 0.5, acc: 0.75 });
    expect(parseModuleLine('{"epoch": 1, "epochs": 1, "loss": NaN, "samples_per_s": null}')?.kind).toBe('epoch');
    expect(parseModuleLine('{"final": true, "epochs": 2, "stopReason": "epochs"}')?.kind).toBe('final');
    expect(parseModuleLine('[default0]:{"epoch": 1}')).toBeUndefined();
    expect(parseModuleLine('Saved X')).toBeUndefined();
    expect(parseModuleLine('{"other": 1}')).toBeUndefined();
  });

  it('stderr shown: messages; hidden: warnings, the error line, indented lines, tracebacks and what follows', () => {
    const f = new StderrFilter([/^M: PyTorch \S+ on /]);
    const shown = [
      'M: PyTorch 1.13.0 on cpu; 10 training samples',
      'Resuming M from runs/m after epoch 2.',
      '/usr/lib/python3/dist-packages/torch/x.py:12: UserWarning: something',
      '  warnings.warn(',
      '[W socket.cpp:601] [c10d] The client socket has failed to connect.',
      'M.py: error: the data gives inputs of shape [3], but input x has shape [5, 10]',
      'Test metrics: loss=0.1',
      'Traceback (most recent call last):',
      '  File "/tmp/M.py", line 10, in <module>',
      'ValueError: first',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/tmp/M.py", line 12, in <module>',
      'RuntimeError: second',
      'a message that goes on over lines',
    ].filter((l) => f.show(l));
    expect(shown).toEqual(['Resuming M from runs/m after epoch 2.', 'Test metrics: loss=0.1']);
  });

  it('the summary: the module’s error line, else the exception and where, else how it ended', () => {
    const module = '/tmp/lstmc-torch-x/M.py';
    expect(
      summarizePythonFailure(['M: PyTorch', 'M.py: error: --device cuda: CUDA is not available'], {
        code: 2,
        signal: null,
      }),
    ).toBe('--device cuda: CUDA is not available');
    const tb = [
      'Traceback (most recent call last):',
      `  File "${module}", line 2519, in _lstmc_train`,
      '    total.backward()',
      '  File "/usr/lib/python3/dist-packages/torch/_tensor.py", line 488, in backward',
      '    torch.autograd.backward(',
      'RuntimeError: one of the variables needed for gradient computation has been modified',
    ];
    expect(summarizePythonFailure(tb, { code: 1, signal: null }, module)).toBe(
      'RuntimeError: one of the variables needed for gradient computation has been modified (M.py line 2519, in _lstmc_train)',
    );
    expect(summarizePythonFailure(tb, { code: 1, signal: null })).toMatch(/\(_tensor\.py line 488, in backward\)$/);
    expect(summarizePythonFailure(['M: starting'], { code: null, signal: 'SIGKILL' })).toBe(
      'the Python process was killed by SIGKILL (out of memory?)',
    );
    expect(summarizePythonFailure(['Segmentation fault'], { code: 139, signal: null })).toBe(
      'Python exited with status 139: Segmentation fault',
    );
  });

  it('the failed rank that explains a DDP failure is not the one whose peer went away', () => {
    const errors: Record<number, string | undefined> = {
      0: 'RuntimeError: [./gloo/transport/tcp/pair.cc:598] Connection closed by peer [127.0.0.1]:1234',
      1: 'RuntimeError: injected',
    };
    const exit = (rank: number, code: number | null, signal: NodeJS.Signals | null, stopped: boolean) => ({
      rank,
      code,
      signal,
      stopped,
    });
    const errorOf = (r: number) => errors[r];
    expect(rootFailure([exit(0, 1, null, false), exit(1, 1, null, false)], errorOf)?.rank).toBe(1);
    // Stopped by lstmc after its peer failed, but it had reported its own error first.
    expect(rootFailure([exit(0, 1, null, false), exit(1, null, 'SIGTERM', true)], errorOf)?.rank).toBe(1);
    expect(rootFailure([exit(1, 1, null, false), exit(0, null, 'SIGTERM', true)], errorOf)?.rank).toBe(1);
    // Nobody reported an error: the first that failed on its own.
    expect(rootFailure([exit(1, null, 'SIGTERM', true), exit(0, null, 'SIGKILL', false)], () => undefined)?.rank).toBe(
      0,
    );
    expect(rootFailure([exit(0, 0, null, false), exit(1, 0, null, false)], errorOf)).toBeUndefined();
  });
});
