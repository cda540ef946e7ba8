/**
 * A solver for the "share" recursions of blast radius and root cause: x = min(1, c + W x), where
 * row i of the sparse, non-negative W mixes the values x[i] depends on by traffic share.
 *
 * The dependency graph is split into strongly connected components (Tarjan, iteratively) and
 * solved component by component in dependency order. Service graphs are mostly acyclic, so most
 * components are single nodes, evaluated once: exact in O(V + E). Only a call cycle is swept
 * Gauss–Seidel from 0 until no value moves by more than `tolerance`; W ≥ 0 makes the sweeps
 * climb monotonically to the least fixed point, so a cut-off answer is a lower bound.
 */

export interface PropagateOptions {
  /** Largest change that counts as converged (default 1e-12). */
  tolerance?: number;
  /** Sweeps per cyclic component before giving up (default 1000). */
  maxSweeps?: number;
}

export interface Propagated {
  values: Float64Array;
  /** False when some cycle still moved after `maxSweeps`. */
  converged: boolean;
}

/** Row-by-row builder of c and W (compressed sparse rows); rows must be added in order. */
export class LinearSystem {
  readonly constant: number[] = [];
  readonly start: number[] = [0];
  readonly column: number[] = [];
  readonly weight: number[] = [];

  /** Adds row `constant.length`: x[i] = min(1, constant + Σ weight·x[column]). */
  addRow(constant: number, terms: Iterable<readonly [column: number, weight: number]>): void {
    for (const [j, w] of terms) this.addTerm(j, w);
    this.endRow(constant);
  }

  /** Row by row without a terms array: addTerm for each term, then endRow with the constant. */
  addTerm(column: number, weight: number): void {
    this.column.push(column);
    this.weight.push(weight);
  }

  endRow(constant: number): void {
    this.constant.push(constant);
    this.start.push(this.column.length);
  }
}

export function propagate(system: LinearSystem, options: PropagateOptions = {}): Propagated {
  const { tolerance = 1e-12, maxSweeps = 1000 } = options;
  const { constant, start, column, weight } = system;
  const n = constant.length;
  const values = new Float64Array(n);
  const evaluate = (i: number) => {
    let x = constant[i] as number;
    for (let k = start[i] as number; k < (start[i + 1] as number); k++) {
      x += (weight[k] as number) * (values[column[k] as number] as number);
    }
    return Math.min(1, x);
  };
  let converged = true;
  for (const component of components(n, start, column)) {
    const only = component[0] as number;
    if (component.length === 1 && !dependsOnItself(only, start, column)) {
      values[only] = evaluate(only);
      continue;
    }
    component.sort((a, b) => a - b); // callers number nodes outward from the origin
    let moved = Infinity;
    for (let sweep = 0; sweep < maxSweeps && moved > tolerance; sweep++) {
      moved = 0;
      for (const i of component) {
        const next = evaluate(i);
        moved = Math.max(moved, Math.abs(next - (values[i] as number)));
        values[i] = next;
      }
    }
    if (moved > tolerance) converged = false;
  }
  return { values, converged };
}

function dependsOnItself(i: number, start: number[], column: number[]): boolean {
  for (let k = start[i] as number; k < (start[i + 1] as number); k++)
    if (column[k] === i) return true;
  return false;
}

/**
 * Tarjan's strongly connected components without recursion. A component is emitted after every
 * component it depends on, which is exactly the order to solve them in.
 */
export function components(n: number, start: number[], column: number[]): number[][] {
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const cursor = Int32Array.from(start.slice(0, n));
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const calls: number[] = [];
  const result: number[][] = [];
  let counter = 0;
  const open = (v: number) => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    calls.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    open(root);
    while (calls.length > 0) {
      const v = calls[calls.length - 1] as number;
      if ((cursor[v] as number) < (start[v + 1] as number)) {
        const w = column[(cursor[v] as number)++] as number;
        if (order[w] === -1) open(w);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent] as number, low[v] as number);
      if (low[v] !== order[v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        component.push(w);
      } while (w !== v);
      result.push(component);
    }
  }
  return result;
}
