import { isMap, isScalar, isSeq, type Node } from 'yaml';

/** A node of the document and where it sits (`listeners[0].port`). */
export interface Val {
  readonly node: Node;
  readonly path: string;
}

/** The entries of one mapping, already checked against the keys it may have. */
export interface Fields {
  readonly at: Val;
  get(key: string): Val | undefined;
  /** The value, or an issue on the mapping itself when the key is absent. */
  need(key: string): Val | undefined;
}

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** How a value reads in an error: "got string 'x'", "got a mapping". */
export function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a sequence';
  if (isScalar(node)) {
    const { value } = node;
    if (value === null || value === undefined) return 'no value';
    if (typeof value === 'string') return `string '${value}'`;
    return `${typeof value} ${String(value)}`;
  }
  return 'an unresolved alias';
}
