/**
 * chevrotain, loaded from its prebuilt single-file bundle.
 *
 * The package's `exports` entry (lib/src/api.js) pulls in lodash-es as ~800 separate ES modules,
 * which costs ~250 ms of `lstmc check` cold start; the bundle it ships (lib/chevrotain.min.mjs, same
 * version, same API) loads in ~10 ms. `exports` hides the bundle from a bare specifier, so we locate
 * it next to the resolved entry. If a future layout lacks it, fall back to the normal entry.
 * Types always come from the package's own declarations.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

async function load(): Promise<Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain'); // .../lib/src/api.js
    const bundle = join(dirname(entry), '..', 'chevrotain.min.mjs');
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  } catch {
    // fall through to the package entry
  }
  return import('chevrotain');
}

const chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF, tokenMatcher } = chevrotain;
export type { CstElement, CstNode, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
