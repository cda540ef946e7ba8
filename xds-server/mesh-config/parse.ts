import { type Document, isMap, LineCounter, type Node, parseDocument } from 'yaml';
import { parseHostPort } from './addresses.ts';
import type { ConfigIssue } from './issues.ts';
import { describe } from './nodes.ts';
import { Reader, type Val } from './reader.ts';
import type {
  AccessLogConfig,
  ClusterConfig,
  LbPolicy,
  ListenerConfig,
  MeshConfig,
} from './types.ts';
import { readClusters } from './validate-clusters.ts';
import { readListeners } from './validate-listeners.ts';

export { type ConfigIssue, formatIssue } from './issues.ts';

export type ParseResult =
  | { readonly ok: true; readonly config: MeshConfig }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[] };

const rootKeys = ['listeners', 'clusters', 'accessLog'] as const;

/**
 * The mesh config in `text` (YAML; the format is in README.md next to this file), validated
 * and defaulted, deeply frozen; or every problem found, in file order. `file` only labels the
 * issues: nothing is read here.
 */
export function parseMeshConfig(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true });
  if (doc.errors.length > 0) {
    // The parser's messages end in " at line L, column C:" and a code frame; the line is
    // ours to print, so only the sentence before it is kept.
    const errors = doc.errors.map((error) => ({
      file,
      path: '',
      ...(error.linePos && { line: error.linePos[0].line }),
      reason: `YAML syntax: ${error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')}`,
    }));
    return { ok: false, errors };
  }
  const r = new Reader(file, doc, lines);
  const root = doc.contents as Node | null;
  if (root === null) {
    const reason = 'the file is empty; expected a mapping with listeners and clusters';
    return { ok: false, errors: [{ file, path: '', line: 1, reason }] };
  }
  if (!isMap(root)) {
    const reason = `expected a mapping with listeners and clusters at the top, got ${describe(root)}`;
    return { ok: false, errors: [{ file, path: '', line: r.lineOf(root) ?? 1, reason }] };
  }
  const fields = r.map({ node: root, path: '' }, rootKeys);
  // Clusters first: routes are checked against the names they declare.
  const clusters = readClusters(r, fields?.need('clusters'));
  const names = [...new Set(clusters.map((cluster) => cluster.name))].filter((name) => name !== '');
  const listeners = readListeners(r, fields?.need('listeners'), names);
  const accessLog = readAccessLog(r, fields?.get('accessLog'));
  checkGrpcReachable(r, doc, listeners, clusters);
  if (r.issues.length > 0) {
    // Stable sort: issues on one line keep the order they were found in.
    const errors = [...r.issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, errors };
  }
  const config: MeshConfig = { listeners, clusters, ...(accessLog && { accessLog }) };
  return { ok: true, config: deepFreeze(config) };
}

function readAccessLog(r: Reader, v: Val | undefined): AccessLogConfig | undefined {
  const fields = r.map(v, ['collector', 'logName']);
  if (fields === undefined) return undefined;
  const collectorVal = fields.need('collector');
  const collector = r.str(collectorVal);
  const target = collector === undefined ? undefined : parseHostPort(collector);
  if (collectorVal !== undefined && typeof target === 'string') r.fail(collectorVal, target);
  const logName = r.str(fields.get('logName')) ?? 'meshgraph';
  return typeof target === 'object' ? { ...target, logName } : undefined;
}

/** What `@grpc/grpc-js-xds` balances with; it rejects a cluster with any other policy. */
const grpcLbPolicies: readonly LbPolicy[] = ['round_robin', 'ring_hash'];

/** Clusters behind an API listener are balanced by gRPC clients, not Envoy. */
function checkGrpcReachable(
  r: Reader,
  doc: Document,
  listeners: readonly ListenerConfig[],
  clusters: readonly ClusterConfig[],
): void {
  const viaApi = new Map<string, string>();
  for (const listener of listeners.filter((l) => l.port === undefined)) {
    for (const route of listener.routes) {
      const d = route.destination;
      for (const name of d.kind === 'cluster' ? [d.cluster] : d.clusters.map((c) => c.cluster)) {
        if (!viaApi.has(name)) viaApi.set(name, listener.name);
      }
    }
  }
  clusters.forEach((cluster, index) => {
    const listener = viaApi.get(cluster.name);
    if (listener === undefined || grpcLbPolicies.includes(cluster.lbPolicy)) return;
    const node = (doc.getIn(['clusters', index, 'lbPolicy'], true) ??
      doc.getIn(['clusters', index], true)) as Node;
    r.fail(
      { node, path: `clusters[${index}].lbPolicy` },
      `'${cluster.lbPolicy}' is not supported by gRPC clients, and cluster '${cluster.name}' is reached from the API listener '${listener}'; use ${grpcLbPolicies.join(' or ')}`,
    );
  });
}

/** Consumers share one config value across snapshots; freezing makes sharing safe. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
