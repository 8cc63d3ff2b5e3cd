/**
 * Front-end entry: pick the front end by file extension. Both return the same AST.
 * Never throws on bad input: syntax problems come back as diagnostics.
 */
import type { SpecFile } from './ast.js';
import type { Diagnostic } from '../compiler/diagnostics.js';

export interface ParseResult {
  spec: SpecFile;
  diagnostics: Diagnostic[];
}

export type SpecFormat = 'lstm' | 'yaml';

export function formatOf(file: string): SpecFormat | undefined {
  const f = file.toLowerCase();
  if (f.endsWith('.lstm')) return 'lstm';
  if (f.endsWith('.yaml') || f.endsWith('.yml')) return 'yaml';
  return undefined;
}

export { parseLstm } from './lstm.js';
export { parseYaml } from './yaml.js';
import { parseLstm } from './lstm.js';
import { parseYaml } from './yaml.js';

export function parseSpec(source: string, file: string, format: SpecFormat = formatOf(file) ?? 'lstm'): ParseResult {
  return format === 'yaml' ? parseYaml(source, file) : parseLstm(source, file);
}
