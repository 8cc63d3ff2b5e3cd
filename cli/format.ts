/**
 * Diagnostic output formats for `lstmc check` (pretty, json, sarif, github).
 *
 * Every formatter is a pure function of the diagnostics (and, for `pretty`, the source texts):
 * no I/O, no environment reads. The CLI decides colour, the version string and the file count.
 *
 * The `json` shape is a public contract (LANGUAGE.md section 5); keep it exact.
 */
import { createRequire } from 'node:module';
import {
  Diagnostics,
  sortDiagnostics,
  type Diagnostic,
  type DiagnosticDef,
  type Severity,
} from '../base/diagnostics.js';

export const FORMATS = ['pretty', 'json', 'sarif', 'github'] as const;
export type OutputFormat = (typeof FORMATS)[number];

export const LSTMC_INFORMATION_URI = 'https://www.npmjs.com/package/lstmc';
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Source texts by the diagnostic's `file` (as given to the checker). */
export type Sources = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface FormatOptions {
  /** ANSI colours in `pretty` (the CLI decides from the TTY / NO_COLOR / FORCE_COLOR). */
  color?: boolean;
  /** Number of files checked, for the `pretty` summary line. */
  fileCount?: number;
  /** Tool version for SARIF. */
  version?: string;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Forward slashes, no leading `./`. */
export function normalizePath(file: string): string {
  let p = file.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

function sourceOf(sources: Sources | undefined, file: string): string | undefined {
  if (sources === undefined) return undefined;
  if (sources instanceof Map) return (sources as ReadonlyMap<string, string>).get(file);
  const rec = sources as Readonly<Record<string, string>>;
  return Object.prototype.hasOwnProperty.call(rec, file) ? rec[file] : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function countBySeverity(diags: readonly Diagnostic[]): {
  errorCount: number;
  warningCount: number;
  infoCount: number;
} {
  let errorCount = 0;
  let warningCount = 0;
  let infoCount = 0;
  for (const d of diags) {
    if (d.severity === 'error') errorCount++;
    else if (d.severity === 'warning') warningCount++;
    else infoCount++;
  }
  return { errorCount, warningCount, infoCount };
}

// @babel/code-frame (CommonJS) is loaded on first use: a clean run never pays for it.
type CodeFrameColumns = typeof import('@babel/code-frame').codeFrameColumns;
let codeFrameColumnsFn: CodeFrameColumns | undefined;
function codeFrameColumns(...args: Parameters<CodeFrameColumns>): string {
  codeFrameColumnsFn ??= (createRequire(import.meta.url)('@babel/code-frame') as typeof import('@babel/code-frame'))
    .codeFrameColumns;
  return codeFrameColumnsFn(...args);
}

const byCode: ReadonlyMap<string, DiagnosticDef> = new Map(
  Object.values(Diagnostics).map((def: DiagnosticDef) => [def.code, def] as const),
);

/** The table entry for a code, if any. */
export function diagnosticDef(code: string): DiagnosticDef | undefined {
  return byCode.get(code);
}

/** Clamp a position to sane 1-based values with end >= start. */
function region(d: Diagnostic): { startLine: number; startColumn: number; endLine: number; endColumn: number } {
  const startLine = Math.max(1, Math.trunc(d.line) || 1);
  const startColumn = Math.max(1, Math.trunc(d.column) || 1);
  let endLine = Math.max(startLine, Math.trunc(d.endLine) || startLine);
  let endColumn = Math.max(1, Math.trunc(d.endColumn) || startColumn);
  if (endLine === startLine && endColumn < startColumn) endColumn = startColumn;
  if (!Number.isFinite(endLine)) endLine = startLine;
  return { startLine, startColumn, endLine, endColumn };
}

// ---------------------------------------------------------------------------------------------
// pretty

const ansi = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
};

function paint(on: boolean, codes: string, text: string): string {
  return on ? `${codes}${text}${ansi.reset}` : text;
}

function severityColor(s: Severity): string {
  return s === 'error' ? ansi.red : s === 'warning' ? ansi.yellow : ansi.cyan;
}

/** Longest source line a code frame shows; longer ones are clipped around the span. */
const FRAME_WIDTH = 120;

/** A code frame with a caret under the span, or '' when the source is not available / out of range. */
export function codeFrame(source: string | undefined, d: Diagnostic, color = false): string {
  // A binary file has nothing worth showing (and its bytes would garble the terminal).
  if (source === undefined || d.code === 'LSTM1007') return '';
  const all = source.split(/\r\n|\r|\n/);
  const r0 = region(d);
  if (r0.startLine > all.length) return '';
  // Only the lines the frame shows matter: blank the others (keeps the gutter's line numbers) and
  // clip long lines to a window around the span's start, so a 20,000-character line stays readable.
  const first = Math.max(1, r0.startLine - 1);
  const last = Math.min(all.length, Math.max(r0.endLine, r0.startLine) + 1);
  const shift = r0.startColumn > FRAME_WIDTH - 20 ? r0.startColumn - 21 : 0;
  const lines = all.map((line, i) => {
    if (i + 1 < first || i + 1 > last) return '';
    // Control characters (other than tab) are shown as U+FFFD, one for one, so columns stay put.
    let shown = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
    if (shift > 0) shown = shown.length > shift + 1 ? '…' + shown.slice(shift + 1) : '';
    if (shown.length > FRAME_WIDTH) shown = shown.slice(0, FRAME_WIDTH - 1) + '…';
    return shown;
  });
  source = lines.slice(0, last).join('\n');
  const r = {
    ...r0,
    startColumn: Math.max(1, r0.startColumn - shift),
    endColumn: Math.max(1, Math.min(r0.endColumn - shift, FRAME_WIDTH)),
  };
  const endLine = Math.min(r.endLine, lines.length);
  const lastLen = lines[endLine - 1]!.length;
  // An empty span still gets one caret; clamp the end to just past the end of its line.
  let endColumn = endLine === r.endLine ? Math.min(r.endColumn, lastLen + 1) : lastLen + 1;
  if (endLine === r.startLine && endColumn <= r.startColumn) endColumn = r.startColumn + 1;
  try {
    return codeFrameColumns(
      source,
      { start: { line: r.startLine, column: r.startColumn }, end: { line: endLine, column: endColumn } },
      { highlightCode: color, forceColor: color, linesAbove: 1, linesBelow: 1 },
    );
  } catch {
    return '';
  }
}

export function formatPretty(
  diagnostics: readonly Diagnostic[],
  sources?: Sources,
  options: FormatOptions = {},
): string {
  const color = options.color === true;
  const out: string[] = [];
  for (const d of sortDiagnostics([...diagnostics])) {
    const loc = `${normalizePath(d.file)}:${d.line}:${d.column}`;
    const sev = paint(color, ansi.bold + severityColor(d.severity), d.severity);
    const code = paint(color, ansi.dim, d.code);
    out.push(`${paint(color, ansi.bold, loc)} ${sev} ${code} ${d.message}`);
    const frame = codeFrame(sourceOf(sources, d.file), d, color);
    if (frame !== '') out.push(frame);
    if (d.hint !== undefined && d.hint !== '') out.push(`  ${paint(color, ansi.cyan, 'hint:')} ${d.hint}`);
    out.push('');
  }
  const { errorCount, warningCount } = countBySeverity(diagnostics);
  const files = options.fileCount ?? new Set(diagnostics.map((d) => d.file)).size;
  const summary = `${plural(errorCount, 'error')}, ${plural(warningCount, 'warning')} in ${plural(files, 'file')}`;
  const sumColor = errorCount > 0 ? ansi.red : warningCount > 0 ? ansi.yellow : '';
  out.push(paint(color && sumColor !== '', ansi.bold + sumColor, summary));
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// json (contract: LANGUAGE.md section 5)

/** One diagnostic in the JSON output: exactly the fields of a `Diagnostic`. */
export type JsonDiagnostic = Diagnostic;

export interface JsonReport {
  diagnostics: JsonDiagnostic[];
  errorCount: number;
  warningCount: number;
}

export function toJsonReport(diagnostics: readonly Diagnostic[]): JsonReport {
  const list = sortDiagnostics([...diagnostics]).map((d) => {
    const j: JsonDiagnostic = {
      file: normalizePath(d.file),
      line: d.line,
      column: d.column,
      endLine: d.endLine,
      endColumn: d.endColumn,
      severity: d.severity,
      code: d.code,
      message: d.message,
    };
    if (d.hint !== undefined && d.hint !== '') j.hint = d.hint;
    return j;
  });
  const { errorCount, warningCount } = countBySeverity(diagnostics);
  return { diagnostics: list, errorCount, warningCount };
}

export function formatJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(toJsonReport(diagnostics), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// sarif 2.1.0 (GitHub code scanning)

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(s: Severity): SarifLevel {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: {
      driver: {
        name: string;
        informationUri: string;
        version: string;
        rules: Array<{
          id: string;
          name?: string;
          shortDescription: { text: string };
          defaultConfiguration: { level: SarifLevel };
          help?: { text: string };
        }>;
      };
    };
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: SarifLevel;
      message: { text: string };
      locations: Array<{
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId: '%SRCROOT%' };
          region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
        };
      }>;
    }>;
    columnKind: 'utf16CodeUnits';
  }>;
}

/** A relative URI reference for a path: forward slashes, each segment percent-encoded. */
export function sarifUri(file: string): string {
  return normalizePath(file)
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

export function toSarif(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): SarifLog {
  const sorted = sortDiagnostics([...diagnostics]);
  const ruleIds: string[] = [];
  const ruleIndex = new Map<string, number>();
  const ruleLevel = new Map<string, SarifLevel>();
  for (const d of sorted) {
    if (!ruleIndex.has(d.code)) {
      ruleIndex.set(d.code, ruleIds.length);
      ruleIds.push(d.code);
      ruleLevel.set(d.code, sarifLevel(diagnosticDef(d.code)?.severity ?? d.severity));
    }
  }
  const rules = ruleIds.map((id) => {
    const def = diagnosticDef(id);
    const name = Object.entries(Diagnostics).find(([, v]) => v.code === id)?.[0];
    const rule: SarifLog['runs'][0]['tool']['driver']['rules'][0] = {
      id,
      shortDescription: { text: def?.doc ?? id },
      defaultConfiguration: { level: ruleLevel.get(id)! },
    };
    if (name !== undefined) rule.name = name;
    if (def?.hint !== undefined && !def.hint.includes('{')) rule.help = { text: def.hint };
    return rule;
  });
  const results = sorted.map((d) => {
    const text = d.hint !== undefined && d.hint !== '' ? `${d.message}\nHint: ${d.hint}` : d.message;
    return {
      ruleId: d.code,
      ruleIndex: ruleIndex.get(d.code)!,
      level: sarifLevel(d.severity),
      message: { text },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: sarifUri(d.file), uriBaseId: '%SRCROOT%' as const },
            region: region(d),
          },
        },
      ],
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'lstmc',
            informationUri: LSTMC_INFORMATION_URI,
            version: options.version ?? '0.0.0',
            rules,
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

export function formatSarif(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string {
  return JSON.stringify(toSarif(diagnostics, options), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// github workflow commands

/** Escape a workflow-command message (data): %, CR, LF. */
export function escapeGithubData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow-command property value: data escapes plus `:` and `,`. */
export function escapeGithubProperty(s: string): string {
  return escapeGithubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(diagnostics: readonly Diagnostic[]): string {
  const lines = sortDiagnostics([...diagnostics]).map((d) => {
    const cmd = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
    const r = region(d);
    const props = [
      `file=${escapeGithubProperty(normalizePath(d.file))}`,
      `line=${r.startLine}`,
      `col=${r.startColumn}`,
      `endLine=${r.endLine}`,
      `endColumn=${r.endColumn}`,
      `title=${escapeGithubProperty(d.code)}`,
    ].join(',');
    const text = d.hint !== undefined && d.hint !== '' ? `${d.message}\nhint: ${d.hint}` : d.message;
    return `::${cmd} ${props}::${escapeGithubData(text)}`;
  });
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

export function formatDiagnostics(
  format: OutputFormat,
  diagnostics: readonly Diagnostic[],
  sources?: Sources,
  options: FormatOptions = {},
): string {
  switch (format) {
    case 'pretty':
      return formatPretty(diagnostics, sources, options);
    case 'json':
      return formatJson(diagnostics);
    case 'sarif':
      return formatSarif(diagnostics, options);
    case 'github':
      return formatGithub(diagnostics);
  }
}

/** Colour decision: NO_COLOR (non-empty) wins, then FORCE_COLOR, then whether the stream is a TTY. */
export function shouldUseColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  return stream.isTTY === true;
}
