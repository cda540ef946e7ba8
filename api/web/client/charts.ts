/// <reference lib="dom" />
import { clock, shortNumber } from './format.ts';

const svgNs = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface Point {
  t: number;
  v: number | null;
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
}

/**
 * - `from`/`to` (ms): the time axis (default: the points' span).
 * - `step`: hold each value until the next point (weights), instead of straight lines.
 * - `format`: the y axis's labels.
 */
export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  from?: number;
  to?: number;
  step?: boolean;
  format?: (value: number) => string;
}

/** A small time-series chart in SVG: one path per series, nulls break the line. */
export function lineChart(series: Series[], options: LineChartOptions): SVGSVGElement {
  const width = options.width ?? 340;
  const height = options.height ?? 90;
  const pad = { left: 42, right: 6, top: 14, bottom: 14 };
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img' });
  root.append(svg('text', { x: pad.left, y: 10, class: 'title' }, options.title));
  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => p.t);
  const from = options.from ?? Math.min(...times);
  const to = options.to ?? Math.max(...times);
  const values = all.flatMap((p) => (p.v === null ? [] : [p.v]));
  if (values.length === 0 || !(to > from)) {
    root.append(svg('text', { x: pad.left, y: height / 2 }, 'no data yet'));
    return root;
  }
  const top = Math.max(...values) || 1;
  const format = options.format ?? shortNumber;
  const x = (t: number) => pad.left + ((t - from) / (to - from)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom);
  root.append(
    svg('line', { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), stroke: '#d0d7de' }),
    svg('text', { x: 2, y: y(top) + 4 }, format(top)),
    svg('text', { x: 2, y: y(0) }, format(0)),
    svg('text', { x: pad.left, y: height - 2 }, clock(from)),
    svg('text', { x: width - pad.right, y: height - 2, 'text-anchor': 'end' }, clock(to)),
  );
  for (const s of series) {
    let d = '';
    let last: { x: number; y: number } | undefined;
    for (const point of [...s.points].sort((a, b) => a.t - b.t)) {
      if (point.v === null) {
        last = undefined;
        continue;
      }
      const at = { x: x(point.t), y: y(point.v) };
      if (last === undefined) d += `M${at.x.toFixed(1)},${at.y.toFixed(1)}`;
      else if (options.step) d += `H${at.x.toFixed(1)}V${at.y.toFixed(1)}`;
      else d += `L${at.x.toFixed(1)},${at.y.toFixed(1)}`;
      last = at;
    }
    if (options.step && last) d += `H${x(to).toFixed(1)}`;
    const path = svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.5 });
    path.append(svg('title', {}, s.name));
    root.append(path);
    // The newest value as a dot: visible even when it is the only point so far.
    if (last) root.append(svg('circle', { cx: last.x, cy: last.y, r: 2, fill: s.color }));
  }
  return root;
}

/** Horizontal bars, biggest first as given: a dashboard without a time column. */
export function barChart(
  rows: Array<{ label: string; value: number }>,
  title: string,
): SVGSVGElement {
  const width = 640;
  const bar = 16;
  const labelWidth = 260;
  const height = 18 + rows.length * (bar + 4);
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img' });
  root.append(svg('text', { x: 0, y: 11, class: 'title' }, title));
  const top = Math.max(...rows.map((r) => r.value), 0) || 1;
  rows.forEach((row, i) => {
    const y = 18 + i * (bar + 4);
    const w = ((width - labelWidth - 60) * Math.max(0, row.value)) / top;
    root.append(
      svg('text', { x: labelWidth - 4, y: y + 12, 'text-anchor': 'end' }, row.label.slice(0, 48)),
      svg('rect', { x: labelWidth, y, width: Math.max(1, w), height: bar, fill: '#0969da' }),
      svg('text', { x: labelWidth + w + 4, y: y + 12 }, shortNumber(row.value)),
    );
  });
  return root;
}
