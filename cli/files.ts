/**
 * Expand `lstmc check` arguments (files, directories, globs, `-` for stdin) into a sorted,
 * deduplicated list of files, and read them.
 */
import { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';

/** tinyglobby is loaded only when an argument is not an existing path. */
async function tinyglobby(): Promise<typeof import('tinyglobby')> {
  return import('tinyglobby');
}

/** A usage error: the CLI prints one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const SPEC_EXTENSIONS: readonly string[] = ['.lstm', '.yaml', '.yml'];
export const STDIN = '-';
export const STDIN_NAME = '<stdin>';

const SKIP_DIRS = new Set(['node_modules']);

export interface InputFile {
  /** Path as shown in diagnostics: relative to cwd when inside it, forward slashes; `<stdin>` for `-`. */
  display: string;
  /** Absolute path ('' for stdin). */
  absolute: string;
  stdin: boolean;
}

export interface ExpandResult {
  files: InputFile[];
  /** Arguments that matched nothing (missing paths, empty globs, directories without specs). */
  unmatched: string[];
}

function toPosix(p: string): string {
  return p.replace(/\\/g, '/');
}

/** Relative to cwd when inside it, else the absolute path; forward slashes. */
export function displayPath(absolute: string, cwd: string): string {
  const rel = path.relative(cwd, absolute);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return toPosix(rel);
  return toPosix(absolute);
}

export function isSpecFile(name: string): boolean {
  const lower = name.toLowerCase();
  return SPEC_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
      await walk(full, out);
    } else if ((e.isFile() || e.isSymbolicLink()) && isSpecFile(e.name)) {
      out.push(full);
    }
  }
}

/** Expand arguments. Never throws on a missing path: it is reported in `unmatched`. */
export async function expandInputs(args: readonly string[], cwd: string = process.cwd()): Promise<ExpandResult> {
  const seen = new Map<string, InputFile>();
  const unmatched: string[] = [];
  let stdin = false;
  const add = (abs: string): void => {
    const absolute = path.resolve(abs);
    if (!seen.has(absolute)) seen.set(absolute, { display: displayPath(absolute, cwd), absolute, stdin: false });
  };
  for (const arg of args) {
    if (arg === STDIN) {
      stdin = true;
      continue;
    }
    const abs = path.resolve(cwd, arg);
    let stat: Awaited<ReturnType<typeof fsp.stat>> | undefined;
    try {
      stat = await fsp.stat(abs);
    } catch {
      stat = undefined;
    }
    if (stat !== undefined) {
      if (stat.isDirectory()) {
        const found: string[] = [];
        await walk(abs, found);
        if (found.length === 0) unmatched.push(arg);
        found.forEach(add);
      } else {
        // An explicit file is checked whatever its extension.
        add(abs);
      }
      continue;
    }
    const { glob, isDynamicPattern } = await tinyglobby();
    if (isDynamicPattern(arg)) {
      const matches = await glob([toPosix(arg)], {
        cwd,
        onlyFiles: true,
        absolute: true,
        expandDirectories: false,
        dot: false,
        ignore: ['**/node_modules/**'],
      });
      if (matches.length === 0) unmatched.push(arg);
      matches.forEach(add);
      continue;
    }
    unmatched.push(arg);
  }
  const files = [...seen.values()].sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  if (stdin) files.push({ display: STDIN_NAME, absolute: '', stdin: true });
  return { files, unmatched };
}

/** Decode bytes as UTF-8 without failing: invalid sequences become U+FFFD (front ends detect binary). */
export function decodeSource(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

export async function readInput(file: InputFile): Promise<ReadResult> {
  try {
    const bytes = file.stdin ? await readStdin() : await fsp.readFile(file.absolute);
    return { ok: true, text: decodeSource(bytes) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'EACCES' || err.code === 'EPERM'
        ? 'permission denied'
        : err.code === 'ENOENT'
          ? 'no such file'
          : err.code === 'EISDIR'
            ? 'is a directory'
            : (err.message ?? String(e));
    return { ok: false, reason };
  }
}
