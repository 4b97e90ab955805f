/**
 * OpenLineage events archived in the data bucket, one JSON object per run and event type under
 * `lineage/<tenant>/<yyyy>/<mm>/<dd>/<runId>-<eventType>.json` (domain/openlineage.ts). Create-only: an
 * event is a record of what happened, so a retried stage that emits it again finds it there and the first
 * write stands.
 */

import { lineageEventKey } from '../domain/object-key.js';
import type { RunEvent } from '../domain/openlineage.js';
import { ConflictError } from '../errors.js';
import type { LineageEventSink, LineageEventTarget, ObjectStore } from '../ports.js';

export class S3LineageSink implements LineageEventSink {
  readonly name = 's3';

  constructor(private readonly store: ObjectStore) {}

  async emit(event: RunEvent, target: LineageEventTarget): Promise<void> {
    const key = lineageEventKey(target.tenant, target.runId, target.runStartedAt, event.eventType);
    try {
      await this.store.putJson(key, event, { ifAbsent: true });
    } catch (error) {
      if (error instanceof ConflictError) return;
      throw error;
    }
  }
}
