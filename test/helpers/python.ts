/**
 * Python for the PyTorch suites: find an interpreter that imports torch, and run one Python program
 * over a whole batch of cases (JSON on stdin, JSON on stdout), so a suite starts Python once.
 *
 * The interpreter: `LSTMC_PYTHON` when set (and only it), else the first of `python3`,
 * `/usr/bin/python3`, `python` that imports torch and numpy. Debian's `python3-torch` installs into
 * the system Python, which is often not the first `python3` on PATH (pyenv, venvs).
 *
 * Arrays cross the boundary as `{ shape, data }` with `data` the base64 of little-endian float32s.
 */
import { spawn, spawnSync } from 'node:child_process';

export type TorchPython = { ok: true; python: string; torch: string } | { ok: false; reason: string };

export const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3', 'python'] as const;

const PROBE = 'import sys, numpy, torch; sys.stdout.write(torch.__version__)';

function probe(python: string): { ok: true; torch: string } | { ok: false; why: string } {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, why: (r.error as NodeJS.ErrnoException).code ?? r.error.message };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { ok: false, why: last || `exit ${r.status}` };
  }
  return { ok: true, torch: r.stdout.trim() };
}

let cached: TorchPython | undefined;

/** The interpreter to run PyTorch code with, or why there is none (memoised). */
export function findTorchPython(): TorchPython {
  if (cached) return cached;
  const fromEnv = process.env.LSTMC_PYTHON;
  const candidates = fromEnv ? [fromEnv] : [...PYTHON_CANDIDATES];
  const tried: string[] = [];
  for (const python of candidates) {
    const p = probe(python);
    if (p.ok) return (cached = { ok: true, python, torch: p.torch });
    tried.push(`${python}: ${p.why}`);
  }
  const where = fromEnv
    ? `LSTMC_PYTHON does not import torch and numpy`
    : `none of ${candidates.join(', ')} imports torch and numpy`;
  return (cached = {
    ok: false,
    reason:
      `No Python with PyTorch found: ${where} (${tried.join('; ')}). ` +
      'Install it (Debian/Ubuntu: apt-get install python3-torch; or pip install torch numpy) ' +
      'or point LSTMC_PYTHON at an interpreter that has it.',
  });
}

/**
 * Whether a PyTorch suite skips: only when no interpreter has torch and `CI` is not set (in CI the
 * suite runs and fails on the missing engine). Says why when it skips.
 */
export function skipWithoutTorch(suite: string): boolean {
  const py = findTorchPython();
  if (py.ok || process.env.CI) return false;
  console.warn(`${suite}: skipped. ${py.reason}`);
  return true;
}

/** The interpreter, or an error saying what is missing (for beforeAll in a suite that must run). */
export function requireTorchPython(): string {
  const py = findTorchPython();
  if (!py.ok) throw new Error(py.reason);
  return py.python;
}

export interface PythonRun<T> {
  result: T;
  /** What the program wrote to stderr (warnings). */
  stderr: string;
  ms: number;
}

/**
 * Run `program` (Python source) once with `input` as JSON on stdin and parse its stdout as JSON.
 * Rejects with the program's stderr when it exits non-zero or prints something that is not JSON.
 */
export function runPythonJson<T = unknown>(
  python: string,
  program: string,
  input: unknown,
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<PythonRun<T>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', program], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1', ...options.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) return reject(new Error(`${python} timed out\n${stderr.slice(-4000)}`));
      if (code !== 0) return reject(new Error(`${python} exited with ${code}\n${stderr.slice(-4000)}`));
      try {
        resolve({ result: JSON.parse(stdout) as T, stderr, ms: Date.now() - started });
      } catch {
        reject(
          new Error(
            `${python} printed something that is not JSON: ${stdout.slice(0, 400)} ... ${stdout.slice(-1500)}\n${stderr.slice(-2000)}`,
          ),
        );
      }
    });
    child.stdin.on('error', () => {
      /* the close handler reports a crashed child */
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** A float32 array as it crosses to Python. */
export interface WireArray {
  shape: number[];
  /** base64 of the little-endian float32 values, row-major. */
  data: string;
}

export function toWire(values: Float32Array | readonly number[], shape: readonly number[]): WireArray {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const n = shape.reduce((a, b) => a * b, 1);
  if (f.length !== n) throw new Error(`toWire: ${f.length} values for shape [${shape.join(', ')}]`);
  const bytes = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  return { shape: [...shape], data: bytes.toString('base64') };
}

export function fromWire(a: WireArray): Float32Array {
  const bytes = Buffer.from(a.data, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Python source: `arr(wire) -> np.ndarray` and `wire(array_or_tensor) -> dict`, to paste into a program. */
export const PY_WIRE_HELPERS = `
import base64 as _b64
import numpy as _np

def arr(a):
    return _np.frombuffer(_b64.b64decode(a["data"]), dtype="<f4").reshape(a["shape"]).copy()

def wire(t):
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    a = _np.ascontiguousarray(_np.asarray(t, dtype="<f4")).reshape(_np.shape(t))  # keeps a scalar 0-d
    return {"shape": list(a.shape), "data": _b64.b64encode(a.tobytes()).decode("ascii")}
`;
