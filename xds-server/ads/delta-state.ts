/**
 * Per-type state of a delta (incremental) stream and the pure choice of what to send next
 * (the rules are listed in delta.ts).
 */

import type { DeltaDiscoveryRequest } from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { type Resource, type Snapshot, TypeUrl } from '../snapshot/types.ts';
import { type Holds, isReady, type View } from './make-before-break.ts';
import { type NodeHistory, resourceKey } from './node-history.ts';

export interface Pending {
  readonly nonce: string;
  readonly version: string;
  readonly resources: readonly Resource[];
  readonly removed: readonly string[];
  readonly sentAt: number;
  /** `known` before this response, restored on NACK: Envoy keeps what it had. */
  readonly previous: ReadonlyMap<string, string | undefined>;
}

export interface TypeState {
  subscribed: boolean;
  wildcard: boolean;
  /** Names subscribed explicitly. */
  names: Set<string>;
  /** name → version the client holds, as far as the server knows. */
  known: Map<string, string>;
  /** Names the client verifiably holds: ACKed here, or reported on connect. */
  holds: Set<string>;
  /** Names subscribed but not answered yet: a missing one is answered with a removal. */
  unanswered: Set<string>;
  /** EDS: clusters Envoy is warming, whose endpoints it must receive again. */
  force: Set<string>;
  pending?: Pending;
  lastNonce: string;
}

export function newState(): TypeState {
  return {
    subscribed: false,
    wildcard: false,
    names: new Set(),
    known: new Map(),
    holds: new Set(),
    unanswered: new Set(),
    force: new Set(),
    lastNonce: '',
  };
}

/**
 * Applies a request's subscription changes (the first one also sets wildcard mode and what the
 * client already holds). Returns the names unsubscribed.
 */
export function applySubscriptions(
  type: TypeUrl,
  st: TypeState,
  request: DeltaDiscoveryRequest,
): string[] {
  const subscribe = request.resourceNamesSubscribe;
  if (!st.subscribed) {
    st.subscribed = true;
    const wildcardType = type === TypeUrl.listener || type === TypeUrl.cluster;
    st.wildcard = wildcardType && (subscribe.length === 0 || subscribe.includes('*'));
    for (const [name, version] of Object.entries(request.initialResourceVersions)) {
      st.known.set(name, version);
      st.holds.add(name);
    }
  }
  for (const name of subscribe) {
    if (name === '*') st.wildcard = true;
    else if (!st.names.has(name)) {
      st.names.add(name);
      st.unanswered.add(name);
    }
  }
  const dropped: string[] = [];
  for (const name of request.resourceNamesUnsubscribe) {
    if (name === '*') {
      st.wildcard = false;
      continue;
    }
    // The client discards what it unsubscribes; forgetting it here means a later re-subscribe
    // is answered (go-control-plane#583).
    st.names.delete(name);
    st.known.delete(name);
    st.holds.delete(name);
    st.unanswered.delete(name);
    dropped.push(name);
  }
  return dropped;
}

/** What to send for one type now: changed resources and removals (both empty = nothing). */
export function deltaChoice(
  type: TypeUrl,
  st: TypeState,
  view: View,
  snapshot: Snapshot,
  history: NodeHistory,
  holds: Holds,
): { resources: Resource[]; removed: string[] } {
  const interest = st.wildcard ? new Set([...view.resources.keys(), ...st.names]) : st.names;
  const resources: Resource[] = [];
  const removed: string[] = [];
  for (const name of interest) {
    let r = view.resources.get(name);
    if (!r) {
      // Removal for what the client holds, or as "does not exist" for a fresh subscription, so
      // a warming cluster stops waiting.
      if (st.known.has(name) || st.unanswered.has(name)) removed.push(name);
      continue;
    }
    if (history.isQuarantined(type, resourceKey(name, r.version))) {
      // Rejected for this node: its last good version, if it is not what the client holds.
      r = history.lastGood(type)?.resources.get(name);
      if (!r || history.isQuarantined(type, resourceKey(name, r.version))) continue;
    }
    if (st.known.get(name) === r.version && !st.force.has(name)) continue;
    if (isReady(r, snapshot, holds)) resources.push(r);
  }
  // Held on connect but neither subscribed nor (for wildcard) existing any more.
  for (const name of st.known.keys()) if (!interest.has(name)) removed.push(name);
  return { resources, removed };
}
