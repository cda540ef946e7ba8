/**
 * Prometheus metrics of the ADS server. `type` labels are the short names lds, rds, cds, eds.
 */

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class AdsMetrics {
  /** Streams open now (one stream = one node). */
  readonly connectedNodes: Gauge;
  /** Responses sent. */
  readonly pushes: Counter<'type'>;
  /** Seconds from a response to its ACK: how long a change takes to converge on a node. */
  readonly convergence: Histogram<'type'>;
  /** Responses the node rejected. */
  readonly nacks: Counter<'type'>;
  /** Requests ignored for answering an outdated nonce. */
  readonly staleNonces: Counter<'type'>;

  /** Registers every metric on `registry` (names prefixed `meshgraph_xds_`). */
  constructor(registry: Registry) {
    const registers = [registry];
    this.connectedNodes = new Gauge({
      name: 'meshgraph_xds_connected_nodes',
      help: 'ADS streams open now (one per node).',
      registers,
    });
    this.pushes = new Counter({
      name: 'meshgraph_xds_pushes_total',
      help: 'xDS responses sent, by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.convergence = new Histogram({
      name: 'meshgraph_xds_push_ack_seconds',
      help: 'Seconds from an xDS response to its ACK, by resource type.',
      labelNames: ['type'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.nacks = new Counter({
      name: 'meshgraph_xds_nacks_total',
      help: 'xDS responses rejected by a node (NACK), by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.staleNonces = new Counter({
      name: 'meshgraph_xds_stale_nonces_total',
      help: 'xDS requests ignored because they answered an outdated nonce, by resource type.',
      labelNames: ['type'],
      registers,
    });
  }
}
