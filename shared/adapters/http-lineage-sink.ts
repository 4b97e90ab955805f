/**
 * OpenLineage events POSTed to an HTTP consumer: `${OPENLINEAGE_URL}/api/v1/lineage`, the endpoint of
 * Marquez and of the OpenLineage HTTP transport's default path. Credentials in the URL are sent as basic
 * authentication. A non-2xx answer or no answer within the timeout is an error for the caller to log
 * (app/runs/openlineage.ts): lineage never holds up a stage for long, and never fails it.
 */
import type { RunEvent } from '../domain/openlineage.js';
import type { LineageEventSink } from '../ports.js';

export const OPENLINEAGE_ENDPOINT_PATH = '/api/v1/lineage';

export class HttpLineageSink implements LineageEventSink {
  readonly name = 'http';
  /** The endpoint without the credentials a URL may carry (`https://user:secret@host`): fetch refuses them. */
  private readonly endpoint: string;
  private readonly headers: Record<string, string> = { 'content-type': 'application/json' };

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 3000,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    const url = new URL(`${baseUrl.replace(/\/+$/, '')}${OPENLINEAGE_ENDPOINT_PATH}`);
    if (url.username || url.password) {
      // Credentials in the URL become HTTP basic authentication.
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.endpoint = url.toString();
  }

  async emit(event: RunEvent): Promise<void> {
    const response = await this.fetchFn(this.endpoint, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the body so the connection can be reused.
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      throw new Error(`POST ${this.endpoint} answered ${response.status}: ${text.slice(0, 200)}`);
    }
  }
}
