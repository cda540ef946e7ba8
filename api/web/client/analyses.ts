/// <reference lib="dom" />
import type { Api } from './api.ts';
import { errorLine, h, table } from './dom.ts';
import { percent, rate } from './format.ts';

export interface AnalysisContext {
  api: Api;
  /** The history time the page shows, or undefined for live. */
  atMs(): number | undefined;
  highlight(nodes: Set<string>, label: string): void;
  select(key: string): void;
}

interface Affected {
  node: string;
  depth: number;
  share: number;
  affectedRate: number;
}

interface Candidate {
  node: string;
  score: number;
  depth: number;
  reason: string;
}

const link = (ctx: AnalysisContext, key: string) => {
  const a = h('a', { href: '#', 'data-node': key }, key);
  a.addEventListener('click', (event) => {
    event.preventDefault();
    ctx.select(key);
  });
  return a;
};

/**
 * Blast radius of a node or a call edge (`GET /v1/analyses/blast-radius`): the callers and
 * entrypoints that fail with it are highlighted on the graph and listed, nearest first.
 */
export async function showBlastRadius(
  ctx: AnalysisContext,
  out: HTMLElement,
  target: { node: string } | { edge: string },
): Promise<void> {
  out.replaceChildren(h('h3', {}, 'Blast radius'), h('p', { class: 'muted' }, 'computing…'));
  try {
    const result = await ctx.api.get<{ callers: Affected[]; entrypoints: Affected[] }>(
      '/v1/analyses/blast-radius',
      { ...target, at: ctx.atMs() },
    );
    const ends = 'node' in target ? [target.node] : target.edge.split('→');
    const nodes = new Set([
      ...ends,
      ...result.callers.map((c) => c.node),
      ...result.entrypoints.map((e) => e.node),
    ]);
    ctx.highlight(nodes, `blast radius of ${'node' in target ? target.node : target.edge}`);
    const rows = [
      ...result.callers,
      ...result.entrypoints.filter((e) => !result.callers.some((c) => c.node === e.node)),
    ]
      .sort((a, b) => a.depth - b.depth || b.share - a.share)
      .map((a) => [link(ctx, a.node), a.depth, percent(a.share), rate(a.affectedRate)]);
    out.replaceChildren(
      h('h3', {}, `Blast radius: ${rows.length} affected`),
      rows.length > 0
        ? table(['node', 'depth', 'share', 'affected'], rows, ['depth', 'share', 'affected'])
        : h('p', { class: 'muted' }, 'nothing depends on it'),
    );
    out.dataset.nodes = [...nodes].sort().join(',');
  } catch (error) {
    out.replaceChildren(h('h3', {}, 'Blast radius'), errorLine(error));
  }
}

/**
 * Root cause of a symptom (`GET /v1/analyses/root-cause`): its dependencies ranked as causes
 * of its errors or latency; the ranked nodes are highlighted, the reasons listed.
 */
export async function showRootCause(
  ctx: AnalysisContext,
  out: HTMLElement,
  symptom: string,
): Promise<void> {
  out.replaceChildren(h('h3', {}, 'Root cause'), h('p', { class: 'muted' }, 'computing…'));
  try {
    const result = await ctx.api.get<{ candidates: Candidate[] }>('/v1/analyses/root-cause', {
      symptom,
      at: ctx.atMs(),
    });
    ctx.highlight(
      new Set([symptom, ...result.candidates.map((c) => c.node)]),
      `root cause of ${symptom}`,
    );
    out.replaceChildren(
      h('h3', {}, `Root cause of ${symptom}`),
      h(
        'ol',
        { class: 'root-cause' },
        ...result.candidates.map((c) =>
          h(
            'li',
            { 'data-node': c.node },
            link(ctx, c.node),
            ` score ${c.score.toFixed(2)} `,
            h('div', { class: 'reason' }, c.reason),
          ),
        ),
      ),
    );
  } catch (error) {
    out.replaceChildren(h('h3', {}, 'Root cause'), errorLine(error));
  }
}
