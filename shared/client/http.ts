/**
 * A small typed client of the strata HTTP API, for TypeScript code and the CLI: one place that knows
 * the base URL, the API key header and how errors come back.
 */
export interface ClientConfig {
  /** The API's base URL (the stack's ApiUrl output, or the local host's). */
  apiUrl: string;
  apiKey: string;
  /** Injected for tests and runtimes without a global fetch. */
  fetch?: typeof fetch;
}

/** A non-2xx answer: the status and the API's `{name, message}` body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface HttpClient {
  request<T>(
    method: string,
    path: string,
    options?: { query?: Record<string, unknown>; body?: unknown },
  ): Promise<T>;
}

export function createHttpClient(config: ClientConfig): HttpClient {
  const doFetch = config.fetch ?? fetch;
  const base = config.apiUrl.replace(/\/+$/, '');
  return {
    async request<T>(
      method: string,
      path: string,
      options: { query?: Record<string, unknown>; body?: unknown } = {},
    ) {
      const url = new URL(`${base}${path}`);
      for (const [k, v] of Object.entries(options.query ?? {})) {
        if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
      }
      const response = await doFetch(url, {
        method,
        headers: {
          'x-api-key': config.apiKey,
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
      });
      const text = await response.text();
      const body: unknown = text ? safeJson(text) : undefined;
      if (!response.ok) {
        // The API answers `{error, message}` (error = the error class name); older answers said `name`.
        const detail = (typeof body === 'object' && body !== null ? body : {}) as {
          error?: string;
          name?: string;
          message?: string;
        };
        throw new ApiError(
          response.status,
          detail.error ?? detail.name ?? `HTTP${response.status}`,
          detail.message ?? `${method} ${path} answered ${response.status}`,
          body,
        );
      }
      return body as T;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
