/// <reference lib="dom" />
import type { Horizon } from '../../../stream-jobs/graph/model.ts';
import { type AnalysisContext, showBlastRadius, showRootCause } from './analyses.ts';
import type { DecisionFeed } from './decisions.ts';
import { h, table } from './dom.ts';
import { ms, percent, rate } from './format.ts';
import { type GraphModel, merge, type Red } from './model.ts';
import { renderEndpoints, renderHistory } from './policy-view.ts';
import { type RedHistory, type RedPoint, redCharts, type Target } from './series.ts';

export interface DetailsContext extends AnalysisContext {
  model(): GraphModel;
  decisions: DecisionFeed;
  red: RedHistory;
  centre(key: string): void;
}

const horizons: Horizon[] = ['1m', '5m', '1h'];
const hourMs = 60 * 60_000;

/**
 * The side panel for the selected node or edge: RED per horizon, RED over the last hour, the
 * endpoints with their weights and the decision history (for a service or an endpoint), and
 * the analyses started from it. `refresh` redraws the live parts from the model.
 */
export class DetailsPanel {
  target: Target | undefined;
  #parts:
    | { stats: HTMLElement; chart: HTMLElement; endpoints: HTMLElement; history: HTMLElement }
    | undefined;
  #stored: RedPoint[] | undefined;

  constructor(
    readonly root: HTMLElement,
    readonly ctx: DetailsContext,
  ) {}

  show(target: Target): void {
    this.target = target;
    this.#stored = undefined;
    const model = this.ctx.model();
    const parts = {
      stats: h('div', { class: 'stats' }),
      chart: h('div', { class: 'chart-box' }),
      endpoints: h('div', { class: 'endpoints' }),
      history: h('div', { class: 'history' }),
    };
    this.#parts = parts;
    const analysis = h('div', { class: 'analysis' });
    const button = (label: string, run: () => void) => {
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', run);
      return b;
    };
    let header: HTMLElement;
    if ('node' in target) {
      const node = model.nodes.get(target.node);
      header = h(
        'div',
        { class: 'header', 'data-node': target.node },
        h('h2', {}, target.node),
        node ? h('span', { class: `badge ${node.health}` }, node.health) : null,
        ` ${node?.kind ?? 'gone'}`,
        h(
          'div',
          { class: 'actions' },
          button('Blast radius', () => void showBlastRadius(this.ctx, analysis, target)),
          button('Root cause', () => void showRootCause(this.ctx, analysis, target.node)),
          button('Centre here', () => this.ctx.centre(target.node)),
        ),
      );
    } else {
      const edge = model.edges.get(target.edge);
      header = h(
        'div',
        { class: 'header', 'data-edge': target.edge },
        h('h2', {}, target.edge),
        ` ${edge?.kind ?? 'gone'}`,
        h(
          'div',
          { class: 'actions' },
          button('Blast radius', () => void showBlastRadius(this.ctx, analysis, target)),
        ),
      );
    }
    this.root.replaceChildren(
      header,
      parts.stats,
      parts.chart,
      parts.endpoints,
      parts.history,
      analysis,
    );
    this.refresh();
    this.#loadStored(target);
    this.#loadHistory();
  }

  clear(): void {
    this.target = undefined;
    this.#parts = undefined;
    this.root.replaceChildren(
      h('p', { class: 'muted' }, 'Click a node or an edge for its details.'),
    );
  }

  /** Redraws stats, chart and endpoints from the model; takes a live sample on the way. */
  refresh(): void {
    const { target } = this;
    const parts = this.#parts;
    if (!target || !parts) return;
    const model = this.ctx.model();
    const red = (horizon: Horizon): Red | undefined => {
      if ('node' in target) return model.red(target.node, horizon);
      const edge = model.edges.get(target.edge);
      return edge ? merge([edge.stats[horizon]]) : undefined;
    };
    parts.stats.replaceChildren(
      table(
        ['', 'rate', 'errors', 'p99'],
        horizons.map((horizon) => {
          const r = red(horizon);
          return [horizon, rate(r?.rate), percent(r?.errorRate), ms(r?.p99)];
        }),
        ['rate', 'errors', 'p99'],
      ),
    );
    const now = red('1m');
    const live = this.ctx.atMs() === undefined;
    if (now && live)
      this.ctx.red.sample(target, {
        tMs: model.atMs,
        rate: now.rate,
        errorRate: now.errorRate,
        p99: now.p99,
      });
    this.#drawChart();
    const cluster = this.#cluster();
    if (cluster !== undefined) renderEndpoints(parts.endpoints, model, this.ctx.decisions, cluster);
  }

  /** New decisions arrived: redraw the policy parts if they concern the selection. */
  onDecisions(clusters: string[]): void {
    const cluster = this.#cluster();
    if (cluster === undefined || !this.#parts) return;
    if (clusters.length > 0 && !clusters.includes(cluster)) return;
    renderEndpoints(this.#parts.endpoints, this.ctx.model(), this.ctx.decisions, cluster);
    this.#loadHistory();
  }

  /** The policy's cluster of the selection: a service, or an endpoint's service. */
  #cluster(): string | undefined {
    if (!this.target || !('node' in this.target)) return undefined;
    const node = this.ctx.model().nodes.get(this.target.node);
    if (!node || node.kind === 'ingress') return undefined;
    return node.service;
  }

  #drawChart(): void {
    const { target } = this;
    if (!target || !this.#parts) return;
    const stored = this.#stored ?? [];
    const lastStored = stored[stored.length - 1]?.tMs ?? Number.NEGATIVE_INFINITY;
    const points = [...stored, ...this.ctx.red.live(target).filter((p) => p.tMs > lastStored)];
    const to = this.ctx.atMs() ?? Math.max(this.ctx.model().atMs, ...points.map((p) => p.tMs));
    const from = this.#stored ? to - hourMs : Math.min(to - 60_000, ...points.map((p) => p.tMs));
    this.#parts.chart.replaceChildren(redCharts(points, from, to));
  }

  #loadStored(target: Target): void {
    this.ctx.red
      .stored(target, this.ctx.atMs())
      .then((points) => {
        if (this.target !== target) return;
        this.#stored = points;
        this.#drawChart();
      })
      .catch(() => {});
  }

  #loadHistory(): void {
    const cluster = this.#cluster();
    if (cluster !== undefined && this.#parts)
      void renderHistory(this.#parts.history, this.ctx.decisions, cluster);
  }
}
