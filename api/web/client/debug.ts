/// <reference lib="dom" />

/**
 * What the page exposes as `window.__meshgraph`, for browser tests and for a curious operator
 * in the console: counts and lookups, read-only. Tests wait on these instead of sleeping.
 */
export interface PageState {
  /** The first snapshot is drawn. */
  ready: boolean;
  /** SSE changes applied since the page opened. */
  changes: number;
  /** Frames sigma has drawn. */
  renders(): number;
  /** Full layouts run (first snapshot, filter or time changes); live changes never cause one. */
  layouts(): number;
  mode(): 'live' | 'history';
  /** Nodes and edges drawn now (the filter's result), and all the model holds. */
  drawnNodes(): string[];
  drawnEdges(): string[];
  modelNodes(): number;
  /** A drawn node: health, the colour sigma draws it in, where it is on the page (CSS px). */
  node(
    key: string,
  ): { health: string; color: string | undefined; x: number; y: number } | undefined;
  /** A drawn edge: the colour sigma draws it in. */
  edge(key: string): { color: string | undefined } | undefined;
  selected(): string | undefined;
  highlighted(): string[];
  policy(): string;
  decisionPolls(): number;
}

export function expose(state: PageState): void {
  (window as unknown as { __meshgraph: PageState }).__meshgraph = state;
}
