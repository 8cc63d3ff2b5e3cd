/**
 * Finding a Python that runs PyTorch, for `lstmc train --engine torch`.
 *
 * The interpreter is, in order: `--python PATH` (the `python` option), else the environment variable
 * `LSTMC_PYTHON`, else the first of `python3`, `/usr/bin/python3`, `python` whose
 * `-c "import torch, numpy"` succeeds. A system package (Debian's `python3-torch`) installs into the
 * system Python, which is often not the first `python3` on PATH (pyenv, virtualenvs): hence the search.
 * An interpreter the user names (option or variable) is the only one tried.
 *
 * Every probe runs a small program that catches its own import errors and prints one JSON line, so a
 * missing module, a missing file or something that is not Python becomes one sentence
 * (`TorchUnavailableError`, exit code 1) with the install hint, never a Python traceback.
 *
 * Nothing here loads tfjs; the probe is synchronous (the CLI waits for it anyway).
 */
import { spawnSync } from 'node:child_process';

/** Searched in this order when neither `--python` nor `LSTMC_PYTHON` names an interpreter. */
export const PYTHON_CANDIDATES: readonly string[] = ['python3', '/usr/bin/python3', 'python'];

/** The environment variable naming the interpreter. */
export const PYTHON_ENV = 'LSTMC_PYTHON';

/** How to install what is missing (one sentence fragment). */
export const TORCH_INSTALL_HINT =
  'install them (Debian/Ubuntu: apt-get install python3-torch python3-numpy libopenblas0-pthread; ' +
  'elsewhere: pip install torch numpy)';

/** A Python that imports torch and numpy, and what it offers. */
export interface TorchPython {
  /** The interpreter as given or found (a command on PATH or a path): what lstmc runs. */
  python: string;
  /** Its `sys.executable`. */
  executable: string;
  /** Its version, e.g. `3.11.2`. */
  pythonVersion: string;
  torch: string;
  numpy: string;
  /** `torch.cuda.is_available()`. */
  cuda: boolean;
  /** `torch.cuda.device_count()` (0 without CUDA). */
  cudaDevices: number;
  /** Where the choice came from. */
  via: 'option' | 'env' | 'search';
}

/** No usable Python: a user-facing message (install hint included), exit code 1. */
export class TorchUnavailableError extends Error {
  override name = 'TorchUnavailableError';
  readonly exitCode = 1;
}

/** What one interpreter gave: its facts, or why it cannot be used (a sentence fragment). */
export type ProbeResult = { ok: true; info: Omit<TorchPython, 'via'> } | { ok: false; why: string };

const MARK = 'LSTMC-PROBE ';

/**
 * The probe: Python 2 and 3 syntax, catches everything (a broken install included), prints one marked
 * JSON line: versions, the modules missing, the first import error, CUDA availability.
 */
export const PROBE_PROGRAM = `
import sys, json
r = {"python": sys.version.split()[0], "executable": sys.executable, "missing": []}
for name in ("torch", "numpy"):
    try:
        m = __import__(name)
        r[name] = str(m.__version__)
    except BaseException as e:
        r["missing"].append(name)
        r.setdefault("error", "%s: %s" % (type(e).__name__, e))
if "torch" in r:
    try:
        import torch
        r["cuda"] = bool(torch.cuda.is_available())
        r["cudaDevices"] = int(torch.cuda.device_count()) if r["cuda"] else 0
    except BaseException as e:
        r["cuda"] = False
        r["cudaDevices"] = 0
sys.stdout.write("${MARK}" + json.dumps(r) + "\\n")
sys.stdout.flush()
`;

interface ProbeJson {
  python?: string;
  executable?: string;
  missing?: string[];
  error?: string;
  torch?: string;
  numpy?: string;
  cuda?: boolean;
  cudaDevices?: number;
}

/** Runs the probe with one interpreter. */
export function probePython(
  python: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): ProbeResult {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const r = spawnSync(python, ['-c', PROBE_PROGRAM], {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...(options.env ?? process.env), PYTHONDONTWRITEBYTECODE: '1' },
    maxBuffer: 4 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, why: python.includes('/') ? 'no such file' : 'not found on PATH' };
    if (code === 'EACCES') return { ok: false, why: 'not executable' };
    if (code === 'ETIMEDOUT') return { ok: false, why: `did not answer within ${Math.round(timeoutMs / 1000)} s` };
    return { ok: false, why: `cannot run it (${code ?? r.error.message})` };
  }
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(MARK));
  let j: ProbeJson | undefined;
  try {
    j = line !== undefined ? (JSON.parse(line.slice(MARK.length)) as ProbeJson) : undefined;
  } catch {
    j = undefined;
  }
  if (j === undefined) {
    const last = (r.stderr ?? '').trim().split('\n').pop()?.trim() ?? '';
    const status = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    return { ok: false, why: `does not run as Python (${status}${last ? `: ${clip(last, 160)}` : ''})` };
  }
  const version = `Python ${j.python ?? '?'}`;
  const where = j.executable && j.executable !== python ? `${j.executable}, ${version}` : version;
  const missing = j.missing ?? [];
  if (missing.length > 0 || j.torch === undefined || j.numpy === undefined) {
    const what = missing.length > 0 ? missing.join(' and ') : 'torch';
    return { ok: false, why: `(${where}) has no ${what}${j.error ? ` (${clip(j.error, 160)})` : ''}` };
  }
  return {
    ok: true,
    info: {
      python,
      executable: j.executable ?? python,
      pythonVersion: j.python ?? '',
      torch: j.torch,
      numpy: j.numpy,
      cuda: j.cuda === true,
      cudaDevices: j.cudaDevices ?? 0,
    },
  };
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** `name: why` or `name (details) has no torch` — the probe's fragment joined to the name. */
function describe(python: string, why: string): string {
  return why.startsWith('(') ? `${python} ${why}` : `${python}: ${why}`;
}

export interface FindTorchPythonOptions {
  /** `--python PATH`: the only interpreter tried. */
  python?: string;
  /** Where `LSTMC_PYTHON` is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The search order (default PYTHON_CANDIDATES). */
  candidates?: readonly string[];
  timeoutMs?: number;
}

/**
 * The interpreter to run PyTorch with (see the file comment), or a TorchUnavailableError whose message
 * says what was tried, why each failed, and how to install torch.
 */
export function findTorchPython(options: FindTorchPythonOptions = {}): TorchPython {
  const env = options.env ?? process.env;
  const fromEnv = env[PYTHON_ENV];
  const probeOpts = { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), env };
  const named =
    options.python !== undefined
      ? { python: options.python, via: 'option' as const, label: `--python ${options.python}` }
      : fromEnv !== undefined && fromEnv !== ''
        ? { python: fromEnv, via: 'env' as const, label: `${PYTHON_ENV}=${fromEnv}` }
        : undefined;
  const advice =
    `--engine torch needs a Python 3 that imports torch and numpy: ${TORCH_INSTALL_HINT}, ` +
    `or name such an interpreter with --python PATH (or ${PYTHON_ENV}).`;
  if (named !== undefined) {
    if (named.python.trim() === '') throw new TorchUnavailableError(`${named.label}: an empty path. ${advice}`);
    const p = probePython(named.python, probeOpts);
    if (p.ok) return { ...p.info, via: named.via };
    throw new TorchUnavailableError(`${describe(named.label, p.why)}. ${advice}`);
  }
  const tried: string[] = [];
  for (const python of options.candidates ?? PYTHON_CANDIDATES) {
    const p = probePython(python, probeOpts);
    if (p.ok) return { ...p.info, via: 'search' };
    tried.push(describe(python, p.why));
  }
  throw new TorchUnavailableError(`No Python with PyTorch found (${tried.join('; ')}). ${advice}`);
}

/** One line about the interpreter: `/usr/bin/python3 (Python 3.11.2, PyTorch 1.13.0, CUDA not available)`. */
export function describeTorchPython(p: TorchPython): string {
  const cuda = p.cuda
    ? `CUDA available, ${p.cudaDevices} device${p.cudaDevices === 1 ? '' : 's'}`
    : 'CUDA not available';
  const exe = p.executable !== p.python && p.executable !== '' ? ` → ${p.executable}` : '';
  return `${p.python}${exe} (Python ${p.pythonVersion}, PyTorch ${p.torch}, ${cuda})`;
}
