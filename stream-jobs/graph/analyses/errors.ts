/**
 * Errors of the graph analyses. Like graphology's own errors they name the method and quote the
 * offending value; unlike them they carry a stable `code` so the API can map them to statuses
 * without parsing messages.
 */

export type GraphAnalysisErrorCode =
  /** A node key that is not in the graph. */
  | 'UNKNOWN_NODE'
  /** Both nodes exist but there is no edge between them in that direction. */
  | 'UNKNOWN_EDGE'
  /** A horizon other than '1m', '5m' or '1h'. */
  | 'INVALID_HORIZON'
  /** Required parameters missing, contradictory or of the wrong type. */
  | 'INVALID_PARAMS'
  /** An option outside its documented domain. */
  | 'INVALID_OPTION'
  /** An iterative method (PageRank) did not converge within its iteration budget. */
  | 'NOT_CONVERGED';

export const graphAnalysisErrorCodes: readonly GraphAnalysisErrorCode[] = [
  'UNKNOWN_NODE',
  'UNKNOWN_EDGE',
  'INVALID_HORIZON',
  'INVALID_PARAMS',
  'INVALID_OPTION',
  'NOT_CONVERGED',
];

export interface GraphAnalysisErrorJson {
  name: 'GraphAnalysisError';
  code: GraphAnalysisErrorCode;
  method: string;
  value: unknown;
  message: string;
}

export class GraphAnalysisError extends Error {
  override readonly name = 'GraphAnalysisError';
  readonly code: GraphAnalysisErrorCode;
  /** The analysis that refused, e.g. `blastRadius`. */
  readonly method: string;
  /** The offending value exactly as given. */
  readonly value: unknown;

  /** `detail` is the sentence after `method: `; it should quote `value` (see {@link quote}). */
  constructor(method: string, code: GraphAnalysisErrorCode, value: unknown, detail: string) {
    super(`${method}: ${detail}`);
    this.code = code;
    this.method = method;
    this.value = value;
  }

  toJSON(): GraphAnalysisErrorJson {
    const { name, code, method, value, message } = this;
    return { name, code, method, value, message };
  }
}

/** How a bad value appears in a message: JSON for what JSON can show, String() otherwise. */
export function quote(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function unknownNode(method: string, node: unknown): GraphAnalysisError {
  return new GraphAnalysisError(
    method,
    'UNKNOWN_NODE',
    node,
    `the node ${quote(node)} is not in the graph.`,
  );
}
