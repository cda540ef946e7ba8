/// <reference lib="dom" />
import type { GraphChange } from '../../../stream-jobs/graph/events.ts';
import { Api, HttpError } from './api.ts';
import { Controls } from './controls.ts';
import { expose } from './debug.ts';
import { DecisionFeed } from './decisions.ts';
import { DetailsPanel } from './details.ts';
import { byId } from './dom.ts';
import { ms, percent, rate } from './format.ts';
import { type ChangeKind, type GraphData, GraphModel } from './model.ts';
import { Renderer } from './render.ts';
import { RedHistory, type Target } from './series.ts';
import { followStream } from './sse.ts';
import { drawTimeline, TimeSlider } from './timeline.ts';
import { GraphView, type ViewFilter } from './view.ts';

// The live graph page (/ui). Everything comes from the API of this origin. `?poll=MS`: how
// often routing decisions are polled (default 5 s); `?rerank=MS`: how often the drawn set is
// re-ranked by traffic and node sizes follow it (default 5 s).
const api = new Api();
const settings = new URLSearchParams(window.location.search);
const pollMs = Number(settings.get('poll')) || 5000;
const rerankMs = Number(settings.get('rerank')) || 5000;
const live = new GraphModel();
const view = new GraphView(live);
const red = new RedHistory(api);
let past: { atMs: number } | undefined;
let highlight: { nodes: Set<string>; label: string } | undefined;
let ready = false;
let changes = 0;
let layouts = 0;
const status = byId('status');
const clearHighlight = byId<HTMLButtonElement>('clear-highlight');

const renderer = new Renderer(byId('graph'), view, byId('tooltip'), {
  onNode: (key) => select({ node: key }),
  onEdge: (key) => select({ edge: key }),
  onStage: () => select(undefined),
  describeNode: (key) => {
    const node = view.model.nodes.get(key);
    const r = view.model.red(key);
    return `${key}  (${node?.health ?? '?'})\n${rate(r.rate)}  errors ${percent(r.errorRate)}  p99 ${ms(r.p99)}`;
  },
  describeEdge: (key) => {
    const s = view.model.edges.get(key)?.stats['1m'];
    return `${key}\n${rate(s?.rate)}  errors ${percent(s?.errorRate)}  p99 ${ms(s?.p99)}`;
  },
});

const decisions = new DecisionFeed(api, pollMs, (clusters) => {
  details.onDecisions(clusters);
  timeline();
});

const details = new DetailsPanel(byId('details'), {
  api,
  model: () => view.model,
  atMs: () => past?.atMs,
  decisions,
  red,
  select: (key) => select({ node: key }),
  highlight: (nodes, label) => setHighlight({ nodes, label }),
  centre: (key) => applyFilter(controls.centreOn(key)),
});

const controls = new Controls(() => view.model, {
  onFilter: (filter) => applyFilter(filter),
  onFind: (key) => select({ node: key }),
});

const slider = new TimeSlider(
  byId<HTMLInputElement>('slider'),
  byId('slider-label'),
  () => live.atMs || Date.now(),
  (minutes) => void travel(minutes),
);

function redraw(layout: boolean): void {
  view.pinned.clear();
  const target = details.target;
  if (target && 'node' in target) view.pinned.add(target.node);
  for (const key of highlight?.nodes ?? []) view.pinned.add(key);
  const added = view.reconcile();
  if (layout || (added && view.graph.order <= 3)) {
    view.layout();
    layouts++;
  }
  byId('counts').textContent = `${view.graph.order} of ${view.model.nodes.size} nodes drawn`;
}

function applyFilter(filter: ViewFilter): void {
  view.filter = filter;
  redraw(true);
}

function select(target: Target | undefined): void {
  renderer.setSelected(
    target === undefined ? undefined : 'node' in target ? target.node : target.edge,
  );
  if (target === undefined) details.clear();
  else details.show(target);
  redraw(false);
}

function setHighlight(next: typeof highlight): void {
  highlight = next;
  clearHighlight.hidden = next === undefined;
  clearHighlight.textContent = next ? `clear: ${next.label}` : '';
  redraw(false);
  renderer.setHighlight(next?.nodes);
}
clearHighlight.addEventListener('click', () => setHighlight(undefined));

/** Shows the graph `minutes` ago from ClickHouse history, or live again at 0. */
async function travel(minutes: number): Promise<void> {
  if (minutes === 0) {
    past = undefined;
    view.model = live;
  } else {
    const atMs = Math.round(live.atMs - minutes * 60_000);
    const around =
      view.filter.mode === 'around'
        ? { service: view.filter.centre, depth: view.filter.depth }
        : {};
    try {
      const data = await api.get<GraphData>('/v1/graph', {
        at: atMs,
        horizon: '5m',
        limit: view.filter.limit,
        ...around,
      });
      past = { atMs };
      view.model = GraphModel.of(data);
    } catch (error) {
      const reason =
        error instanceof HttpError && error.code === 'HISTORY_UNAVAILABLE'
          ? 'no history (the API runs without ClickHouse)'
          : String(error);
      slider.reset(reason);
      return;
    }
  }
  showStatus();
  redraw(true);
  if (details.target) details.show(details.target);
}

function showStatus(text?: string): void {
  status.className = `status ${past ? '' : 'live'}`;
  status.textContent =
    text ?? (past ? `history: ${new Date(past.atMs).toLocaleTimeString()}` : 'live');
}

function timeline(): void {
  const note = decisions.state === 'none' ? 'no policy running' : undefined;
  drawTimeline(byId('decision-timeline'), decisions.timeline, Date.now(), note, (cluster) =>
    select({ node: cluster }),
  );
}

let detailsTimer: ReturnType<typeof setTimeout> | undefined;
let reconcileTimer: ReturnType<typeof setTimeout> | undefined;

function onChange(change: GraphChange, kind: ChangeKind): void {
  changes++;
  if (past) return;
  if (change.type === 'edge-stats') view.updateEdge(change.key);
  else if (change.type === 'node-changed') view.updateNode(change.node.key);
  // Additions and removals are gathered for 300 ms: a burst (a new service and its endpoints)
  // becomes one reconcile. The panel redraws at most twice a second, however busy the stream.
  if (kind === 'structure' && reconcileTimer === undefined) {
    reconcileTimer = setTimeout(() => {
      reconcileTimer = undefined;
      redraw(false);
    }, 300);
  }
  if (details.target && detailsTimer === undefined) {
    detailsTimer = setTimeout(() => {
      detailsTimer = undefined;
      details.refresh();
    }, 500);
  }
}

followStream(api, live, {
  onSnapshot: () => {
    if (!past) redraw(true);
    ready = true;
  },
  onChange,
  onStatus: (s) => (s === 'live' ? showStatus() : showStatus('reconnecting…')),
});
decisions.start();
// Traffic moves nodes in and out of the busiest N, and edges age out of the 5-minute window.
setInterval(() => !past && redraw(false), rerankMs);
setInterval(timeline, 30_000);

expose({
  get ready() {
    return ready;
  },
  get changes() {
    return changes;
  },
  renders: () => renderer.renders,
  layouts: () => layouts,
  mode: () => (past ? 'history' : 'live'),
  drawnNodes: () => view.graph.nodes(),
  drawnEdges: () => view.graph.edges(),
  modelNodes: () => view.model.nodes.size,
  node: (key) => {
    const at = renderer.viewport(key);
    if (!at || !view.graph.hasNode(key)) return undefined;
    return {
      health: view.graph.getNodeAttribute(key, 'health'),
      color: renderer.drawnColor(key),
      ...at,
    };
  },
  edge: (key) => (view.graph.hasEdge(key) ? { color: renderer.drawnEdgeColor(key) } : undefined),
  selected: () => renderer.selected,
  highlighted: () => [...(highlight?.nodes ?? [])].sort(),
  policy: () => decisions.state,
  decisionPolls: () => decisions.polls,
});
