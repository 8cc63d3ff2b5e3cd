/**
 * The `data { }` block, bound by the one binder against the data sources' schemas
 * (compiler/data-schema.ts): which source it names, that source's keys (and a synthetic problem's own
 * keys), values, defaults and cross-key rules. Gives the IR's `IRData` and the input / target shapes
 * the data produces, which the `data-shapes` rule compares with the model.
 *
 * Pure; reports LSTM4xxx and never throws.
 */
import { Diagnostics, makeDiagnostic, replaceFix, type Diagnostic, type DiagnosticBag } from '../base/diagnostics.js';
import { didYouMeanFixes, didYouMeanHint } from '../base/did-you-mean.js';
import type { Span } from '../base/span.js';
import type { Block } from '../grammar/ast.js';
import {
  bindFields,
  blockEntries,
  unknownFieldHint,
  unknownFieldSuggestion,
  type BindIssue,
  type Scope,
} from './bind.js';
import {
  crossKeyProblems,
  DATA_SOURCES,
  findSyntheticProblem,
  resolvedShapes,
  SYNTHETIC_PROBLEMS,
  type DataShapes,
} from './data-schema.js';
import type { ArgValue, IRData, IRModel } from './ir.js';
import type { FieldSpec } from './schema.js';
import { reportBlockIssue } from './train.js';

export interface LoweredData {
  data: IRData;
  /** Shapes (batch excluded) of the inputs and targets the block produces. */
  shapes: DataShapes;
}

/** Keys people write for the source that lstmc spells as the source key itself. */
const SOURCE_WORDS = new Set(['source', 'problem', 'type', 'kind', 'dataset']);

export function lowerData(block: Block, span: Span, bag: DiagnosticBag, scope: Scope): LoweredData | undefined {
  const sourceKeys = block.entries.filter((e) => Object.hasOwn(DATA_SOURCES, e.key));
  const sources = [...new Set(sourceKeys.map((e) => e.key))];
  if (sources.length === 0) {
    const written = block.entries.find((e) => SOURCE_WORDS.has(e.key));
    bag.add(
      Diagnostics.DataConfig,
      written?.keySpan ?? span,
      {
        message: `The data block names no source; add one of ${Object.keys(DATA_SOURCES)
          .map((s) => `\`${s}:\``)
          .join(', ')}.`,
      },
      written ? sourceKeyHint(written.key) : undefined,
    );
    return undefined;
  }
  if (sources.length > 1) {
    const second = sourceKeys.find((e) => e.key === sources[1])!;
    bag.add(Diagnostics.DataConfig, second.keySpan, {
      message: `The data block names several sources (${sources.join(', ')}); keep one.`,
    });
    return undefined;
  }
  const source = sources[0]!;
  const def = DATA_SOURCES[source]!;
  // The source key's value decides the rest of the schema (a synthetic problem has keys of its own).
  const sourceField: FieldSpec = { type: def.value, required: true, doc: def.doc };
  let fields: Record<string, FieldSpec> = { [source]: sourceField, ...def.keys };
  const sourceEntry = sourceKeys[0]!;
  const problemName =
    sourceEntry.value.kind === 'ident' || sourceEntry.value.kind === 'string'
      ? sourceEntry.value.kind === 'ident'
        ? sourceEntry.value.name
        : sourceEntry.value.value
      : undefined;
  const problem = source === 'synthetic' && problemName !== undefined ? findSyntheticProblem(problemName) : undefined;
  if (problem) fields = { ...fields, ...problem.keys };

  const report = (i: BindIssue): void => {
    if (i.kind === 'value' && i.name === source) {
      const got = i.resolved?.value;
      if (source === 'synthetic' && typeof got === 'string') {
        bag.add(
          Diagnostics.DataConfig,
          i.span,
          {
            message: `Unknown synthetic problem "${got}"; expected one of ${Object.keys(SYNTHETIC_PROBLEMS).join(', ')}.`,
          },
          didYouMeanHint(got, Object.keys(SYNTHETIC_PROBLEMS)),
          didYouMeanFixes(i.span, got, Object.keys(SYNTHETIC_PROBLEMS)),
        );
      } else {
        const what = source === 'synthetic' ? 'the name of a built-in problem' : 'a file path string';
        bag.add(Diagnostics.DataConfig, i.span, { message: `\`${source}\` must be ${what}.` });
      }
      return;
    }
    if (i.kind === 'missing') {
      bag.add(
        Diagnostics.DataConfig,
        sourceEntry.keySpan,
        { message: `The ${source} data source needs key "${i.name}".` },
        `${i.name}: ${i.spec.doc}`,
      );
      return;
    }
    if (i.kind === 'unknown') {
      // After an unknown problem, its keys cannot be known either: say nothing more.
      if (source === 'synthetic' && !problem) return;
      const keys = Object.keys(fields).filter((k) => k !== source);
      const hint = SOURCE_WORDS.has(i.name)
        ? sourceKeyHint(i.name, source)
        : unknownFieldHint(i.name, keys, scope.format, 'Keys');
      const to = SOURCE_WORDS.has(i.name) ? undefined : unknownFieldSuggestion(i.name, keys);
      bag.add(
        Diagnostics.UnknownTrainKey,
        i.span,
        { key: i.name, block: 'data' },
        hint,
        to !== undefined ? [replaceFix(i.span, i.name, to)] : undefined,
      );
      return;
    }
    reportBlockIssue(bag, 'data', i, scope.format);
  };
  const bound = bindFields({ fields }, blockEntries(block.entries), scope, report, { defaults: false });
  if (!bound.ok) return undefined;

  const options: Record<string, ArgValue> = bound.values;
  const spans: Record<string, Span> = bound.keySpans;
  const problems = crossKeyProblems(source, options);
  if (problems.length > 0) {
    for (const p of problems) bag.add(Diagnostics.DataConfig, (p.key && spans[p.key]) || span, { message: p.message });
    return undefined;
  }
  const shapes = resolvedShapes(source, options);
  return { data: { source, options, spans, span }, shapes };
}

function sourceKeyHint(key: string, source?: string): string {
  const example =
    source === 'csv' ? '`csv: "sales.csv"`' : source === 'text' ? '`text: "corpus.txt"`' : '`synthetic: echo`';
  return `A data block names its source by the key itself, e.g. ${example}; "${key}" is not a data key.`;
}

/**
 * LSTM4020 warnings for data files (`csv:`, `text:`) that do not exist, at the source entry. Pure: the
 * caller probes the file system (`locate` resolves a path as written against the spec file and says
 * where it looked and whether something is there), so the checker itself never touches files.
 */
export function missingDataFiles(
  models: readonly IRModel[],
  locate: (path: string, specFile: string) => { absolute: string; exists: boolean },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const m of models) {
    const d = m.data;
    if (!d || d.source === 'synthetic') continue;
    const path = d.options[d.source];
    if (typeof path !== 'string' || path === '') continue;
    const where = locate(path, m.file);
    if (!where.exists)
      out.push(
        makeDiagnostic(Diagnostics.DataFileMissing, d.spans[d.source] ?? d.span, {
          source: d.source === 'csv' ? 'CSV' : d.source,
          path,
          absolute: where.absolute,
        }),
      );
  }
  return out;
}
