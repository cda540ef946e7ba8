/**
 * One state-of-the-world ADS stream as a pure state machine: fed requests and snapshots, it returns
 * the responses to write. Protocol decisions (see also make-before-break.ts):
 * - One response in flight per type: the next is computed when the ACK/NACK arrives, so a NACK
 *   always names the version it rejects and a burst of snapshots collapses into the latest.
 * - A request answering an older nonce than the latest sent for its type is stale: ignored.
 * - NACK: the version is quarantined for the node (never sent to it again, across reconnects);
 *   Envoy keeps its last good config, and only a newer, different version is sent.
 * - LDS/CDS are wildcard: sent when the view's version differs from the client's. On a new stream
 *   the client reports the version it holds; versions are content hashes, so a reconnect (to this
 *   or another replica) with the same config gets no response and nothing is re-applied.
 * - RDS/EDS answer the requested names: sent when a requested resource differs from what the
 *   client ACKed on this stream, and always when the name set changed or a cluster is warming
 *   (Envoy waits for that answer). The first request of a stream therefore is always answered,
 *   with identical content on a plain reconnect: the names the client asks for may have changed
 *   while it was away, and Envoy skips content it already has.
 */

import type { DiscoveryRequest } from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { DiscoveryResponse } from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { pushOrder, type Resource, type Snapshot, TypeUrl } from '../snapshot/types.ts';
import { anyOf, isServedType, type StreamContext } from './events.ts';
import { desiredView, indexReferences, type View, warmedClusters } from './make-before-break.ts';
import { setKey } from './node-history.ts';
import {
  applyNames,
  isWildcard,
  namedChoice,
  newState,
  type Pending,
  type TypeState,
  wildcardChoice,
} from './sotw-state.ts';

export class SotwStream {
  readonly #ctx: StreamContext;
  readonly #now: () => number;
  readonly #types = new Map<TypeUrl, TypeState>();
  #snapshot: Snapshot | undefined;

  constructor(ctx: StreamContext) {
    this.#ctx = ctx;
    this.#now = ctx.now ?? (() => performance.now());
    for (const type of pushOrder) this.#types.set(type, newState());
  }

  onSnapshot(snapshot: Snapshot): DiscoveryResponse[] {
    indexReferences(snapshot);
    this.#snapshot = snapshot;
    return this.#evaluate();
  }

  onRequest(request: DiscoveryRequest): DiscoveryResponse[] {
    const type = request.typeUrl;
    if (!isServedType(type)) {
      this.#ctx.events.unserved(type);
      return [];
    }
    const st = this.#state(type);
    const nonce = request.responseNonce;
    if (nonce !== '' && nonce !== st.lastNonce) {
      this.#ctx.events.stale(type, nonce);
      return [];
    }
    if (st.pending && nonce === st.pending.nonce) {
      if (request.errorDetail) this.#nack(type, st, request.errorDetail.message);
      else this.#ack(type, st);
    }
    if (!st.subscribed) {
      if (type === TypeUrl.cluster) this.#wildcardClusters = request.resourceNames.length === 0;
      st.subscribed = true;
      st.clientVersion = request.versionInfo;
      st.claimed = request.versionInfo !== '';
    }
    // Dropped routes no longer pin their clusters (make-before-break retention).
    if (!isWildcard(type)) this.#ctx.history.forget(type, applyNames(st, request.resourceNames));
    else if (request.resourceNames.length > 0) applyNames(st, request.resourceNames);
    return this.#evaluate();
  }

  #state(type: TypeUrl): TypeState {
    return this.#types.get(type) as TypeState;
  }

  #ack(type: TypeUrl, st: TypeState): void {
    const p = st.pending as Pending;
    st.pending = undefined;
    const { history } = this.#ctx;
    if (type === TypeUrl.cluster && this.#snapshot) {
      const eds = this.#state(TypeUrl.endpoint);
      for (const name of warmedClusters(st.acked, p.resources, this.#snapshot))
        eds.warming.add(name);
    }
    if (isWildcard(type)) {
      st.acked = new Map(p.resources.map((r) => [r.name, r]));
      st.clientVersion = p.version;
      st.claimed = false;
      history.replaceGood(type, p.version, p.resources);
    } else {
      for (const r of p.resources) st.acked.set(r.name, r);
      history.mergeGood(type, p.version, p.resources);
    }
    this.#ctx.events.acked(type, p.version, (this.#now() - p.sentAt) / 1000, p.resources);
  }

  #nack(type: TypeUrl, st: TypeState, message: string): void {
    const p = st.pending as Pending;
    st.pending = undefined;
    this.#ctx.history.quarantine(type, setKey(p.version));
    this.#ctx.events.nacked(
      type,
      p.version,
      message,
      p.resources.map((r) => r.name),
    );
  }

  /** The view to serve for `type`: the desired one, or the node's last good if that is rejected. */
  #view(type: TypeUrl, snapshot: Snapshot): View | undefined {
    const { history } = this.#ctx;
    const desired = desiredView(type, snapshot, history);
    if (!history.isQuarantined(type, setKey(desired.version))) return desired;
    const good = history.lastGood(type);
    return good && !history.isQuarantined(type, setKey(good.version)) ? good : undefined;
  }

  #evaluate(): DiscoveryResponse[] {
    const snapshot = this.#snapshot;
    if (!snapshot) return [];
    const responses: DiscoveryResponse[] = [];
    for (const type of pushOrder) {
      const st = this.#state(type);
      if (!st.subscribed || st.pending) continue;
      const view = this.#view(type, snapshot);
      if (!view) continue;
      let resources: Resource[] | undefined;
      if (!isWildcard(type)) resources = namedChoice(st, view, snapshot, this.#holds);
      // A client naming the listeners or clusters it wants (gRPC) expects an answer whenever it
      // names a new one, even if nothing changed: it may have dropped it from an earlier answer.
      else if (view.version !== st.clientVersion || st.mustAnswer) {
        resources = wildcardChoice(st, view, snapshot, this.#holds);
      } else if (st.claimed) this.#adopt(type, st, view);
      if (resources) responses.push(this.#respond(type, st, view, resources));
    }
    return responses;
  }

  // Only a client that subscribes to every cluster (Envoy: CDS wildcard, then EDS for each) is
  // made to wait for clusters. One that resolves top-down (gRPC: listener → routes → named
  // clusters → endpoints) asks for a cluster only after a route names it, and waits for it
  // itself: gating its routes on clusters would deadlock.
  #holds = (type: TypeUrl, name: string): boolean =>
    !this.#wildcardClusters || this.#state(type).acked.has(name);

  #wildcardClusters = false;

  /** Same content hash as the view: the client holds exactly it, so it counts as ACKed here. */
  #adopt(type: TypeUrl, st: TypeState, view: View): void {
    st.claimed = false;
    st.acked = new Map(view.resources);
    this.#ctx.history.replaceGood(type, view.version, view.resources.values());
    this.#ctx.events.acked(type, view.version);
  }

  #respond(type: TypeUrl, st: TypeState, view: View, resources: Resource[]): DiscoveryResponse {
    const nonce = this.#ctx.nonce();
    st.lastNonce = nonce;
    st.pending = { nonce, version: view.version, resources, sentAt: this.#now() };
    st.mustAnswer = false;
    for (const r of resources) st.warming.delete(r.name);
    this.#ctx.events.pushed(
      type,
      view.version,
      nonce,
      resources.map((r) => r.name),
    );
    return DiscoveryResponse.fromPartial({
      versionInfo: view.version,
      typeUrl: type,
      nonce,
      resources: resources.map(anyOf),
    });
  }
}
