/**
 * Why a routing change was refused. `code` is stable (callers and tests branch on it, the
 * admin API returns it); `message` is for people: it names the offending thing and, for an
 * unknown name, lists the valid ones.
 */
export interface RoutingError {
  readonly code: string;
  readonly message: string;
}

/** Every code a routing change can be refused with. */
export const RoutingErrorCode = {
  /** The change names a cluster the mesh config does not have. */
  unknownCluster: 'UNKNOWN_CLUSTER',
  /** Endpoint weights for a cluster whose policy is `static` (configured weights only). */
  staticCluster: 'STATIC_CLUSTER',
  /** An endpoint key (`host:port`) that is not one of the cluster's configured endpoints. */
  unknownEndpoint: 'UNKNOWN_ENDPOINT',
  /** The change names a route the mesh config does not have. */
  unknownRoute: 'UNKNOWN_ROUTE',
  /** A route-level split for a route that sends to one cluster, not a weighted split. */
  notASplitRoute: 'NOT_A_SPLIT_ROUTE',
  /** A route-level split naming a cluster outside that route's configured split. */
  clusterNotInSplit: 'CLUSTER_NOT_IN_SPLIT',
  /** A weight outside its range (endpoints: integer 0..128; splits: integer 0..2^32-1). */
  badWeight: 'BAD_WEIGHT',
  /** Every endpoint of the cluster would end up with weight 0. */
  allEjected: 'ALL_EJECTED',
  /** A split whose effective weights sum to 0 (no traffic anywhere) or past 2^32-1. */
  badTotalWeight: 'BAD_TOTAL_WEIGHT',
  /** Used by the control plane: no mesh config loaded yet. */
  notReady: 'NOT_READY',
  /** Used by the control plane: the snapshot cache refused the resulting snapshot. */
  rejected: 'REJECTED',
} as const;

export type RoutingErrorCode = (typeof RoutingErrorCode)[keyof typeof RoutingErrorCode];

export function routingError(code: RoutingErrorCode, message: string): RoutingError {
  return Object.freeze({ code, message });
}

const q = (name: string): string => JSON.stringify(name);

/** `"a", "b"` — or `(none)` — for messages that list the names a caller could have meant. */
export function quoteList(names: Iterable<string>): string {
  const quoted = [...names].map(q);
  return quoted.length === 0 ? '(none)' : quoted.join(', ');
}

/** The refusals routing/apply.ts makes, one constructor per code, so messages stay uniform. */
export const routingErrors = {
  unknownCluster: (name: string, known: Iterable<string>) =>
    routingError(
      RoutingErrorCode.unknownCluster,
      `unknown cluster ${q(name)}; known clusters: ${quoteList(known)}`,
    ),
  staticCluster: (cluster: string) =>
    routingError(
      RoutingErrorCode.staticCluster,
      `cluster ${q(cluster)} has policy static: its endpoint weights come from the mesh config only`,
    ),
  unknownEndpoint: (key: string, cluster: string, known: Iterable<string>) =>
    routingError(
      RoutingErrorCode.unknownEndpoint,
      `unknown endpoint ${q(key)} in cluster ${q(cluster)}; configured endpoints: ${quoteList(known)}`,
    ),
  unknownRoute: (name: string, known: Iterable<string>) =>
    routingError(
      RoutingErrorCode.unknownRoute,
      `unknown route ${q(name)}; known routes: ${quoteList(known)}`,
    ),
  notASplitRoute: (route: string, cluster: string) =>
    routingError(
      RoutingErrorCode.notASplitRoute,
      `route ${q(route)} sends to the single cluster ${q(cluster)}; only routes with a weighted split take split weights`,
    ),
  clusterNotInSplit: (cluster: string, route: string, members: Iterable<string>) =>
    routingError(
      RoutingErrorCode.clusterNotInSplit,
      `cluster ${q(cluster)} is not in the split of route ${q(route)}; its clusters: ${quoteList(members)}`,
    ),
  /** `what` says whose weight, e.g. `endpoint "10.0.0.1:80" in cluster "api"`. */
  badWeight: (what: string, max: number, weight: number) =>
    routingError(
      RoutingErrorCode.badWeight,
      `weight of ${what} must be an integer from 0 to ${max}, got ${weight}`,
    ),
  allEjected: (cluster: string) =>
    routingError(
      RoutingErrorCode.allEjected,
      `cluster ${q(cluster)}: every endpoint would have weight 0; at least one must keep a weight above 0`,
    ),
  badTotalWeight: (route: string, sum: number, max: number) =>
    routingError(
      RoutingErrorCode.badTotalWeight,
      `route ${q(route)}: split weights sum to ${sum}; the sum must be from 1 to ${max}`,
    ),
};
