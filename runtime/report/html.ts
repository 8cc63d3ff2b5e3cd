/**
 * `lstmc report`'s page: one self-contained HTML file (inline CSS, SVG and a few lines of JS; nothing
 * fetched from the network) with the run's summary, the model summary table and graph, loss and metric
 * curves per epoch (training and validation), throughput, the data block and the full history.
 *
 * Pure: it renders what it is given (the run directory as read by ./run.ts, the checked model when the
 * spec could be read, the graph's SVG rendered by the CLI). Loads no tfjs.
 */
import type { IRModel } from '../../compiler/ir.js';
import { formatCount, shapeText, summarize } from '../../compiler/summary.js';
import { escapeXml as esc, formatValue, lineChart, type ChartSeries } from './charts.js';
import type { RunDir } from './run.js';

export interface ReportInput {
  run: RunDir;
  /** The spec the run was trained from, as found; absent when no spec file was found. */
  specFile?: string;
  /** The checked model of the spec (for the summary table); absent when the spec is missing or has errors. */
  model?: IRModel;
  /** The model graph as SVG (cli/graph-render.ts). */
  graphSvg?: string;
  /** Why something is missing (spec not found, spec errors, ...): shown on the page. */
  notes?: string[];
  version: string;
  generatedAt: Date;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Seconds as `1.2 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds - m * 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function statusText(r: RunDir): string {
  const s = r.state;
  const of = s.epochs !== undefined ? ` of ${s.epochs}` : '';
  switch (s.stopReason) {
    case 'earlyStopping':
      return `stopped early after epoch ${s.epoch}${of}`;
    case 'nan':
      return `stopped: NaN loss; last good epoch ${s.epoch}${of}`;
    case 'interrupted':
      return `interrupted after epoch ${s.epoch}${of} (continue with --resume)`;
    default:
      return s.complete === false ? `in progress or interrupted: epoch ${s.epoch}${of}` : `complete: ${s.epoch} epochs`;
  }
}

/** Training metric names (no `val_` prefix) in the history's order. */
function baseMetrics(metrics: string[]): string[] {
  const names = metrics.map((m) => (m.startsWith('val_') ? m.slice(4) : m));
  return [...new Set(names)];
}

function row(k: string, v: string): string {
  return `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
}

function overview(input: ReportInput): string {
  const { run } = input;
  const s = run.state;
  const rows = run.history.rows;
  const last = rows[rows.length - 1];
  const out: string[] = [];
  out.push(row('status', esc(statusText(run))));
  if (input.specFile !== undefined || s.specFile !== undefined)
    out.push(row('spec', `<code>${esc(input.specFile ?? s.specFile!)}</code>`));
  out.push(row('run directory', `<code>${esc(run.dir)}</code>`));
  if (s.loss) out.push(row('loss', `<code>${esc(s.loss)}</code>`));
  if (last) {
    const finals = Object.entries(last.values).map(([k, v]) => `${esc(k)} <b>${formatValue(v)}</b>`);
    out.push(row(`final (epoch ${last.epoch})`, finals.join(' · ')));
  }
  if (run.evaluation) {
    const ev = Object.entries(run.evaluation.metrics).map(([k, v]) => `${esc(k)} <b>${formatValue(v)}</b>`);
    out.push(row(`${run.evaluation.split} split`, ev.join(' · ')));
  }
  for (const m of run.history.metrics.filter((x) => x.startsWith('val_'))) {
    const lowerIsBetter = /loss|error|mse|mae|mape|msle|crossentropy|hinge|poisson|divergence/i.test(m);
    let best: { epoch: number; v: number } | undefined;
    for (const r of rows) {
      const v = r.values[m];
      if (v === undefined) continue;
      if (!best || (lowerIsBetter ? v < best.v : v > best.v)) best = { epoch: r.epoch, v };
    }
    if (best) out.push(row(`best ${m}`, `<b>${formatValue(best.v)}</b> at epoch ${best.epoch}`));
  }
  const params = input.model ? summarize(input.model).totalParams : run.savedParams;
  if (params !== undefined) out.push(row('parameters', formatCount(params)));
  const backend = [s.backend, s.engine && typeof s.engine.torch === 'string' ? `PyTorch ${s.engine.torch}` : undefined]
    .filter((x) => x !== undefined)
    .join(' · ');
  if (backend !== '') out.push(row('backend', esc(backend)));
  const timed = rows.filter((r) => r.seconds !== undefined);
  if (timed.length > 0) {
    const total = timed[timed.length - 1]!.elapsedSeconds ?? timed.reduce((a, r) => a + r.seconds!, 0);
    const sps = median(timed.map((r) => r.samplesPerSec ?? 0).filter((v) => v > 0));
    const epochTime = median(timed.map((r) => r.seconds!));
    out.push(row('training time', esc(formatDuration(total))));
    if (epochTime !== undefined) out.push(row('median epoch', esc(formatDuration(epochTime))));
    if (sps !== undefined) out.push(row('throughput', `${formatCount(Math.round(sps))} samples/s (median epoch)`));
  }
  const batch = s.run?.batchSize ?? (typeof s.engine?.batchSize === 'number' ? s.engine.batchSize : undefined);
  if (batch !== undefined) out.push(row('batch size', String(batch)));
  if (s.run?.trainCount !== undefined)
    out.push(row('samples', `${formatCount(s.run.trainCount)} train / ${formatCount(s.run.testCount ?? 0)} test`));
  if (s.run?.params && Object.keys(s.run.params).length > 0)
    out.push(
      row(
        '--param',
        Object.entries(s.run.params)
          .map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`)
          .join(' '),
      ),
    );
  if (s.savedAt) out.push(row('saved', esc(s.savedAt)));
  return `<table class="kv">${out.join('')}</table>`;
}

function summaryTable(model: IRModel): string {
  const sum = summarize(model);
  const rows = sum.layers.map((l) => {
    const shape = Array.isArray(l.outputShape[0])
      ? (l.outputShape as (number | string | null)[][]).map((s) => shapeText(s)).join('<br>')
      : shapeText(l.outputShape as (number | string | null)[]);
    return `<tr><td><code>${esc(l.name)}</code> (${esc(l.type)})</td><td><code>${esc(shape)}</code></td><td class="num">${formatCount(l.params)}</td></tr>`;
  });
  const inputs = sum.inputs.map(
    (i) =>
      `<tr><td><code>${esc(i.name)}</code> (InputLayer)</td><td><code>${esc(shapeText(i.shape))}</code></td><td class="num">0</td></tr>`,
  );
  return (
    `<table class="summary"><thead><tr><th>Layer (type)</th><th>Output shape</th><th>Param #</th></tr></thead><tbody>` +
    `${[...inputs, ...rows].join('')}</tbody><tfoot><tr><td colspan="3">Total params: ${formatCount(sum.totalParams)} · ` +
    `trainable ${formatCount(sum.trainableParams)} · non-trainable ${formatCount(sum.nonTrainableParams)}</td></tr></tfoot></table>`
  );
}

/** Graphviz's SVG without its XML prolog and doctype, so it can sit inline in HTML. */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>\s*/g, '')
    .replace(/<!DOCTYPE[^>]*>\s*/gi, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '')
    .trim();
}

function charts(input: ReportInput): string {
  const { rows } = input.run.history;
  if (rows.length === 0) return '<p class="note">No epoch has completed yet: nothing to plot.</p>';
  const epochs = rows.map((r) => r.epoch);
  const out: string[] = [];
  for (const m of baseMetrics(input.run.history.metrics)) {
    const series: ChartSeries[] = [];
    if (input.run.history.metrics.includes(m))
      series.push({ name: m, kind: 'train', values: rows.map((r) => r.values[m]) });
    const val = `val_${m}`;
    if (input.run.history.metrics.includes(val))
      series.push({ name: val, kind: 'val', values: rows.map((r) => r.values[val]) });
    out.push(`<figure>${lineChart({ title: m, epochs, series })}</figure>`);
  }
  if (rows.some((r) => r.samplesPerSec !== undefined)) {
    out.push(
      `<figure>${lineChart({
        title: 'throughput',
        unit: 'training samples/s',
        epochs,
        series: [{ name: 'samples/s', kind: 'other', values: rows.map((r) => r.samplesPerSec) }],
      })}</figure>`,
    );
  }
  return `<div class="charts">${out.join('\n')}</div>`;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

function dataSection(input: ReportInput): string {
  const d = input.run.state.data;
  const block = input.model?.data;
  if (!d && !block) return '<p class="note">The run records no data block.</p>';
  const out: string[] = [];
  if (d?.description) out.push(row('data', esc(d.description)));
  const source = block?.source ?? d?.source;
  if (source) out.push(row('source', `<code>${esc(source)}</code>${d?.value ? ` <code>${esc(d.value)}</code>` : ''}`));
  const options: Record<string, unknown> = { ...(d?.options ?? {}) };
  if (block) for (const [k, v] of Object.entries(block.options)) if (!(k in options)) options[k] = v;
  if (source !== undefined) delete options[source];
  for (const [k, v] of Object.entries(options)) out.push(row(k, `<code>${esc(valueText(v))}</code>`));
  if (d?.inputShape) out.push(row('input shape', `<code>${esc(shapeText([null, ...d.inputShape]))}</code>`));
  if (d?.targetShape) out.push(row('target shape', `<code>${esc(shapeText([null, ...d.targetShape]))}</code>`));
  if (d?.column !== undefined) out.push(row('column', `<code>${esc(String(d.column))}</code>`));
  if (d?.scale) out.push(row('scaling', esc(`min-max: min ${d.scale.min}, max ${d.scale.max}`)));
  if (d?.alphabet !== undefined) out.push(row('alphabet', `${[...d.alphabet].length} symbols`));
  return `<table class="kv">${out.join('')}</table>`;
}

function historyTable(input: ReportInput): string {
  const { rows, metrics } = input.run.history;
  if (rows.length === 0) return '';
  const timed = rows.some((r) => r.seconds !== undefined);
  const head = ['epoch', ...metrics, ...(timed ? ['seconds', 'samples/s'] : [])];
  const body = rows.map((r) => {
    const cells = [
      String(r.epoch),
      ...metrics.map((m) => (r.values[m] !== undefined ? formatValue(r.values[m]) : '')),
      ...(timed ? [r.seconds?.toFixed(2) ?? '', r.samplesPerSec !== undefined ? r.samplesPerSec.toFixed(0) : ''] : []),
    ];
    return `<tr>${cells.map((c) => `<td class="num">${esc(c)}</td>`).join('')}</tr>`;
  });
  return (
    `<details><summary>History: ${rows.length} epoch${rows.length === 1 ? '' : 's'} (from ${esc(input.run.historySource)})</summary>` +
    `<table class="history"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${body.join('')}</tbody></table></details>`
  );
}

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --train: #1f6feb; --val: #d4580b; --other: #2da44e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); margin: 0 auto; max-width: 1180px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
code { font: 12.5px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table { border-collapse: collapse; } th, td { padding: 4px 10px; text-align: left; vertical-align: top; }
table.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
table.summary, table.history { border: 1px solid var(--line); }
table.summary th, table.history th { background: #f6f8fa; border-bottom: 1px solid var(--line); }
table.summary td, table.history td { border-top: 1px solid #eaeef2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary tfoot td { color: var(--muted); }
.model { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.graph { max-width: 100%; overflow: auto; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
.graph svg { max-width: 100%; height: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; position: relative; }
svg.chart { display: block; max-width: 100%; height: auto; font: 11px system-ui, "DejaVu Sans", sans-serif; }
svg.chart .chart-title { font-weight: 600; font-size: 13px; fill: var(--fg); }
svg.chart .grid { stroke: #eaeef2; } svg.chart .axis { stroke: #8c959f; } svg.chart .tick, svg.chart .axis-label { fill: var(--muted); }
svg.chart .series { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .series.train, svg.chart .legend.train line { stroke: var(--train); }
svg.chart .series.val, svg.chart .legend.val line { stroke: var(--val); }
svg.chart .series.other, svg.chart .legend.other line { stroke: var(--other); }
svg.chart .legend line { stroke-width: 2; } svg.chart .legend text { fill: var(--fg); }
svg.chart .dots.train { fill: var(--train); } svg.chart .dots.val { fill: var(--val); } svg.chart .dots.other { fill: var(--other); }
svg.chart .cursor { stroke: #8c959f; stroke-dasharray: 3 3; }
.readout { position: absolute; pointer-events: none; background: rgba(255,255,255,.95); border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; font-size: 12px; white-space: nowrap; display: none; }
.note { color: var(--muted); } ul.notes { color: #9a6700; }
details summary { cursor: pointer; margin: 8px 0; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;

/** Hover read-out: the values of the epoch under the pointer (data from the JSON block below). */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('lstmc-history').textContent);
  document.querySelectorAll('figure > svg.chart').forEach(function (svg) {
    var fig = svg.parentNode, box = document.createElement('div');
    box.className = 'readout'; fig.appendChild(box);
    var names = Array.prototype.map.call(svg.querySelectorAll('path.series'), function (p) { return p.getAttribute('data-series'); });
    var cursor = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    cursor.setAttribute('class', 'cursor'); cursor.style.display = 'none'; svg.appendChild(cursor);
    var vb = svg.viewBox.baseVal, left = 56, right = vb.width - 16, top = 30, bottom = vb.height - 40;
    svg.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect(), x = (ev.clientX - r.left) * vb.width / r.width;
      var n = data.epochs.length; if (n === 0) return;
      var i = n === 1 ? 0 : Math.round((x - left) / (right - left) * (n - 1));
      i = Math.max(0, Math.min(n - 1, i));
      var cx = n === 1 ? (left + right) / 2 : left + i * (right - left) / (n - 1);
      cursor.setAttribute('x1', cx); cursor.setAttribute('x2', cx); cursor.setAttribute('y1', top); cursor.setAttribute('y2', bottom);
      cursor.style.display = '';
      var parts = ['epoch ' + data.epochs[i]];
      names.forEach(function (k) { var v = (data.values[k] || [])[i]; if (v !== null && v !== undefined) parts.push(k + ' ' + Number(v.toPrecision(4))); });
      box.textContent = parts.join(' \\u00b7 '); box.style.display = 'block';
      box.style.left = Math.min(ev.clientX - r.left + 12, r.width - box.offsetWidth - 4) + 'px'; box.style.top = '34px';
    });
    svg.addEventListener('mouseleave', function () { box.style.display = 'none'; cursor.style.display = 'none'; });
  });
})();
`;

/** JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` can close it early. */
function jsonBlock(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The report page. */
export function renderReport(input: ReportInput): string {
  const { run } = input;
  const rows = run.history.rows;
  const values: Record<string, (number | null)[]> = {};
  for (const m of run.history.metrics) values[m] = rows.map((r) => r.values[m] ?? null);
  values['samples/s'] = rows.map((r) => r.samplesPerSec ?? null);
  const notes = [...(input.notes ?? []), ...run.history.problems];
  if (run.historySource === 'lstmc.json')
    notes.push('This run has no history.csv (it predates it or was not written by lstmc): epoch times are unknown.');
  const model = input.model
    ? `<div class="model"><div>${summaryTable(input.model)}</div>${
        input.graphSvg !== undefined ? `<div class="graph">${inlineSvg(input.graphSvg)}</div>` : ''
      }</div>`
    : input.graphSvg !== undefined
      ? `<div class="graph">${inlineSvg(input.graphSvg)}</div>`
      : '<p class="note">The model graph needs the spec the run was trained from (see the notes above).</p>';
  const title = `${run.state.model} · lstmc report`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lstmc ${esc(input.version)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(run.state.model)}</h1>
<p class="sub">${esc(statusText(run))} · generated ${esc(input.generatedAt.toISOString())} by lstmc ${esc(input.version)}</p>
${notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Summary</h2>
${overview(input)}
<h2>Model</h2>
${model}
<h2>Training curves</h2>
${charts(input)}
<h2>Data</h2>
${dataSection(input)}
<h2>History</h2>
${historyTable(input) || '<p class="note">No epoch recorded.</p>'}
<footer>Self-contained page: no network access, no external files. Hover a chart to read its values.</footer>
<script type="application/json" id="lstmc-history">${jsonBlock({ epochs: rows.map((r) => r.epoch), values })}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
