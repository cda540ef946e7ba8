/**
 * Per-type state of a state-of-the-world stream and the pure choice of what to send next
 * (the rules are listed in sotw.ts).
 */

import { type Resource, type Snapshot, TypeUrl } from '../snapshot/types.ts';
import { type Holds, isReady, type View } from './make-before-break.ts';

export interface Pending {
  readonly nonce: string;
  readonly version: string;
  readonly resources: readonly Resource[];
  readonly sentAt: number;
}

export interface TypeState {
  subscribed: boolean;
  /** RDS/EDS: the names requested. */
  names: Set<string>;
  /** LDS/CDS: the version the client holds; `claimed` until this stream has verified it. */
  clientVersion: string;
  claimed: boolean;
  /** What the client holds, as verified on this stream. */
  acked: Map<string, Resource>;
  pending?: Pending;
  lastNonce: string;
  /** RDS/EDS: answer at the next chance even if nothing changed. */
  mustAnswer: boolean;
  /** EDS: clusters Envoy is warming, whose endpoints it must receive again. */
  warming: Set<string>;
}

export const isWildcard = (type: TypeUrl): boolean =>
  type === TypeUrl.listener || type === TypeUrl.cluster;

export function newState(): TypeState {
  return {
    subscribed: false,
    names: new Set(),
    clientVersion: '',
    claimed: false,
    acked: new Map(),
    lastNonce: '',
    mustAnswer: false,
    warming: new Set(),
  };
}

/** Applies an RDS/EDS request's resource_names; returns the names dropped from it. */
export function applyNames(st: TypeState, requested: readonly string[]): string[] {
  const next = new Set(requested);
  const added = [...next].some((name) => !st.names.has(name));
  const dropped = [...st.names].filter((name) => !next.has(name));
  for (const name of dropped) st.acked.delete(name);
  // An empty set is an unsubscribe-all: nothing is left to answer with.
  if (added || (dropped.length > 0 && next.size > 0)) st.mustAnswer = true;
  st.names = next;
  return dropped;
}

/** LDS/CDS whose view differs from the client's version: the whole view, or undefined to hold. */
export function wildcardChoice(
  st: TypeState,
  view: View,
  snapshot: Snapshot,
  holds: Holds,
): Resource[] | undefined {
  const resources = [...view.resources.values()];
  // Omitting a listener would delete it, so one not-ready listener holds the whole type back.
  const ready = resources.every(
    (r) => st.acked.get(r.name)?.version === r.version || isReady(r, snapshot, holds),
  );
  return ready ? resources : undefined;
}

/** RDS/EDS: the requested resources to answer with now, or undefined when nothing is due. */
export function namedChoice(
  st: TypeState,
  view: View,
  snapshot: Snapshot,
  holds: Holds,
): Resource[] | undefined {
  const out: Resource[] = [];
  let send = st.mustAnswer;
  let held = false;
  for (const name of st.names) {
    const r = view.resources.get(name);
    if (!r) continue;
    const unchanged = st.acked.get(name)?.version === r.version;
    // A route may go out alone while another waits: every SotW RDS response names its resources.
    if (!unchanged && !isReady(r, snapshot, holds)) {
      held = true;
      continue;
    }
    out.push(r);
    if (!unchanged || st.warming.has(name)) send = true;
  }
  // Only warming clusters still requested can be waiting; new ones arrive as added names.
  for (const name of st.warming) if (!st.names.has(name)) st.warming.delete(name);
  // Waiting for readiness beats an answer without the resources the client is waiting for.
  if (held && out.length === 0) return undefined;
  return send ? out : undefined;
}
