/// <reference lib="dom" />
import { type Api, HttpError } from './api.ts';
import { lineChart } from './charts.ts';
import { ms, percent, rate } from './format.ts';

export interface RedPoint {
  tMs: number;
  rate: number;
  errorRate: number | null;
  p99: number | null;
}

export type Target = { node: string } | { edge: string };

const keyOf = (target: Target) => ('node' in target ? `n:${target.node}` : `e:${target.edge}`);
const hourMs = 60 * 60_000;

/**
 * RED over time for the details panel: the last hour from ClickHouse (`GET /v1/series`) when
 * the API has it, and on top the samples this page took from the live stream since it opened.
 * Without ClickHouse the chart still fills, from the moment the page was opened.
 */
export class RedHistory {
  readonly #live = new Map<string, RedPoint[]>();

  constructor(readonly api: Api) {}

  /** Records the target's current stats (at most one sample a second). */
  sample(target: Target, point: RedPoint): void {
    const key = keyOf(target);
    const points = this.#live.get(key) ?? [];
    if (!this.#live.has(key)) {
      // Samples of the 50 most recently first-selected targets; the oldest goes first.
      if (this.#live.size >= 50) this.#live.delete(this.#live.keys().next().value ?? '');
      this.#live.set(key, points);
    }
    const last = points[points.length - 1];
    if (last && point.tMs - last.tMs < 1000) return;
    points.push(point);
    while (points.length > 0 && (points[0]?.tMs ?? 0) < point.tMs - hourMs) points.shift();
  }

  live(target: Target): RedPoint[] {
    return this.#live.get(keyOf(target)) ?? [];
  }

  /** The stored hour before `atMs` (default now); undefined when the API has no ClickHouse. */
  async stored(target: Target, atMs?: number): Promise<RedPoint[] | undefined> {
    try {
      const answer = await this.api.get<{ points: RedPoint[] }>('/v1/series', {
        ...target,
        window: 3600,
        step: 60,
        at: atMs,
      });
      return answer.points;
    } catch (error) {
      if (
        error instanceof HttpError &&
        (error.status === 404 || error.code === 'CLICKHOUSE_UNAVAILABLE')
      ) {
        return undefined;
      }
      throw error;
    }
  }
}

/** Three small charts (rate, error rate, p99) over [from, to]. */
export function redCharts(points: RedPoint[], from: number, to: number): HTMLElement {
  const box = document.createElement('div');
  box.className = 'red-charts';
  const chart = (
    title: string,
    color: string,
    pick: (p: RedPoint) => number | null,
    format: (v: number) => string,
  ) =>
    lineChart([{ name: title, color, points: points.map((p) => ({ t: p.tMs, v: pick(p) })) }], {
      title,
      from,
      to,
      format,
    });
  box.append(
    chart('requests', '#0969da', (p) => p.rate, rate),
    chart('errors', '#e5534b', (p) => p.errorRate, percent),
    chart('p99', '#8250df', (p) => p.p99, ms),
  );
  return box;
}
