/**
 * A Delta table's log in S3: `<root>_delta_log/` of one bucket. The race for a version is decided by S3
 * itself: a commit is a PutObject with `If-None-Match: *`, which S3 (and MinIO) refuse with 412
 * PreconditionFailed when the key exists, or 409 ConditionalRequestConflict when a concurrent write of the
 * key is in flight. delta-rs 1.x on S3 relies on the same primitive, so strata and delta-rs writers can
 * share a table. (CopyObject is never used for commits: MinIO ignores If-None-Match on it.)
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type Action,
  checkpointFileName,
  commitFileName,
  LAST_CHECKPOINT_FILE,
  paddedVersion,
  parseCommit,
  parseLogFileName,
  serializeCommit,
} from '../../domain/delta/actions.js';
import { type LastCheckpoint, parseLastCheckpoint } from '../../domain/delta/snapshot.js';
import type { TableLog, TableLogListing, TableLogs } from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-parquet.js';

const MISSING = new Set(['NoSuchKey', 'NotFound']);
const LOST_RACE = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

export class S3TableLog implements TableLog {
  readonly uri: string;
  private readonly logPrefix: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** The table root, e.g. `tables/<tenant>/<dataset>/` (a trailing `/` is added when missing). */
    root: string,
  ) {
    const prefix = root === '' || root.endsWith('/') ? root : `${root}/`;
    this.logPrefix = `${prefix}_delta_log/`;
    this.uri = `s3://${bucket}/${prefix.replace(/\/$/, '')}`;
  }

  async list(fromVersion: number): Promise<TableLogListing> {
    const commits: number[] = [];
    const checkpoints: number[] = [];
    // Every entry of `fromVersion` starts with its padded number, and a string sorts after its prefix.
    const startAfter = `${this.logPrefix}${paddedVersion(Math.max(0, fromVersion))}`;
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.logPrefix,
            ...(token ? { ContinuationToken: token } : { StartAfter: startAfter }),
          }),
        );
      } catch (error) {
        rethrowSdkError('ListObjectsV2 (table log)', error);
      }
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? '').slice(this.logPrefix.length);
        const entry = parseLogFileName(name);
        if (entry.kind === 'other' || entry.version < fromVersion) continue;
        (entry.kind === 'commit' ? commits : checkpoints).push(entry.version);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { commits, checkpoints };
  }

  async readCommit(version: number): Promise<Action[] | undefined> {
    const text = await this.getText(commitFileName(version), 'GetObject (commit)');
    return text === undefined ? undefined : parseCommit(text, version);
  }

  async writeCommit(version: number, actions: readonly Action[]): Promise<'committed' | 'exists'> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${this.logPrefix}${commitFileName(version)}`,
          Body: serializeCommit(actions),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return 'committed';
    } catch (error) {
      if (LOST_RACE.has(sdkErrorName(error) ?? '')) return 'exists';
      rethrowSdkError('PutObject (commit)', error);
    }
  }

  async readCheckpoint(version: number): Promise<Action[] | undefined> {
    const bytes = await this.getBytes(checkpointFileName(version), 'GetObject (checkpoint)');
    return bytes === undefined ? undefined : decodeCheckpoint(bytes, version);
  }

  async writeCheckpoint(version: number, actions: readonly Action[]): Promise<{ sizeInBytes: number }> {
    const body = encodeCheckpoint(actions);
    await this.put(checkpointFileName(version), body, 'application/octet-stream', 'PutObject (checkpoint)');
    return { sizeInBytes: body.byteLength };
  }

  async readLastCheckpoint(): Promise<LastCheckpoint | undefined> {
    const text = await this.getText(LAST_CHECKPOINT_FILE, 'GetObject (_last_checkpoint)');
    return text === undefined ? undefined : parseLastCheckpoint(text);
  }

  async writeLastCheckpoint(last: LastCheckpoint): Promise<void> {
    const body = new TextEncoder().encode(JSON.stringify(last));
    await this.put(LAST_CHECKPOINT_FILE, body, 'application/json', 'PutObject (_last_checkpoint)');
  }

  private async put(name: string, body: Uint8Array, contentType: string, operation: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${this.logPrefix}${name}`,
          Body: body,
          ContentType: contentType,
        }),
      );
    } catch (error) {
      rethrowSdkError(operation, error);
    }
  }

  private async getText(name: string, operation: string): Promise<string | undefined> {
    const bytes = await this.getBytes(name, operation);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }

  private async getBytes(name: string, operation: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: `${this.logPrefix}${name}` }),
      );
      return (await object.Body?.transformToByteArray()) ?? new Uint8Array(0);
    } catch (error) {
      if (await this.isMissing(error, `${this.logPrefix}${name}`)) return undefined;
      rethrowSdkError(operation, error);
    }
  }

  /**
   * Whether a failed read means "no such entry" (a table without checkpoints has no `_last_checkpoint`).
   * S3 answers 404 only to a caller allowed to list the bucket; a function whose ListBucket is limited to
   * a prefix (a condition on s3:prefix, which a read does not carry) gets 403 for a missing key. A listing
   * of exactly that key tells the two apart: a listed key that is refused stays a refusal.
   */
  private async isMissing(error: unknown, key: string): Promise<boolean> {
    if (MISSING.has(sdkErrorName(error) ?? '')) return true;
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 403)
      return false;
    try {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }),
      );
      return page.Contents?.[0]?.Key !== key;
    } catch {
      return false;
    }
  }
}

/** The table logs of one bucket. */
export class S3TableLogs implements TableLogs {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  open(tableRoot: string): TableLog {
    return new S3TableLog(this.s3, this.bucket, tableRoot);
  }
}
