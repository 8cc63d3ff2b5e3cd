/**
 * Front-end entry: pick the front end by file extension. Both return the same AST.
 * Never throws on bad input: syntax problems come back as diagnostics.
 */
import type { LayerHintSyntax, LayerSyntax, ParseResult } from './ast.js';

export type { LayerHintSyntax, LayerSyntax, ParseResult } from './ast.js';

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

export function parseSpec(
  source: string,
  file: string,
  syntax: LayerSyntax & LayerHintSyntax,
  format: SpecFormat = formatOf(file) ?? 'lstm',
): ParseResult {
  return format === 'yaml' ? parseYaml(source, file, syntax) : parseLstm(source, file);
}
