import type { RestConnectorConfig, Watermark } from '../domain/connectors.js';
import type { FetchLike, RecordSource, SourceRecordBatch } from '../ports.js';
import { type PullCounts, pullRest } from './rest-pull.js';

/**
 * A REST API as a record source: `pullRest` (pagination, rate limit, backoff, redaction) with its
 * cumulative counts turned into per-batch ones. When the pull ends with records read but none kept (all
 * at or before the watermark), one empty batch reports them, so the run record counts every request.
 */
export class RestSource implements RecordSource {
  constructor(
    private readonly fetch: FetchLike,
    private readonly config: RestConnectorConfig,
    private readonly secret: string | undefined,
    private readonly timing: { sleep: (ms: number) => Promise<void>; now: () => number } = {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
    },
  ) {}

  async *pull(from: Watermark | undefined): AsyncIterable<SourceRecordBatch> {
    const pull = pullRest(this.config, {
      fetch: this.fetch,
      sleep: this.timing.sleep,
      now: this.timing.now,
      watermark: from,
      secretValue: this.secret,
    });
    let seen: Pick<PullCounts, 'read' | 'skipped'> = { read: 0, skipped: 0 };
    for (;;) {
      const step = await pull.next();
      const counts = step.value.counts;
      const delta = { read: counts.read - seen.read, skipped: counts.skipped - seen.skipped };
      seen = counts;
      if (step.done === true) {
        if (delta.read > 0) yield { records: [], watermark: step.value.watermark, ...delta };
        return;
      }
      yield { records: step.value.records, watermark: step.value.watermark, ...delta };
    }
  }
}
