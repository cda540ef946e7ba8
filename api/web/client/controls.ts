/// <reference lib="dom" />
import { byId, h } from './dom.ts';
import type { GraphModel } from './model.ts';
import type { ViewFilter } from './view.ts';

export interface ControlHandlers {
  /** The filter changed (mode, centre, depth, limit, endpoints, search text). */
  onFilter(filter: ViewFilter): void;
  /** The search names one node exactly: go to it. */
  onFind(key: string): void;
}

const maxMatches = 30;

/**
 * The toolbar: search, busiest-N or neighbourhood view, depth, limit, endpoints on or off.
 * Matches come from the whole model, so a node the filter hides can still be found.
 */
export class Controls {
  readonly search = byId<HTMLInputElement>('search');
  readonly mode = byId<HTMLSelectElement>('mode');
  readonly centre = byId<HTMLInputElement>('centre');
  readonly depth = byId<HTMLInputElement>('depth');
  readonly limit = byId<HTMLInputElement>('limit');
  readonly endpoints = byId<HTMLInputElement>('endpoints');
  readonly #matches = byId<HTMLDataListElement>('search-matches');

  constructor(
    readonly model: () => GraphModel,
    readonly handlers: ControlHandlers,
  ) {
    byId('filters').addEventListener('submit', (event) => event.preventDefault());
    for (const input of [this.mode, this.depth, this.limit, this.endpoints, this.centre]) {
      input.addEventListener('change', () => handlers.onFilter(this.filter()));
    }
    this.search.addEventListener('input', () => {
      this.#suggest(this.search.value);
      const exact = this.model().nodes.has(this.search.value);
      if (exact) handlers.onFind(this.search.value);
      else handlers.onFilter(this.filter());
    });
    this.centre.addEventListener('input', () => this.#suggest(this.centre.value));
  }

  filter(): ViewFilter {
    const number = (input: HTMLInputElement, fallback: number) => {
      const value = Number(input.value);
      return Number.isFinite(value) && value >= 0 ? value : fallback;
    };
    const centre = this.centre.value.trim();
    const search = this.search.value.trim();
    return {
      mode: this.mode.value === 'around' && centre !== '' ? 'around' : 'top',
      limit: Math.max(1, number(this.limit, 150)),
      depth: number(this.depth, 2),
      centre: centre === '' ? undefined : centre,
      // A search that names a node exactly goes to it instead of filtering down to it.
      search: search === '' || this.model().nodes.has(search) ? undefined : search,
      endpoints: this.endpoints.checked,
    };
  }

  /** Shows the neighbourhood of `key` (the "Centre here" button, a found node). */
  centreOn(key: string): ViewFilter {
    this.centre.value = key;
    this.mode.value = 'around';
    return this.filter();
  }

  #suggest(text: string): void {
    const needle = text.trim().toLowerCase();
    const found: string[] = [];
    if (needle !== '') {
      for (const key of this.model().nodes.keys()) {
        if (key.toLowerCase().includes(needle)) found.push(key);
        if (found.length >= maxMatches) break;
      }
    }
    this.#matches.replaceChildren(...found.map((key) => h('option', { value: key })));
  }
}
