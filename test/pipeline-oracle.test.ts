/**
 * Oracle for the whole pipeline: what `lstmc summary --json` reports (output shapes per layer,
 * parameter counts, totals) equals what TensorFlow.js itself computes for the same model.
 *
 * - Every spec under specs/ goes through the real CLI; the tfjs model is built by the runtime.
 * - A few hundred random architectures are printed as `.lstm` text, checked and summarised through
 *   the same code path as the CLI, and compared with tfjs models built from the original IR.
 *
 * Symbols and unknown dims are `null` in tfjs. Where lstmc knows a dimension that tfjs leaves
 * unknown (merges of `?` with a size, Reshape's -1) lstmc may be more precise, never different.
 */
import type * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../compiler/index.js';
import type { IRModel } from '../compiler/ir.js';
import { printLstm } from '../compiler/print.js';
import { summarize, type ModelSummary } from '../compiler/summary.js';
import { toTfModelSpec, type TfModelSpec } from '../compiler/tfspec.js';
import type { TfLayerSpec } from '../compiler/layers/types.js';
import { buildModel } from '../runtime/build.js';
import { randFunctional, randSequential, rng } from './helpers/random-arch.js';
import { useQuietTfCpu } from './helpers/tf-layers.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
useQuietTfCpu();

type TfShape = (number | null)[];

function layerShapes(layer: tf.layers.Layer): TfShape[] {
  const os = layer.outputShape as TfShape | TfShape[];
  return Array.isArray(os[0]) ? (os as TfShape[]) : [os as TfShape];
}

/**
 * The same model with every initializer set to 'zeros'. Shapes and parameter counts do not depend on
 * initial values, and tfjs's orthogonal initializer (Gram-Schmidt in JS ops) takes ~17 s for a
 * 128-unit LSTM on the cpu backend.
 */
function withCheapInitializers(spec: TfModelSpec): TfModelSpec {
  const fix = (l: TfLayerSpec): TfLayerSpec => ({
    ...l,
    config: Object.fromEntries(Object.entries(l.config).map(([k, v]) => [k, k.endsWith('Initializer') ? 'zeros' : v])),
    ...(l.inner ? { inner: fix(l.inner) } : {}),
  });
  return { ...spec, nodes: spec.nodes.map((n) => ({ ...n, spec: fix(n.spec) })) };
}

/** Compare one summary with the tfjs model built from the same IR; returns the disagreements. */
function compare(summary: ModelSummary, model: IRModel): { problems: string[]; refined: number } {
  const problems: string[] = [];
  let refined = 0;
  const built = buildModel(withCheapInitializers(toTfModelSpec(model)));
  try {
    const byName = new Map(built.layers.map((l) => [l.name, l]));
    for (const sl of summary.layers) {
      const tl = byName.get(sl.name);
      if (!tl) {
        problems.push(`${summary.name}: tfjs has no layer ${sl.name}`);
        continue;
      }
      const ours = (
        Array.isArray(sl.outputShape[0]) || sl.outputShape.length === 0 ? sl.outputShape : [sl.outputShape]
      ) as (number | string | null)[][];
      const theirs = layerShapes(tl);
      if (ours.length !== theirs.length)
        problems.push(`${summary.name}/${sl.name}: ${ours.length} outputs vs tfjs ${theirs.length}`);
      ours.forEach((o, i) => {
        const t = theirs[i] ?? [];
        if (o.length !== t.length)
          return void problems.push(`${summary.name}/${sl.name}: ${JSON.stringify(o)} vs tfjs ${JSON.stringify(t)}`);
        o.forEach((d, k) => {
          const td = t[k];
          const dn = typeof d === 'string' ? null : d;
          if (dn === td) return;
          if (typeof dn === 'number' && (td === null || td === -1)) return void refined++;
          problems.push(`${summary.name}/${sl.name}: ${JSON.stringify(o)} vs tfjs ${JSON.stringify(t)}`);
        });
      });
      if (sl.params !== tl.countParams())
        problems.push(`${summary.name}/${sl.name}: ${sl.params} params vs tfjs ${tl.countParams()}`);
    }
    if (summary.totalParams !== built.countParams())
      problems.push(`${summary.name}: total ${summary.totalParams} vs tfjs ${built.countParams()}`);
    const trainable = built.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);
    if (summary.trainableParams !== trainable)
      problems.push(`${summary.name}: trainable ${summary.trainableParams} vs tfjs ${trainable}`);
  } finally {
    built.dispose();
  }
  return { problems, refined };
}

describe('lstmc summary --json equals TensorFlow.js on every spec', () => {
  const specs = readdirSync(join(ROOT, 'specs')).filter((f) => /\.(lstm|ya?ml)$/.test(f));
  for (const f of specs) {
    it(f, () => {
      expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
      const file = join('specs', f);
      const out = spawnSync(process.execPath, [CLI, 'summary', file, '--json'], { cwd: ROOT, encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const json = JSON.parse(out.stdout) as { models: ModelSummary[] };
      const { models } = checkSource(readFileSync(join(ROOT, file), 'utf8'), file);
      expect(json.models.length).toBe(models.length);
      json.models.forEach((s, i) => {
        const { problems, refined } = compare(s, models[i]!);
        expect(problems).toEqual([]);
        expect(refined).toBe(0);
      });
    });
  }
});

describe('random architectures: printed spec -> check -> summary equals TensorFlow.js', () => {
  it('300 random models (150 sequential, 150 functional)', () => {
    const r = rng(7_2026);
    const models = [
      ...Array.from({ length: 150 }, (_, i) => randSequential(r, i)),
      ...Array.from({ length: 150 }, (_, i) => randFunctional(r, i)),
    ];
    let agreed = 0;
    let refined = 0;
    const problems: string[] = [];
    for (const original of models) {
      const text = printLstm(original, { names: 'all' });
      const res = checkSource(text, `${original.name}.lstm`);
      const model = res.models[0];
      if (!model) {
        problems.push(`${original.name}: did not check clean: ${res.diagnostics.map((d) => d.message).join('; ')}`);
        continue;
      }
      const c = compare(summarize(model), original);
      refined += c.refined;
      if (c.problems.length === 0) agreed++;
      problems.push(...c.problems);
    }
    expect(problems).toEqual([]);
    expect(agreed).toBe(models.length);
    console.log(
      `pipeline oracle: ${agreed}/${models.length} random models agree with tfjs (${refined} dims where lstmc is more precise)`,
    );
  });
});
