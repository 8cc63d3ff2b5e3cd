/**
 * Inline SVG line charts for the report (no library, no network): one chart per loss or metric with
 * its training and validation series over epochs. Each series is one `<path class="series ...">`
 * whose `d` has one point per epoch that has a value (`data-points` says how many), so a reader (or a
 * test) can count what was drawn.
 */

export interface ChartSeries {
  /** Legend text and `data-series` value: `loss`, `val_loss`. */
  name: string;
  /** CSS class: `train` or `val`. */
  kind: 'train' | 'val' | 'other';
  /** One value per epoch of `epochs`; undefined where the epoch has none. */
  values: (number | undefined)[];
}

export interface ChartOptions {
  title: string;
  epochs: number[];
  series: ChartSeries[];
  width?: number;
  height?: number;
  /** Unit shown after the title (e.g. "samples/s"). */
  unit?: string;
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** About `count` round tick values covering [lo, hi] (1, 2, 2.5, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const tidy = (v: number): number => Number(v.toPrecision(12));
  let first = Math.floor(lo / step) * step;
  if (first > lo) first -= step; // underflow: lo / step rounded to -0
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(tidy(v));
  // Rounding to 12 digits may move an end tick inside the range: extend by one step.
  if (ticks.length === 0 || ticks[0]! > lo) ticks.unshift(tidy((ticks[0] ?? first) - step));
  if (ticks[ticks.length - 1]! < hi) ticks.push(tidy(ticks[ticks.length - 1]! + step));
  return ticks;
}

/** A value as a chart label: 3 significant digits, exponent for very small or large values. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

function round(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** An SVG line chart. */
export function lineChart(opts: ChartOptions): string {
  const width = opts.width ?? 540;
  const height = opts.height ?? 260;
  const m = { left: 56, right: 16, top: 30, bottom: 40 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = opts.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const epochs = opts.epochs;
  const xLo = epochs.length > 0 ? epochs[0]! : 1;
  const xHi = epochs.length > 0 ? epochs[epochs.length - 1]! : 1;
  const yTicks = all.length > 0 ? niceTicks(Math.min(...all), Math.max(...all)) : [0, 1];
  const yLo = yTicks[0]!;
  const yHi = yTicks[yTicks.length - 1]!;
  const x = (e: number): number => m.left + (xHi === xLo ? w / 2 : ((e - xLo) / (xHi - xLo)) * w);
  const y = (v: number): number => m.top + (yHi === yLo ? h / 2 : (1 - (v - yLo) / (yHi - yLo)) * h);
  const out: string[] = [];
  const title = `${opts.title}${opts.unit ? ` (${opts.unit})` : ''}`;
  out.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}" data-chart="${escapeXml(opts.title)}">`,
  );
  out.push(`<text class="chart-title" x="${m.left}" y="18">${escapeXml(title)}</text>`);
  // grid and axes
  for (const t of yTicks) {
    const yy = round(y(t));
    out.push(`<line class="grid" x1="${m.left}" x2="${m.left + w}" y1="${yy}" y2="${yy}"/>`);
    out.push(`<text class="tick" x="${m.left - 6}" y="${yy}" text-anchor="end" dy="0.32em">${formatValue(t)}</text>`);
  }
  const xTicks = niceTicks(xLo, xHi, Math.min(8, Math.max(1, xHi - xLo))).filter(
    (t) => Number.isInteger(t) && t >= xLo && t <= xHi,
  );
  if (xTicks.length === 0) xTicks.push(xLo);
  for (const t of xTicks) {
    const xx = round(x(t));
    out.push(`<line class="axis" x1="${xx}" x2="${xx}" y1="${m.top + h}" y2="${m.top + h + 4}"/>`);
    out.push(`<text class="tick" x="${xx}" y="${m.top + h + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}"/>`);
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}"/>`);
  out.push(`<text class="axis-label" x="${m.left + w / 2}" y="${height - 6}" text-anchor="middle">epoch</text>`);
  // series
  let legendX = m.left + w;
  const legend: string[] = [];
  [...opts.series].reverse().forEach((s) => {
    const text = escapeXml(s.name);
    legendX -= 14 + 7 * s.name.length + 12;
    legend.push(
      `<g class="legend ${s.kind}"><line x1="${legendX}" x2="${legendX + 14}" y1="14" y2="14"/><text x="${legendX + 18}" y="18">${text}</text></g>`,
    );
  });
  out.push(...legend);
  for (const s of opts.series) {
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) return;
      pts.push(`${pts.length === 0 ? 'M' : 'L'}${round(x(epochs[i]!))} ${round(y(v))}`);
    });
    const n = pts.length;
    out.push(
      `<path class="series ${s.kind}" data-series="${escapeXml(s.name)}" data-points="${n}" d="${pts.join(' ')}"/>`,
    );
    if (n > 0 && n <= 40) {
      const dots = s.values
        .map((v, i) =>
          v === undefined || !Number.isFinite(v)
            ? ''
            : `<circle cx="${round(x(epochs[i]!))}" cy="${round(y(v))}" r="2.5"><title>${escapeXml(s.name)} epoch ${epochs[i]}: ${formatValue(v)}</title></circle>`,
        )
        .join('');
      out.push(`<g class="dots ${s.kind}">${dots}</g>`);
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
