/**
 * The compiler's public entry points. Loads neither tfjs nor ts-morph.
 */
import { parseSpec, type SpecFormat } from '../grammar/index.js';
import { Diagnostics, makeDiagnostic, sortDiagnostics, type Diagnostic } from '../base/diagnostics.js';
import type { SpecFile } from '../grammar/ast.js';
import type { ModelAnalysis } from './analysis.js';
import type { IRModel } from './ir.js';
import { lowerSpec } from './lower/index.js';
import { LAYER_SYNTAX } from './layers/table.js';

export interface CheckOptions {
  /** `--param name=value` overrides, raw strings as typed on the command line. */
  params?: Record<string, string>;
  /** Force a front end; by default chosen from the file extension. */
  format?: SpecFormat;
  /** Also return the AST and the per-model analysis (names, uses, layer calls by position) for editors. */
  analysis?: boolean;
}

export interface CheckResult {
  file: string;
  /** Models that lowered without errors (others are omitted). */
  models: IRModel[];
  diagnostics: Diagnostic[];
  /** With `analysis: true`: the (possibly partial) AST and what the checker knows of each model. */
  spec?: SpecFile;
  analysis?: ModelAnalysis[];
}

/** Parse + lower + check one source text. Never throws on bad input. */
export function checkSource(source: string, file: string, options: CheckOptions = {}): CheckResult {
  try {
    const parsed = parseSpec(source, file, LAYER_SYNTAX, options.format);
    const syntaxErrors = parsed.diagnostics.some((d) => d.severity === 'error');
    // Lower even with syntax errors (recovery gives a partial AST) for more diagnostics per run,
    // but hand no model onwards.
    const lowered = lowerSpec(parsed.spec, {
      ...(options.params ? { params: options.params } : {}),
      afterSyntaxErrors: syntaxErrors,
    });
    // On a line the front end already rejected, what the checker says about the recovered (partial)
    // AST is a consequence, not news.
    const badLines = new Set(
      parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}`),
    );
    // YAML has no useful error recovery: after a YAML syntax error the rest of the document may be
    // swallowed into a string or a wrong collection, so the checker's view of it is not news either.
    const yamlBroken =
      parsed.spec.format === 'yaml' &&
      parsed.diagnostics.some((d) => d.code === 'LSTM1010' || d.code === 'LSTM1002' || d.code === 'LSTM1012');
    const checked = yamlBroken ? [] : lowered.diagnostics.items.filter((d) => !badLines.has(`${d.file}:${d.line}`));
    const diagnostics = sortDiagnostics(dedupe([...parsed.diagnostics, ...checked]));
    const result: CheckResult = { file, models: syntaxErrors ? [] : lowered.models, diagnostics };
    if (options.analysis === true) {
      result.spec = parsed.spec;
      result.analysis = lowered.analysis;
    }
    return result;
  } catch (e) {
    // A bug in lstmc, never the user's fault: say so, located at the file.
    const msg = e instanceof Error ? e.message : String(e);
    const d = makeDiagnostic(
      Diagnostics.Internal,
      { file, line: 1, column: 1, endLine: 1, endColumn: 1 },
      { message: msg },
    );
    return { file, models: [], diagnostics: [d] };
  }
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export { lowerSpec, parseParamOverride } from './lower/index.js';
export type { Diagnostic } from '../base/diagnostics.js';
export type { IRModel } from './ir.js';
export type { CallInfo, ModelAnalysis, SymbolDefinition, SymbolUse } from './analysis.js';
