/// <reference lib="dom" />

type Child = Node | string | number | null | undefined | false;

/** `h('td', { class: 'num' }, '12')`: an element with attributes and children (text escaped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A table: header cells, then rows; cells whose header is in `numeric` align right. */
export function table(
  headers: string[],
  rows: Child[][],
  numeric: string[] = [],
): HTMLTableElement {
  const cls = (header: string) => (numeric.includes(header) ? 'num' : undefined);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h('tr', {}, ...headers.map((header) => h('th', { class: cls(header) }, header))),
    ),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h('tr', {}, ...row.map((cell, i) => h('td', { class: cls(headers[i] ?? '') }, cell))),
      ),
    ),
  );
}

/** An error as a line in the panel, its API code first. */
export function errorLine(error: unknown): HTMLElement {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return h('p', { class: 'error-box' }, code ? `${code}: ${message}` : message);
}
