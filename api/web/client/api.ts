/// <reference lib="dom" />

/** An answer other than 2xx: its status and the API's stable error code (lib/http/errors.ts). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * The API the pages read, at `base` (the page's own origin by default, so the page works
 * wherever the API is served).
 */
export class Api {
  constructor(readonly base: string = window.location.origin) {}

  url(path: string, query: Query = {}): string {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    const response = await fetch(this.url(path, query), {
      headers: { accept: 'application/json' },
    });
    const text = await response.text();
    const body = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new HttpError(
        response.status,
        error?.code ?? 'HTTP_ERROR',
        error?.message ?? `${response.status} ${response.statusText}`,
      );
    }
    return body as T;
  }
}

/** `path` with each segment value URL-encoded (node keys contain `/` and `:`). */
export function pathOf(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i] ?? '') : ''),
    '',
  );
}
