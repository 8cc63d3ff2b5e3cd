/** Rules over a whole file: model names unique (also as module file names), `--param` overrides declared. */
import { Diagnostics } from '../../base/diagnostics.js';
import { didYouMeanHint } from '../../base/did-you-mean.js';
import type { Span } from '../../base/span.js';
import type { FileRule } from './types.js';

export const uniqueModelNames: FileRule = ({ spec, bag }) => {
  const seen = new Map<string, { name: string; span: Span }>();
  for (const m of spec.models) {
    const name = m.name.name;
    const prev = seen.get(name.toLowerCase());
    if (!prev) {
      seen.set(name.toLowerCase(), { name, span: m.name.span });
      continue;
    }
    if (prev.name === name) {
      bag.add(Diagnostics.DuplicateModel, m.name.span, { name }, `The first definition is on line ${prev.span.line}.`);
    } else {
      // `compile` writes one module per model, and file names are compared case-insensitively.
      bag.add(
        Diagnostics.InvalidModelName,
        m.name.span,
        {
          name,
          reason: `its module ${name}.ts would overwrite the module of model ${prev.name} (line ${prev.span.line}); file names are compared case-insensitively`,
        },
        'Rename one of the models.',
      );
    }
  }
};

export const overridesDeclared: FileRule = ({ spec, bag, overrides }) => {
  const declared = new Set<string>();
  for (const m of spec.models) for (const s of m.statements) if (s.kind === 'param') declared.add(s.name.name);
  for (const name of Object.keys(overrides)) {
    if (declared.has(name)) continue;
    const span = spec.models[0]?.name.span ?? spec.span;
    bag.add(
      Diagnostics.UndefinedParam,
      span,
      { name },
      didYouMeanHint(name, declared) ??
        `Declare it with ${spec.format === 'yaml' ? `\`params: {${name}: ...}\`` : `\`param ${name} = ...\``} or drop the --param override.`,
    );
  }
};
