/// <reference lib="dom" />
import type { GraphChange } from '../../../stream-jobs/graph/events.ts';
import type { Api } from './api.ts';
import type { ChangeKind, GraphData, GraphModel } from './model.ts';

export interface StreamHandlers {
  /** A (re)connection's first event replaced the model. */
  onSnapshot(): void;
  /** One change, already applied to the model. */
  onChange(change: GraphChange, kind: ChangeKind): void;
  onStatus(status: 'live' | 'reconnecting'): void;
}

const changeTypes: GraphChange['type'][] = [
  'node-added',
  'node-changed',
  'node-removed',
  'edge-added',
  'edge-stats',
  'edge-removed',
];

/**
 * Follows `/v1/graph/stream` into `model`: the snapshot replaces it, each change is applied as
 * it comes. EventSource reconnects by itself, and the server starts every connection with a
 * fresh snapshot, so nothing missed while disconnected stays missed.
 */
export function followStream(
  api: Api,
  model: GraphModel,
  handlers: StreamHandlers,
): { close(): void } {
  const source = new EventSource(api.url('/v1/graph/stream'));
  source.addEventListener('snapshot', (event) => {
    model.load(JSON.parse((event as MessageEvent<string>).data) as GraphData);
    handlers.onStatus('live');
    handlers.onSnapshot();
  });
  for (const type of changeTypes) {
    source.addEventListener(type, (event) => {
      const change = JSON.parse((event as MessageEvent<string>).data) as GraphChange;
      handlers.onChange(change, model.apply(change));
    });
  }
  source.addEventListener('error', () => handlers.onStatus('reconnecting'));
  return { close: () => source.close() };
}
