import { fileIdFor } from '../../domain/file-record.js';
import {
  moveKey,
  parseObjectKey,
  quarantinedValidationReportKey,
  reportKey,
  unroutableQuarantineKey,
} from '../../domain/object-key.js';
import { isStrataError } from '../../errors.js';
import type { Clock, Logger, MetadataStore, ObjectStore } from '../../ports.js';
import type { StageFailure } from '../../schemas/ingestion.js';

export interface QuarantineFileDeps {
  store: ObjectStore;
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
}

export interface QuarantineResult {
  fileId?: string;
  quarantineKey: string;
  errorName: string;
}

/**
 * The Catch of every stage. Copies the object to `quarantine/` (the original stays where it was, so
 * nothing stored is lost) and marks the file record with the failing stage and error name, releasing its
 * content-hash claim: the same bytes uploaded again go through the pipeline as a new file.
 * Idempotent: the copy never overwrites, the record update sets the same values again and a released
 * claim (or one another file holds by then) is left alone.
 */
export async function quarantineFile(
  deps: QuarantineFileDeps,
  failure: StageFailure,
): Promise<QuarantineResult> {
  const { object } = failure;
  const errorName = failure.error.Error;
  const message = causeMessage(failure.error.Cause) ?? errorName;
  let parts: ReturnType<typeof parseObjectKey> | undefined;
  try {
    parts = parseObjectKey(object.key);
  } catch (error) {
    if (!isStrataError(error)) throw error;
  }
  const quarantineKey = parts ? moveKey(object.key, 'quarantine') : unroutableQuarantineKey(object.key);

  await copyIfPresent(deps, object, quarantineKey);
  if (!parts) {
    deps.logger.warn('quarantined a file that names no tenant', {
      key: object.key,
      quarantineKey,
      errorName,
    });
    return { quarantineKey, errorName };
  }
  const fileId = fileIdFor(object);
  // A validation failure leaves its report; it travels with the quarantined file so the reason is beside it.
  const report =
    failure.failedStage === 'validate'
      ? reportKey(parts.tenant, parts.dataset, fileId, 'validation')
      : undefined;
  if (report)
    await copyIfPresent(
      deps,
      { bucket: object.bucket, key: report },
      quarantinedValidationReportKey(quarantineKey),
    );
  await deps.metadata.recordFailure({
    ...(report && { reportKey: report }),
    tenant: parts.tenant,
    dataset: parts.dataset,
    fileId,
    bucket: object.bucket,
    key: object.key,
    stage: failure.failedStage,
    errorName,
    message,
    quarantineKey,
    at: deps.clock.now().toISOString(),
  });
  deps.logger.warn('file quarantined', { fileId, stage: failure.failedStage, errorName, quarantineKey });
  return { fileId, quarantineKey, errorName };
}

async function copyIfPresent(deps: QuarantineFileDeps, object: StageFailure['object'], to: string) {
  try {
    await deps.store.copy(object, to);
  } catch (error) {
    // The object was deleted before we got to it: there is nothing to keep, but the failure is recorded.
    if (isStrataError(error) && error.name === 'ObjectMissingError') {
      deps.logger.warn('object to quarantine is gone', { key: object.key });
      return;
    }
    throw error;
  }
}

/** Lambda errors reach the Catch as `Cause: '{"errorType":…,"errorMessage":…}'`; other causes are text. */
function causeMessage(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      return String(parsed.errorMessage).slice(0, 2000);
    }
  } catch {
    // not JSON: keep the text
  }
  return cause.slice(0, 2000);
}
