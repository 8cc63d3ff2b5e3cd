/**
 * `lstmc train SPEC --engine torch [--nproc N] [--device cpu|cuda] [--python PATH] ...`: train a spec on
 * PyTorch and leave a run directory that `lstmc predict/evaluate/generate` use as any other.
 *
 * In a temporary directory (removed at the end):
 *   1. `<Model>.py`: the model compiled to PyTorch (emit/pytorch.ts, with the TF.js model.json it embeds,
 *      built by compile-command.ts `tfjsModelJson` on the CPU backend, as `lstmc compile --target
 *      pytorch` does);
 *   2. `data/`: the spec's data block as `lstmc data` writes it (the `data` command runs as a child
 *      process, so its arrays and meta.json have one implementation);
 *   3. the module's training entry, `python <Model>.py train --data DIR --out RUN_DIR ...`, run directly
 *      for one process. For N > 1 processes lstmc starts the N ranks itself, with the environment
 *      torchrun gives them (RANK, LOCAL_RANK, WORLD_SIZE, ...), through a small bootstrap that points
 *      `init_process_group` at a file store in the temporary directory and gloo/NCCL at the loopback
 *      interface: a local job opens no port on the network. (torchrun's TCP stores listen on every
 *      interface; the generated module still runs unchanged under torchrun for multi-machine jobs.)
 *
 * The module prints one JSON line per epoch on stdout (rank 0); they drive the Keras-like progress of
 * runtime/progress.ts. Its messages (stderr) are shown; Python tracebacks and warnings never are: they go
 * to the log. A failure is summarised in one or two lines with the path of the full log, kept as
 * `RUN_DIR/torch-train.log`. Ctrl-C (SIGINT, SIGTERM) is forwarded to every Python process; the last
 * epoch's checkpoint stays in RUN_DIR for `--resume`.
 *
 * Exit codes: 0 ok; 1 spec or data errors, no Python with torch, a failed or NaN-stopped run; 2 usage
 * errors (`--device cuda` without CUDA included); 130 interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { IRModel } from '../compiler/ir.js';
import { createProgress, type ProgressMode } from '../runtime/progress.js';
import { describeTorchPython, findTorchPython, TorchUnavailableError, type TorchPython } from '../runtime/python.js';
import { tfjsModelJson } from './compile-command.js';
import { UsageError } from './files.js';
import { formatPretty, shouldUseColor } from './format.js';
import { lstmcVersion } from './version.js';

export const ENGINES = ['tfjs', 'torch'] as const;
export type Engine = (typeof ENGINES)[number];
export const DEVICES = ['cpu', 'cuda'] as const;
export type TorchDevice = (typeof DEVICES)[number];

/** The log of a failed run, inside the run directory. */
export const TORCH_LOG_NAME = 'torch-train.log';

export interface TorchTrainOptions {
  model: IRModel;
  /** The spec file (absolute path). */
  specFile: string;
  params?: Record<string, string>;
  outDir: string;
  epochs?: number;
  batchSize?: number;
  samples?: number;
  resume?: boolean;
  /** Processes (data-parallel ranks); 1 runs the module directly. */
  nproc: number;
  device: TorchDevice;
  /** `--python PATH`. */
  python?: string;
  progress: ProgressMode;
  /** Print the result as one JSON line on stdout (progress goes to stderr). */
  json?: boolean;
}

/** A user-facing failure (printed as `lstmc: error: ...` by the train command's guard). */
export class TorchTrainError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    // The train command's guard prints errors of this name as one clean line with their exit code.
    this.name = 'TrainError';
  }
}

/** Already printed (diagnostics, a data error from `lstmc data`): only the exit code is left to set. */
class Reported extends Error {
  constructor(readonly exitCode: number) {
    super('reported');
  }
}

/** One epoch line of the module (`{"epoch", "epochs", "loss", ..., "samples_per_s", "seconds"}`). */
export interface EpochLine {
  epoch: number;
  epochs: number;
  samples_per_s?: number | null;
  seconds?: number;
  [key: string]: unknown;
}

/** The module's last line (`{"final": true, ...}`). */
export interface FinalLine {
  final: true;
  model?: string;
  epochs?: number;
  stopReason?: string;
  out?: string;
  test?: Record<string, number>;
  replicas?: { world: number; weightsSha256: string[]; identical: boolean };
}

/** Keys of an epoch line that are bookkeeping, not logs. */
const NOT_LOGS = new Set(['epoch', 'epochs', 'samples_per_s', 'seconds']);

/** The loss and metrics of an epoch line (numbers only). */
export function epochLogs(line: EpochLine): Record<string, number> {
  const logs: Record<string, number> = {};
  for (const [k, v] of Object.entries(line)) if (!NOT_LOGS.has(k) && typeof v === 'number') logs[k] = v;
  return logs;
}

/** A JSON line of the module, or undefined. Python's json writes NaN/Infinity bare: read them as null. */
export function parseModuleLine(
  line: string,
): { kind: 'epoch'; line: EpochLine } | { kind: 'final'; line: FinalLine } | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t.replace(/\b-?(?:NaN|Infinity)\b/g, 'null'));
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.final === true) return { kind: 'final', line: o as unknown as FinalLine };
  if (typeof o.epoch === 'number' && typeof o.epochs === 'number') return { kind: 'epoch', line: o as EpochLine };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What the user sees of the module's stderr, and the summary of a failure

/**
 * Filters a Python process's stderr for display: tracebacks (and everything after the first one),
 * warnings (and their source lines), the module's `X.py: error: ...` line (it becomes the failure
 * summary), blank and indented lines go only to the log. `show(line)` says whether one line is shown.
 */
export class StderrFilter {
  private inTraceback = false;
  constructor(private readonly hide: readonly RegExp[] = []) {}

  show(line: string): boolean {
    // A traceback ends the process (or is logged as an error): nothing after it is a message, and an
    // exception's message may go on over several lines.
    if (/^Traceback \(most recent call last\):/.test(line)) this.inTraceback = true;
    if (this.inTraceback || line.trim() === '' || /^\s/.test(line)) return false;
    if (/^\S.*:\d+: \w*Warning: /.test(line) || /^\[[WIE] [^\]]*\]/.test(line) || /^(WARNING|INFO|DEBUG):/.test(line))
      return false;
    if (/^\S+\.py: error: /.test(line)) return false;
    return !this.hide.some((r) => r.test(line));
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * The error a Python process reported on stderr, or undefined: the module's own error line
 * (`Model.py: error: message`, argparse's too), else the last traceback's exception with the frame
 * where it happened (in the generated module when it shows there).
 */
export function pythonError(stderr: readonly string[], moduleFile?: string): string | undefined {
  const own = [...stderr].reverse().find((l) => /^\S+\.py: error: /.test(l));
  if (own !== undefined) return clip(own.replace(/^\S+\.py: error: /, ''), 400);
  let start = -1;
  for (let i = stderr.length - 1; i >= 0; i--) {
    if (/^Traceback \(most recent call last\):/.test(stderr[i]!)) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const frames: { file: string; line: string; fn: string }[] = [];
  let exception: string | undefined;
  for (let i = start + 1; i < stderr.length; i++) {
    const l = stderr[i]!;
    const f = /^\s+File "(.*)", line (\d+), in (.*)$/.exec(l);
    if (f) frames.push({ file: f[1]!, line: f[2]!, fn: f[3]! });
    else if (l.trim() !== '' && !/^\s/.test(l)) {
      exception = l.trim();
      break;
    }
  }
  if (exception === undefined) return undefined;
  const base = moduleFile !== undefined ? path.basename(moduleFile) : undefined;
  const inModule = [...frames].reverse().find((f) => base !== undefined && path.basename(f.file) === base);
  const at = inModule ?? frames[frames.length - 1];
  const where = at !== undefined ? ` (${path.basename(at.file)} line ${at.line}, in ${at.fn})` : '';
  return `${clip(exception, 400)}${where}`;
}

/**
 * One line saying why a Python process failed: its error (`pythonError`), else how it ended (a
 * signal, or the exit status with the last line it wrote).
 */
export function summarizePythonFailure(
  stderr: readonly string[],
  exit: { code: number | null; signal: NodeJS.Signals | null },
  moduleFile?: string,
): string {
  const error = pythonError(stderr, moduleFile);
  if (error !== undefined) return error;
  if (exit.signal !== null)
    return `the Python process was killed by ${exit.signal}${exit.signal === 'SIGKILL' ? ' (out of memory?)' : ''}`;
  const last = [...stderr].reverse().find((l) => l.trim() !== '');
  return `Python exited with status ${exit.code}${last !== undefined ? `: ${clip(last.trim(), 300)}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The ranks

/**
 * Run by each rank of a multi-process job (`python -c BOOTSTRAP <Model>.py train ...`): the process
 * group meets through a file store (no TCP store listening on every interface), then the module runs
 * as `__main__`, unchanged.
 */
export const RANK_BOOTSTRAP = `
import os, runpy, sys
import torch.distributed as _lstmc_dist
_lstmc_init = _lstmc_dist.init_process_group
def _lstmc_init_process_group(backend=None, init_method=None, *args, **kwargs):
    if init_method is None and kwargs.get("store") is None:
        init_method = "file://" + os.environ["LSTMC_DIST_STORE"]
        kwargs.setdefault("rank", int(os.environ["RANK"]))
        kwargs.setdefault("world_size", int(os.environ["WORLD_SIZE"]))
    return _lstmc_init(backend, init_method, *args, **kwargs)
_lstmc_dist.init_process_group = _lstmc_init_process_group
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
`;

export interface RankExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Ended after lstmc began stopping the ranks (another rank failed, or Ctrl-C). */
  stopped: boolean;
}

interface RanksResult {
  /** In the order the ranks ended. */
  exits: RankExit[];
  interrupted: boolean;
}

/** An error that one rank gets because another one died (its peer closed the connection). */
const PEER_GONE =
  /Connection (closed|reset) by peer|Broken pipe|gloo\/transport|NCCL communicator was aborted|ncclRemoteError|Timed out waiting for|Socket Timeout/i;

/**
 * The rank whose error explains a failed job, in the order the ranks ended: the first that reported
 * an error of its own (not the echo of a peer's death, gloo's "Connection closed by peer"), even when
 * lstmc stopped it afterwards; else the first that failed on its own; else the first that failed.
 */
export function rootFailure(
  exits: readonly RankExit[],
  errorOf: (rank: number) => string | undefined,
): RankExit | undefined {
  const failed = exits.filter((e) => e.code !== 0);
  const own = (e: RankExit) => {
    const error = errorOf(e.rank);
    return error !== undefined && !PEER_GONE.test(error);
  };
  return failed.find(own) ?? failed.find((e) => !(e.stopped && e.signal !== null)) ?? failed[0];
}

/** Splits a byte stream into lines (UTF-8), calling `onLine` for each, the last one at the end. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const dec = new StringDecoder('utf8');
    let buf = '';
    stream.on('data', (b: Buffer) => {
      buf += dec.write(b);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      buf += dec.end();
      if (buf !== '') onLine(buf.replace(/\r$/, ''));
      resolve();
    });
    stream.on('error', () => resolve());
  });
}

/**
 * Starts the ranks, streams their output line by line, forwards SIGINT/SIGTERM to them (a second
 * signal kills them), and stops the others (3 s) after one fails, as torchrun does. Each rank is a process
 * group leader, so a terminal's Ctrl-C reaches Python once, through lstmc.
 */
async function runRanks(
  commands: { argv: string[]; env: NodeJS.ProcessEnv }[],
  python: string,
  onLine: (rank: number, stream: 'stdout' | 'stderr', line: string) => void,
): Promise<RanksResult> {
  const children: ChildProcess[] = [];
  const exits: RankExit[] = [];
  let interrupted = false;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
  const signalAll = (sig: NodeJS.Signals) => {
    for (const c of alive()) {
      try {
        c.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  const stopAll = (sig: NodeJS.Signals, graceMs: number) => {
    stopping = true;
    signalAll(sig);
    if (killTimer === undefined) {
      killTimer = setTimeout(() => signalAll('SIGKILL'), graceMs);
      killTimer.unref();
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      signalAll('SIGKILL');
      return;
    }
    interrupted = true;
    stopAll(sig === 'SIGTERM' ? 'SIGTERM' : 'SIGINT', 20_000);
  };
  const onExit = () => signalAll('SIGKILL');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    const done = commands.map(
      (cmd, rank) =>
        new Promise<void>((resolve) => {
          const child = spawn(python, cmd.argv, {
            env: cmd.env,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
          });
          children.push(child);
          const out = lines(child.stdout!, (l) => onLine(rank, 'stdout', l));
          const err = lines(child.stderr!, (l) => onLine(rank, 'stderr', l));
          let spawnError: Error | undefined;
          child.on('error', (e) => {
            spawnError = e;
          });
          child.on('close', (code, signal) => {
            void Promise.all([out, err]).then(() => {
              const exit: RankExit = { rank, code, signal, stopped: stopping };
              if (spawnError !== undefined) {
                exit.code = exit.code ?? 127;
                onLine(rank, 'stderr', `cannot start ${python}: ${spawnError.message}`);
              }
              exits.push(exit);
              // The other ranks would wait for a failed one in their next collective: stop them, after a
              // moment in which the one whose error started it all reports it (its peers see only a
              // closed connection, and may end first).
              if (exit.code !== 0 && !stopping && stopTimer === undefined)
                stopTimer = setTimeout(() => stopAll('SIGTERM', 5_000), 3_000);
              resolve();
            });
          });
        }),
    );
    await Promise.all(done);
  } finally {
    if (killTimer !== undefined) clearTimeout(killTimer);
    if (stopTimer !== undefined) clearTimeout(stopTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  return { exits, interrupted };
}

/** The loopback interface's name for gloo and NCCL. */
function loopbackInterface(): string {
  return process.platform === 'darwin' ? 'lo0' : 'lo';
}

// ---------------------------------------------------------------------------------------------
// Compile and export

/** Writes `<Model>.py` into `dir` (as `lstmc compile --target pytorch` would); returns its path. */
async function writeModule(o: TorchTrainOptions, dir: string): Promise<string> {
  const emit = await import('../emit/pytorch.js');
  const source = readFileSync(o.specFile, 'utf8');
  const input: import('../emit/pytorch.js').PytorchEmitInput = {
    model: o.model,
    options: {
      sourcePath: o.model.file,
      source,
      version: lstmcVersion(),
      ...(o.params !== undefined ? { params: o.params } : {}),
    },
  };
  const problems = emit.checkPytorchInputs([input]);
  if (problems.length > 0) {
    process.stderr.write(
      formatPretty(problems, new Map([[o.model.file, source]]), {
        color: shouldUseColor(process.stderr),
        fileCount: 1,
      }),
    );
    process.stderr.write(
      `lstmc: error: ${o.model.name} does not lower to PyTorch (above); train it with --engine tfjs.\n`,
    );
    throw new Reported(1);
  }
  // The TF.js model.json the module embeds (for save_tfjs), as `lstmc compile --target pytorch` builds it.
  const rt = await import('../runtime/index.js');
  await rt.setupBackend('cpu');
  input.tfSpec = rt.toTfModelSpec(o.model);
  input.modelJson = await tfjsModelJson(input.tfSpec);
  const { modules, diagnostics } = emit.emitPytorchModules([input]);
  const mod = modules[0];
  if (diagnostics.length > 0 || mod === undefined)
    throw new Error(`the PyTorch emitter gave no module for ${o.model.name}`);
  const file = path.join(dir, mod.fileName);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, mod.text);
  } finally {
    closeSync(fd);
  }
  return file;
}

interface DataMeta {
  source?: { description?: string };
  samples?: { train?: number; test?: number; validation?: number };
  train?: { batchSize?: number; epochs?: number };
}

/** Runs `lstmc data SPEC --out DIR` as a child process; its errors are printed as it prints them. */
function exportData(o: TorchTrainOptions, dataDir: string): DataMeta {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [main, 'data', o.specFile, '--out', dataDir, '--model', o.model.name];
  for (const [k, v] of Object.entries(o.params ?? {})) args.push('--param', `${k}=${v}`);
  if (o.samples !== undefined) args.push('--samples', String(o.samples));
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`cannot run \`lstmc data\`: ${r.error.message}`);
  if (r.status !== 0) {
    // The spec's warnings were printed already (by the train command's check); its errors were not.
    const errors = (r.stderr ?? '').split('\n').filter((l) => l.startsWith('lstmc: '));
    process.stderr.write(errors.length > 0 ? errors.join('\n') + '\n' : (r.stderr ?? ''));
    throw new Reported(r.status ?? 1);
  }
  return JSON.parse(readFileSync(path.join(dataDir, 'meta.json'), 'utf8')) as DataMeta;
}

// ---------------------------------------------------------------------------------------------
// The command

/** `lstmc train --engine torch`: sets process.exitCode; throws UsageError / TorchTrainError. */
export async function trainWithTorch(o: TorchTrainOptions): Promise<void> {
  let py: TorchPython;
  try {
    py = findTorchPython(o.python !== undefined ? { python: o.python } : {});
  } catch (e) {
    if (e instanceof TorchUnavailableError) throw new TorchTrainError(e.message, e.exitCode);
    throw e;
  }
  if (o.device === 'cuda' && !py.cuda)
    throw new UsageError(
      `--device cuda: CUDA is not available to PyTorch ${py.torch} in ${py.python} (torch.cuda.is_available() is False); use --device cpu.`,
    );
  const tmp = mkdtempSync(path.join(tmpdir(), 'lstmc-torch-'));
  let keepTmp = false;
  const progress = createProgress(o.progress, o.json ? process.stderr : process.stdout);
  try {
    const moduleFile = await writeModule(o, tmp);
    const dataDir = path.join(tmp, 'data');
    const meta = exportData(o, dataDir);
    const samples = meta.samples ?? {};
    const nTrain = samples.train ?? 0;
    const nFit = nTrain - (samples.validation ?? 0);
    progress.message(
      `${o.model.name}: PyTorch ${py.torch} (${py.python}; ${py.cuda ? 'CUDA available' : 'no CUDA'}) on ${o.device}` +
        `${o.nproc > 1 ? ` × ${o.nproc} processes` : ''}; data: ${meta.source?.description ?? '?'}; ` +
        `${nTrain} training samples${samples.test ? `, ${samples.test} test` : ''}`,
    );

    const logPath = path.join(tmp, 'train.log');
    const logFd = openSync(logPath, 'w');
    const log = (s: string) => void writeSync(logFd, s + '\n');
    const trainArgs = [moduleFile, 'train', '--data', dataDir, '--out', o.outDir, '--device', o.device];
    if (o.epochs !== undefined) trainArgs.push('--epochs', String(o.epochs));
    if (o.batchSize !== undefined) trainArgs.push('--batch-size', String(o.batchSize));
    if (o.resume) trainArgs.push('--resume');
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
    const commands =
      o.nproc === 1
        ? [{ argv: trainArgs, env: baseEnv }]
        : Array.from({ length: o.nproc }, (_, rank) => ({
            argv: ['-c', RANK_BOOTSTRAP, ...trainArgs],
            env: {
              ...baseEnv,
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              GROUP_RANK: '0',
              ROLE_RANK: String(rank),
              WORLD_SIZE: String(o.nproc),
              LOCAL_WORLD_SIZE: String(o.nproc),
              ROLE_WORLD_SIZE: String(o.nproc),
              MASTER_ADDR: '127.0.0.1',
              LSTMC_DIST_STORE: path.join(tmp, 'dist-store'),
              GLOO_SOCKET_IFNAME: process.env.GLOO_SOCKET_IFNAME ?? loopbackInterface(),
              NCCL_SOCKET_IFNAME: process.env.NCCL_SOCKET_IFNAME ?? loopbackInterface(),
              // As torchrun: one thread per process unless told otherwise.
              OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1',
            },
          }));
    log(`# lstmc ${lstmcVersion()} train --engine torch: ${describeTorchPython(py)}`);
    log(`# ${o.nproc > 1 ? `${o.nproc} ranks: ` : ''}${py.python} ${trainArgs.join(' ')}`);

    const batch = o.batchSize ?? meta.train?.batchSize ?? 32;
    const perRankBatch = Math.max(1, Math.floor(batch / o.nproc));
    const steps = Math.ceil(Math.ceil(nFit / o.nproc) / perRankBatch);
    const header = new RegExp(`^${o.model.name}: PyTorch \\S+ on `);
    const filters = commands.map(() => new StderrFilter([header]));
    const stderrOf: string[][] = commands.map(() => []);
    const epochsSeen: EpochLine[] = [];
    let final: FinalLine | undefined;

    const run = await runRanks(commands, py.python, (rank, stream, line) => {
      log(o.nproc > 1 ? `[rank ${rank}] ${line}` : line);
      if (stream === 'stderr') {
        stderrOf[rank]!.push(line);
        if (rank === 0 && filters[0]!.show(line)) progress.message(line);
        return;
      }
      if (rank !== 0) return;
      const m = parseModuleLine(line);
      if (m === undefined) return;
      if (m.kind === 'final') {
        final = m.line;
        return;
      }
      const parsed = m.line;
      epochsSeen.push(parsed);
      const logs = epochLogs(parsed);
      const ms = typeof parsed.seconds === 'number' ? parsed.seconds * 1000 : 0;
      progress.epochBegin(parsed.epoch - 1, parsed.epochs, steps);
      progress.epochEnd(parsed.epoch - 1, parsed.epochs, logs, ms);
    });
    closeSync(logFd);
    progress.close();

    const lastEpoch = epochsSeen[epochsSeen.length - 1]?.epoch;
    if (run.interrupted) {
      const resume = `lstmc train ${o.model.file} --engine torch --out ${o.outDir} --resume`;
      process.stderr.write(
        lastEpoch !== undefined
          ? `lstmc: interrupted; ${o.outDir} holds the checkpoint of epoch ${lastEpoch}: continue with \`${resume}\`.\n`
          : `lstmc: interrupted before an epoch of this run completed; nothing new was saved.\n`,
      );
      process.exitCode = 130;
      return;
    }

    const ok = run.exits.every((e) => e.code === 0);
    const summary = (rank: number) =>
      summarizePythonFailure(
        stderrOf[rank]!,
        run.exits.find((e) => e.rank === rank)!,
        moduleFile,
      );
    const failed = rootFailure(run.exits, (rank) => pythonError(stderrOf[rank]!, moduleFile));
    if (!ok && final?.stopReason === 'nan' && run.exits.every((e) => e.signal === null)) {
      // The module said why (shown above) and kept the last good checkpoint.
      process.exitCode = 1;
      return;
    }
    if (!ok) {
      keepTmp = true;
      const where = keepLog(logPath, o.outDir);
      if (where !== logPath) keepTmp = false;
      const reason =
        final?.replicas !== undefined && !final.replicas.identical
          ? `the ${final.replicas.world} processes ended with different weights`
          : summary(failed!.rank);
      const who = o.nproc > 1 ? ` (rank ${failed!.rank} of ${o.nproc})` : '';
      throw new TorchTrainError(`PyTorch training failed${who}: ${reason}\n  The full log is in ${where}.`);
    }

    if (o.json) {
      const seconds = epochsSeen.reduce((a, e) => a + (typeof e.seconds === 'number' ? e.seconds : 0), 0);
      const samplesSeen = epochsSeen.reduce(
        (a, e) =>
          a + (typeof e.seconds === 'number' && typeof e.samples_per_s === 'number' ? e.seconds * e.samples_per_s : 0),
        0,
      );
      const last = epochsSeen[epochsSeen.length - 1];
      process.stdout.write(
        JSON.stringify({
          model: o.model.name,
          engine: 'torch',
          backend: `torch-${o.device}`,
          python: py.python,
          torch: py.torch,
          nproc: o.nproc,
          epochs: final?.epochs ?? lastEpoch ?? 0,
          initialEpoch: epochsSeen[0] !== undefined ? epochsSeen[0].epoch - 1 : (final?.epochs ?? 0),
          stopReason: final?.stopReason ?? 'epochs',
          final: last !== undefined ? epochLogs(last) : {},
          evaluation: final?.test ?? {},
          fitSeconds: seconds,
          samplesPerSec: seconds > 0 ? samplesSeen / seconds : 0,
          outDir: o.outDir,
          perEpoch: epochsSeen.map((e) => ({
            epoch: e.epoch,
            seconds: e.seconds ?? null,
            samplesPerSec: e.samples_per_s ?? null,
          })),
          ...(final?.replicas !== undefined ? { replicas: final.replicas } : {}),
        }) + '\n',
      );
    }
    process.exitCode = 0;
  } catch (e) {
    if (e instanceof Reported) {
      process.exitCode = e.exitCode;
      return;
    }
    throw e;
  } finally {
    progress.close();
    if (keepTmp) {
      // Only the log stays.
      for (const f of readdirSync(tmp))
        if (f !== 'train.log') rmSync(path.join(tmp, f), { recursive: true, force: true });
    } else rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Keeps the log of a failed run as RUN_DIR/torch-train.log (the directory is created when the run
 * failed before its first checkpoint); returns where it is (the temporary log when RUN_DIR is unusable).
 */
function keepLog(logPath: string, outDir: string): string {
  const dest = path.join(outDir, TORCH_LOG_NAME);
  try {
    mkdirSync(outDir, { recursive: true });
    copyFileSync(logPath, dest);
    return dest;
  } catch {
    return logPath;
  }
}
