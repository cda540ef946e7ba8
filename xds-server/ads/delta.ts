/**
 * One delta (incremental) ADS stream as a pure state machine: fed requests and snapshots, it
 * returns the responses to write. Protocol decisions (see also make-before-break.ts):
 * - Per type the client's subscription (wildcard when its first LDS/CDS request subscribes to
 *   nothing or to "*") and the versions it holds: from initial_resource_versions on its first
 *   request, then updated as responses go out (and restored on NACK).
 * - Only resources whose version differs from the client's are sent; what the client holds that
 *   no longer exists (or it never subscribed to) goes out in removed_resources. So a reconnect to
 *   any replica with the same config sends nothing: versions are content hashes.
 * - system_version_info is the version of the type's view (the snapshot set's version).
 * - One response in flight per type, as in sotw.ts. A stale nonce is counted and its ACK/NACK
 *   meaning ignored, but its subscription changes still apply: delta requests are diffs, and
 *   dropping one would leave the server's idea of the subscription wrong for good.
 * - NACK: every (name, version) of the rejected response is quarantined for the node; a newer
 *   version of the resource is sent, the rejected one never again.
 */

import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from '../../schemas/gen/envoy/envoy/service/discovery/v3/discovery.ts';
import { pushOrder, type Resource, type Snapshot, TypeUrl } from '../snapshot/types.ts';
import {
  applySubscriptions,
  deltaChoice,
  newState,
  type Pending,
  type TypeState,
} from './delta-state.ts';
import { anyOf, isServedType, type StreamContext } from './events.ts';
import { desiredView, indexReferences, type View, warmedClusters } from './make-before-break.ts';
import { resourceKey } from './node-history.ts';

export class DeltaStream {
  readonly #ctx: StreamContext;
  readonly #now: () => number;
  readonly #types = new Map<TypeUrl, TypeState>();
  #snapshot: Snapshot | undefined;

  constructor(ctx: StreamContext) {
    this.#ctx = ctx;
    this.#now = ctx.now ?? (() => performance.now());
    for (const type of pushOrder) this.#types.set(type, newState());
  }

  onSnapshot(snapshot: Snapshot): DeltaDiscoveryResponse[] {
    indexReferences(snapshot);
    this.#snapshot = snapshot;
    return this.#evaluate();
  }

  onRequest(request: DeltaDiscoveryRequest): DeltaDiscoveryResponse[] {
    const type = request.typeUrl;
    if (!isServedType(type)) {
      this.#ctx.events.unserved(type);
      return [];
    }
    const st = this.#state(type);
    const nonce = request.responseNonce;
    if (nonce !== '' && nonce !== st.lastNonce) {
      this.#ctx.events.stale(type, nonce);
    } else if (st.pending && nonce === st.pending.nonce) {
      if (request.errorDetail) this.#nack(type, st, request.errorDetail.message);
      else this.#ack(type, st);
    }
    // Unsubscribed routes no longer pin their clusters (make-before-break retention).
    this.#ctx.history.forget(type, applySubscriptions(type, st, request));
    return this.#evaluate();
  }

  #state(type: TypeUrl): TypeState {
    return this.#types.get(type) as TypeState;
  }

  // Only a client that subscribes to every cluster (Envoy: CDS wildcard, then EDS for each) is
  // made to wait for clusters; see sotw.ts for why top-down clients (gRPC) are not.
  #holds = (type: TypeUrl, name: string): boolean => {
    const clusters = this.#state(TypeUrl.cluster);
    return !(clusters.subscribed && clusters.wildcard) || this.#state(type).holds.has(name);
  };

  #ack(type: TypeUrl, st: TypeState): void {
    const p = st.pending as Pending;
    st.pending = undefined;
    const { history } = this.#ctx;
    if (type === TypeUrl.cluster && this.#snapshot) {
      const before = history.lastGood(type)?.resources;
      const eds = this.#state(TypeUrl.endpoint);
      for (const name of warmedClusters(before, p.resources, this.#snapshot)) {
        if (eds.names.has(name)) eds.force.add(name);
      }
    }
    for (const r of p.resources) st.holds.add(r.name);
    for (const name of p.removed) st.holds.delete(name);
    history.mergeGood(type, p.version, p.resources, p.removed);
    this.#ctx.events.acked(type, p.version, (this.#now() - p.sentAt) / 1000, p.resources);
  }

  #nack(type: TypeUrl, st: TypeState, message: string): void {
    const p = st.pending as Pending;
    st.pending = undefined;
    for (const r of p.resources) this.#ctx.history.quarantine(type, resourceKey(r.name, r.version));
    for (const [name, version] of p.previous) {
      if (version === undefined) st.known.delete(name);
      else st.known.set(name, version);
    }
    const names = [...p.resources.map((r) => r.name), ...p.removed];
    this.#ctx.events.nacked(type, p.version, message, names);
  }

  #evaluate(): DeltaDiscoveryResponse[] {
    const snapshot = this.#snapshot;
    if (!snapshot) return [];
    const responses: DeltaDiscoveryResponse[] = [];
    for (const type of pushOrder) {
      const st = this.#state(type);
      if (!st.subscribed || st.pending) continue;
      const view = desiredView(type, snapshot, this.#ctx.history);
      const choice = deltaChoice(type, st, view, snapshot, this.#ctx.history, this.#holds);
      if (choice.resources.length + choice.removed.length === 0) continue;
      responses.push(this.#respond(type, st, view, choice.resources, choice.removed));
    }
    return responses;
  }

  #respond(
    type: TypeUrl,
    st: TypeState,
    view: View,
    resources: Resource[],
    removed: string[],
  ): DeltaDiscoveryResponse {
    const nonce = this.#ctx.nonce();
    const previous = new Map<string, string | undefined>();
    for (const r of resources) {
      previous.set(r.name, st.known.get(r.name));
      st.known.set(r.name, r.version);
      st.force.delete(r.name);
    }
    for (const name of removed) {
      previous.set(name, st.known.get(name));
      st.known.delete(name);
      st.unanswered.delete(name);
    }
    st.lastNonce = nonce;
    st.pending = {
      nonce,
      version: view.version,
      resources,
      removed,
      sentAt: this.#now(),
      previous,
    };
    const names = [...resources.map((r) => r.name), ...removed];
    this.#ctx.events.pushed(type, view.version, nonce, names);
    return DeltaDiscoveryResponse.fromPartial({
      systemVersionInfo: view.version,
      typeUrl: type,
      nonce,
      resources: resources.map((r) => ({
        name: r.name,
        version: r.version,
        resource: anyOf(r),
      })),
      removedResources: removed,
    });
  }
}
