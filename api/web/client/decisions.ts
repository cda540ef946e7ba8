/// <reference lib="dom" />
import type { Decision } from '../../../stream-jobs/policy/types.ts';
import { type Api, HttpError, pathOf } from './api.ts';

/** `none`: the decisions API answers 404, so no policy runs behind this API. */
export type PolicyState = 'unknown' | 'none' | 'running' | 'error';

export interface TimelineEntry {
  cluster: string;
  decidedAtMs: number;
  reason: string;
}

const timelineMs = 60 * 60_000;

/**
 * The routing decisions, polled from `GET /v1/decisions` (the policy API has no stream). Keeps
 * the latest per cluster and a timeline of the last hour's decisions, seeded from each
 * cluster's history once and then extended by what each poll brings.
 */
export class DecisionFeed {
  state: PolicyState = 'unknown';
  readonly current = new Map<string, Decision>();
  readonly timeline: TimelineEntry[] = [];
  polls = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seeded = false;

  constructor(
    readonly api: Api,
    readonly pollMs: number,
    readonly onChange: (clusters: string[]) => void,
  ) {}

  start(): void {
    const tick = async () => {
      await this.poll();
      this.#timer = setTimeout(tick, this.pollMs);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async poll(): Promise<void> {
    let decisions: Decision[];
    try {
      ({ decisions } = await this.api.get<{ decisions: Decision[] }>('/v1/decisions'));
    } catch (error) {
      const state = error instanceof HttpError && error.status === 404 ? 'none' : 'error';
      this.polls++;
      if (state !== this.state) {
        this.state = state;
        this.onChange([]);
      }
      return;
    }
    const changed: string[] = [];
    for (const decision of decisions) {
      const before = this.current.get(decision.cluster);
      if (before?.decidedAtMs === decision.decidedAtMs) continue;
      this.current.set(decision.cluster, decision);
      this.#record(decision);
      changed.push(decision.cluster);
    }
    const stateChanged = this.state !== 'running';
    this.state = 'running';
    this.polls++;
    if (!this.#seeded) {
      this.#seeded = true;
      await this.#seed(decisions.map((d) => d.cluster).slice(0, 20));
    }
    if (changed.length > 0 || stateChanged) this.onChange(changed);
  }

  /** A cluster's past decisions, newest first; [] when the policy does not know the cluster. */
  async history(cluster: string, limit = 30): Promise<Decision[]> {
    try {
      const path = pathOf`/v1/decisions/${cluster}/history`;
      return (await this.api.get<{ decisions: Decision[] }>(path, { limit })).decisions;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return [];
      throw error;
    }
  }

  /** The latest decision in words, one line per endpoint; [] when there is none. */
  async explain(cluster: string): Promise<string[]> {
    try {
      const path = pathOf`/v1/decisions/${cluster}/explain`;
      return (await this.api.get<{ lines: string[] }>(path)).lines;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return [];
      throw error;
    }
  }

  async #seed(clusters: string[]): Promise<void> {
    const histories = await Promise.all(clusters.map((c) => this.history(c, 50).catch(() => [])));
    for (const decision of histories.flat()) this.#record(decision);
  }

  #record(decision: Decision): void {
    const { cluster, decidedAtMs, reason } = decision;
    if (this.timeline.some((e) => e.cluster === cluster && e.decidedAtMs === decidedAtMs)) return;
    this.timeline.push({ cluster, decidedAtMs, reason });
    this.timeline.sort((a, b) => a.decidedAtMs - b.decidedAtMs);
    const since = Date.now() - timelineMs;
    while (this.timeline.length > 0 && (this.timeline[0]?.decidedAtMs ?? 0) < since)
      this.timeline.shift();
  }
}
