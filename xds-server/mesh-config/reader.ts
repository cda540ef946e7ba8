import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { parseDuration } from './durations.ts';
import type { ConfigIssue } from './issues.ts';
import { child, describe, type Fields, type Val } from './nodes.ts';

export type { Fields, Val };

/**
 * Walks the YAML document, collecting every issue instead of stopping at the first: an
 * operator fixing a file wants the whole list in one go. Each reading method returns
 * undefined when the value is absent or wrong (the issue is recorded); callers fill in a
 * placeholder and carry on, because a config with any issue is thrown away as a whole.
 */
export class Reader {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node: Node): number | undefined {
    const offset = node.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  fail(at: Val, reason: string): undefined {
    const line = this.lineOf(at.node);
    this.issues.push({
      file: this.file,
      path: at.path,
      ...(line !== undefined && { line }),
      reason,
    });
    return undefined;
  }

  /** An alias stands for its anchor's node; keys and errors still use the alias's path. */
  resolve(node: Node, path: string): Val {
    const target = isAlias(node) ? node.resolve(this.doc) : undefined;
    return { node: (target as Node | undefined) ?? node, path };
  }

  map(v: Val | undefined, allowed: readonly string[]): Fields | undefined {
    if (v === undefined) return undefined;
    if (!isMap(v.node)) return this.fail(v, `expected a mapping, got ${describe(v.node)}`);
    const values = new Map<string, Val>();
    for (const pair of v.node.items) {
      const keyNode = pair.key as Node;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.fail({ node: keyNode, path: v.path }, 'keys must be plain names');
        continue;
      }
      const key = String(keyNode.value);
      const path = child(v.path, key);
      if (!allowed.includes(key)) {
        this.fail({ node: keyNode, path }, `unknown key '${key}'; allowed: ${allowed.join(', ')}`);
        continue;
      }
      // `key:` with nothing after it parses as a null scalar; `? key` gives no node at all.
      values.set(key, this.resolve((pair.value as Node | null) ?? keyNode, path));
    }
    return {
      at: v,
      get: (key) => values.get(key),
      need: (key) => values.get(key) ?? this.fail(v, `missing required key '${key}'`),
    };
  }

  seq(v: Val | undefined, min: number, noun: string): Val[] | undefined {
    if (v === undefined) return undefined;
    if (!isSeq(v.node)) {
      return this.fail(v, `expected a sequence of ${noun}s, got ${describe(v.node)}`);
    }
    if (v.node.items.length < min) {
      return this.fail(
        v,
        `needs at least ${min} ${noun}${min === 1 ? '' : 's'}, got ${v.node.items.length}`,
      );
    }
    return v.node.items.map((item, i) => this.resolve(item as Node, child(v.path, i)));
  }

  /** A non-empty string; YAML numbers and booleans are not taken as strings (quote them). */
  str(v: Val | undefined): string | undefined {
    if (v === undefined) return undefined;
    const value = isScalar(v.node) ? v.node.value : undefined;
    if (typeof value !== 'string') {
      return this.fail(v, `expected a string, got ${describe(v.node)}`);
    }
    if (value === '') return this.fail(v, 'must not be empty');
    return value;
  }

  /** A resource name: the key Envoy and routing.v1 address it by. */
  name(v: Val | undefined): string | undefined {
    const value = this.str(v);
    if (v === undefined || value === undefined) return undefined;
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
      this.fail(v, `name '${value}' may only contain letters, digits, '_', '.' and '-'`);
    }
    // Returned even when malformed so that references to it do not also report as unknown.
    return value;
  }

  int(v: Val | undefined, min: number, max: number): number | undefined {
    if (v === undefined) return undefined;
    const value = isScalar(v.node) ? v.node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const got = typeof value === 'number' ? String(value) : describe(v.node);
      return this.fail(v, `expected an integer from ${min} to ${max}, got ${got}`);
    }
    return value;
  }

  /** A number in (0, max]: percentages that may be fractional. */
  positive(v: Val | undefined, max: number): number | undefined {
    if (v === undefined) return undefined;
    const value = isScalar(v.node) ? v.node.value : undefined;
    if (typeof value !== 'number' || !(value > 0 && value <= max)) {
      const got = typeof value === 'number' ? String(value) : describe(v.node);
      return this.fail(v, `expected a number above 0 and at most ${max}, got ${got}`);
    }
    return value;
  }

  bool(v: Val | undefined): boolean | undefined {
    if (v === undefined) return undefined;
    const value = isScalar(v.node) ? v.node.value : undefined;
    if (typeof value !== 'boolean') {
      return this.fail(v, `expected true or false, got ${describe(v.node)}`);
    }
    return value;
  }

  oneOf<T extends string>(v: Val | undefined, options: readonly T[]): T | undefined {
    const value = this.str(v);
    if (v === undefined || value === undefined) return undefined;
    if (!(options as readonly string[]).includes(value)) {
      return this.fail(v, `expected one of ${options.join(', ')}, got '${value}'`);
    }
    return value as T;
  }

  /** Milliseconds from `250ms` / `1.5s` / `2m`; a bare number is refused (which unit?). */
  duration(v: Val | undefined): number | undefined {
    if (v === undefined) return undefined;
    const value = isScalar(v.node) ? v.node.value : undefined;
    if (typeof value !== 'string') {
      return this.fail(v, `expected a duration like 250ms, 1.5s or 2m, got ${describe(v.node)}`);
    }
    const ms = parseDuration(value);
    return typeof ms === 'number' ? ms : this.fail(v, ms);
  }
}

/** Reports the second and later use of each name; `what` names the namespace ('cluster'). */
export function uniqueNames(
  r: Reader,
  what: string,
): (name: string | undefined, v: Val | undefined) => void {
  const firstLine = new Map<string, number | undefined>();
  return (name, v) => {
    if (name === undefined || v === undefined) return;
    if (!firstLine.has(name)) {
      firstLine.set(name, r.lineOf(v.node));
      return;
    }
    const line = firstLine.get(name);
    r.fail(
      v,
      `${what} name '${name}' is already used${line === undefined ? '' : ` (line ${line})`}`,
    );
  };
}
