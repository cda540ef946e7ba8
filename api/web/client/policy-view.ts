/// <reference lib="dom" />
import type { Decision } from '../../../stream-jobs/policy/types.ts';
import { lineChart } from './charts.ts';
import { healthColors, reasonColor } from './colors.ts';
import type { DecisionFeed } from './decisions.ts';
import { errorLine, h } from './dom.ts';
import { clock, ms, percent, rate } from './format.ts';
import type { GraphModel } from './model.ts';

const palette = ['#0969da', '#e5534b', '#2da44e', '#d4a72c', '#8250df', '#bf3989', '#1b7c83'];

/**
 * The endpoints of `cluster` with their live stats and, from the policy, their current weight
 * and its reason. Drawn at once from what the page already has (so a new decision shows in
 * the next frame); the history and the explanation follow from their own requests.
 */
export function renderEndpoints(
  out: HTMLElement,
  model: GraphModel,
  feed: DecisionFeed,
  cluster: string,
): void {
  const decision = feed.current.get(cluster);
  const byEndpoint = new Map(decision?.endpoints.map((e) => [e.endpoint, e]));
  const live = new Map(model.endpointsOf(cluster).map((node) => [node.endpoint ?? node.key, node]));
  const names = [...new Set([...live.keys(), ...byEndpoint.keys()])].sort();
  const status =
    feed.state === 'none'
      ? h('p', { class: 'muted policy-state' }, 'no policy running')
      : feed.state === 'running' && decision === undefined
        ? h('p', { class: 'muted policy-state' }, `no routing decision for ${cluster}`)
        : decision
          ? h(
              'p',
              { class: 'policy-state' },
              `decided ${clock(decision.decidedAtMs)}: `,
              h('span', { class: 'reason' }, decision.reason),
              decision.dryRun ? ' (dry run)' : '',
            )
          : null;
  const rows = names.map((name) => {
    const node = live.get(name);
    const red = node ? model.red(node.key) : undefined;
    const d = byEndpoint.get(name);
    // The endpoint the health rules or the policy hold against must stand out among its
    // siblings: an ejected one soon has no traffic, so its badge alone would turn grey.
    const bad =
      d?.reason === 'ejected' || node?.health === 'degraded' || node?.health === 'failing';
    return h(
      'tr',
      {
        'data-endpoint': name,
        class: bad ? 'bad' : undefined,
        style: bad ? `color:${healthColors.failing}` : undefined,
      },
      h('td', {}, node ? h('span', { class: `badge ${node.health}` }, ' ') : '', ` ${name}`),
      h('td', { class: 'num' }, rate(red?.rate)),
      h('td', { class: 'num' }, percent(red?.errorRate)),
      h('td', { class: 'num' }, ms(red?.p99)),
      h('td', { class: 'num weight' }, d ? String(d.weight) : '–'),
      h(
        'td',
        { class: 'reason' },
        d ? `${d.reason}${d.previousWeight !== d.weight ? ` (was ${d.previousWeight})` : ''}` : '',
      ),
    );
  });
  const head = ['endpoint', 'rate', 'errors', 'p99', 'weight', 'reason'];
  out.replaceChildren(
    h('h3', {}, 'Endpoints'),
    status ?? '',
    names.length > 0
      ? h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
          h('tbody', {}, ...rows),
        )
      : h('p', { class: 'muted' }, 'no endpoints seen'),
  );
}

/** The cluster's past decisions: weights over time per endpoint, then the list with reasons. */
export async function renderHistory(
  out: HTMLElement,
  feed: DecisionFeed,
  cluster: string,
): Promise<void> {
  if (feed.state === 'none') {
    out.replaceChildren();
    return;
  }
  try {
    const [past, lines] = await Promise.all([feed.history(cluster, 30), feed.explain(cluster)]);
    out.replaceChildren(
      h('h3', {}, 'Decisions'),
      lines.length > 0
        ? h('ul', { class: 'explain' }, ...lines.map((line) => h('li', { class: 'reason' }, line)))
        : '',
      past.length > 0 ? weightsChart(past) : '',
      past.length > 0
        ? h('ul', { class: 'decision-list' }, ...past.map(decisionItem))
        : h('p', { class: 'muted' }, 'no past decisions'),
    );
  } catch (error) {
    out.replaceChildren(h('h3', {}, 'Decisions'), errorLine(error));
  }
}

function decisionItem(decision: Decision): HTMLElement {
  const changes = decision.endpoints
    .filter((e) => e.weight !== e.previousWeight)
    .map((e) => `${e.endpoint} ${e.previousWeight}→${e.weight} (${e.reason})`);
  return h(
    'li',
    { 'data-decided': decision.decidedAtMs },
    h(
      'span',
      { class: 'badge', style: `background:${reasonColor(decision.reason)}` },
      decision.reason,
    ),
    ` ${clock(decision.decidedAtMs)} `,
    h('div', { class: 'reason' }, changes.length > 0 ? changes.join('; ') : 'weights unchanged'),
  );
}

function weightsChart(past: Decision[]): SVGSVGElement {
  const endpoints = [...new Set(past.flatMap((d) => d.endpoints.map((e) => e.endpoint)))].sort();
  const series = endpoints.map((endpoint, i) => ({
    name: endpoint,
    color: palette[i % palette.length] ?? '#000',
    points: past.map((d) => ({
      t: d.decidedAtMs,
      v: d.endpoints.find((e) => e.endpoint === endpoint)?.weight ?? null,
    })),
  }));
  const times = past.map((d) => d.decidedAtMs);
  return lineChart(series, {
    title: 'weights',
    step: true,
    from: Math.min(...times),
    to: Math.max(Date.now(), ...times),
  });
}
