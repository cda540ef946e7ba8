import type { Logger } from '../lib/log.ts';
import type { MeshConfig } from './mesh-config/types.ts';
import { applyRoutingChange, pruneRouting } from './routing/apply.ts';
import { RoutingErrorCode, routingError } from './routing/errors.ts';
import type { RoutingResult, RoutingSink } from './routing/sink.ts';
import { emptyRouting, type RoutingChange, type RoutingState } from './routing/types.ts';
import { type Audience, buildSnapshot } from './snapshot/build.ts';
import type { NodeIdentity, SetSnapshotOptions, SnapshotCache } from './snapshot/cache.ts';

/**
 * Options for {@link ControlPlane}.
 * - `cache` (SnapshotCache): where built snapshots go, one per audience (node groups `envoy` and
 *   `grpc`, see {@link audienceOf}); the ADS server reads it.
 * - `log` (Logger).
 */
export interface ControlPlaneOptions {
  cache: SnapshotCache;
  log: Logger;
}

const audiences: readonly Audience[] = ['envoy', 'grpc'];

/** The cache's node grouping: Envoy proxies by their user agent; every other xDS client is gRPC. */
export function audienceOf(node: NodeIdentity): Audience {
  return node.userAgentName === 'envoy' ? 'envoy' : 'grpc';
}

/**
 * Owns the two inputs of a snapshot, the mesh config and the routing state, and rebuilds the
 * snapshots whenever either changes. A change the cache refuses (inconsistent, or a large
 * endpoint drop) is undone: the inputs always describe what is being served.
 */
export class ControlPlane implements RoutingSink {
  private config: MeshConfig | undefined;
  private routing: RoutingState = emptyRouting;

  constructor(private readonly options: ControlPlaneOptions) {}

  /** True once a config has been served: before that the ADS server answers nothing. */
  get synced(): boolean {
    return this.config !== undefined;
  }

  currentConfig(): MeshConfig | undefined {
    return this.config;
  }

  current(): RoutingState {
    return this.routing;
  }

  /**
   * A new mesh config from the operator. Endpoint drops are allowed (removing endpoints from
   * the file is intent); routing for things that no longer exist is pruned. Throws the cache's
   * rejection, leaving the last good config serving.
   */
  setConfig(config: MeshConfig): void {
    const routing = pruneRouting(this.routing, config);
    this.publish(config, routing, { allowEndpointDrop: true });
    this.config = config;
    this.routing = routing;
    this.options.log.info(
      { listeners: config.listeners.length, clusters: config.clusters.length },
      'mesh config served',
    );
  }

  apply(change: RoutingChange): RoutingResult {
    const config = this.config;
    if (!config) {
      return {
        ok: false,
        error: routingError(RoutingErrorCode.notReady, 'no mesh config loaded yet'),
      };
    }
    const result = applyRoutingChange(this.routing, change, config);
    if (!result.ok) return result;
    try {
      this.publish(config, result.state, {});
    } catch (error) {
      return {
        ok: false,
        error: routingError(RoutingErrorCode.rejected, (error as Error).message),
      };
    }
    this.routing = result.state;
    this.options.log.info({ change: describe(change) }, 'routing applied');
    return result;
  }

  /** Builds every audience's snapshot before setting any, so a build problem changes nothing. */
  private publish(config: MeshConfig, routing: RoutingState, options: SetSnapshotOptions): void {
    const built = audiences.map(
      (audience) => [audience, buildSnapshot(config, routing, audience)] as const,
    );
    for (const [audience, snapshot] of built)
      this.options.cache.setSnapshot(audience, snapshot, options);
  }
}

function describe(change: RoutingChange): Record<string, unknown> {
  if (change.kind === 'endpoint-weights' || change.kind === 'route-split') {
    return { ...change, weights: Object.fromEntries(change.weights) };
  }
  return { ...change };
}
