import { readFileSync } from 'node:fs';

/** lstmc's version from its package.json (source and dist layouts). */
export function lstmcVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'lstmc' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // next candidate
    }
  }
  return '0.0.0';
}
