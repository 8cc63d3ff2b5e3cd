/**
 * The compiler's public entry points. Loads neither tfjs nor ts-morph.
 * OWNER: core (lower.ts / check). Signatures are shared; see compiler/ir.ts.
 */
import type { Diagnostic } from './diagnostics.js';
import type { IRModel } from './ir.js';

export interface CheckOptions {
  /** `--param name=value` overrides, raw strings as typed on the command line. */
  params?: Record<string, string>;
}

export interface CheckResult {
  file: string;
  /** Models that lowered without errors (others are omitted). */
  models: IRModel[];
  diagnostics: Diagnostic[];
}

/** Parse + lower + check one source text. Never throws on bad input. */
export declare function checkSource(source: string, file: string, options?: CheckOptions): CheckResult;
