import { executionNameFor } from '../../domain/file-record.js';
import type { Logger, Orchestrator } from '../../ports.js';
import { decodeS3Key, type IngestionInput, type S3EventInput } from '../../schemas/ingestion.js';

export interface StartIngestionDeps {
  orchestrator: Orchestrator;
  logger: Logger;
}

export interface StartedIngestion {
  key: string;
  executionArn: string;
  started: boolean;
}

/**
 * One execution per created object. The execution name is derived from the object identity, so
 * S3's at-least-once delivery (the same record twice, or a retried batch) starts it only once.
 */
export async function startIngestion(
  deps: StartIngestionDeps,
  event: S3EventInput,
): Promise<StartedIngestion[]> {
  const results: StartedIngestion[] = [];
  for (const record of event.Records) {
    if (!record.eventName.includes('ObjectCreated')) continue;
    const key = decodeS3Key(record.s3.object.key);
    // Folder placeholders ("fresh/acme/") are not files.
    if (key.endsWith('/')) continue;
    const input: IngestionInput = {
      object: {
        bucket: record.s3.bucket.name,
        key,
        versionId: record.s3.object.versionId,
        eTag: record.s3.object.eTag,
      },
      size: record.s3.object.size,
      eventTime: record.eventTime,
    };
    const { executionArn, started } = await deps.orchestrator.startIngestion(
      executionNameFor(input.object),
      input,
    );
    deps.logger.info(started ? 'ingestion started' : 'duplicate event: ingestion already exists', {
      key,
      executionArn,
    });
    results.push({ key, executionArn, started });
  }
  return results;
}
