/**
 * Connector state and runs: the settings a tenant stores per dataset, the state the pull keeps
 * beside them (watermark, the file being written, the lease of the run in progress), run records, and the
 * scheduling rules. Pure: the Dynamo adapter stores these shapes, the use cases apply the rules.
 *
 * Exactly-once into fresh/: a batch's file name is its content hash, and before the file is written the
 * pull records it as `pending` together with the watermark it carries. Only after the write does the
 * watermark move (and `pending` go). A run that dies in between leaves `pending`; the next run finds the
 * file there and moves the watermark (or finds nothing and drops `pending`), so no row is pulled into
 * fresh/ twice and none is skipped.
 */
import { z } from 'zod';
import { type ConnectorConfig, connectorConfigSchema, type Watermark } from './connectors.js';

export const connectorSettingsSchema = z
  .object({
    source: connectorConfigSchema,
    /** Minutes between the end of one run and the start of the next. */
    scheduleMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
    enabled: z.boolean().default(true),
    /** Start over: the next run pulls everything (the watermark is dropped). */
    resetWatermark: z.boolean().default(false),
  })
  .strict();
export type ConnectorSettingsInput = z.input<typeof connectorSettingsSchema>;
export type ConnectorSettings = Omit<z.infer<typeof connectorSettingsSchema>, 'resetWatermark'>;

/** Where a pull got to. `atValue` (object sources) lists the keys already taken at exactly `value`. */
export interface WatermarkState {
  value: Watermark;
  atValue?: string[];
}

export interface PendingWrite {
  /** Objects the batch writes (one Parquet file for record sources, the copies for object sources). */
  keys: string[];
  /** The watermark to store once every key is written. */
  watermark: WatermarkState | undefined;
  runId: string;
}

export interface ConnectorLease {
  runId: string;
  /** ISO instant after which another run may take over (the holder died). */
  until: string;
  trigger: ConnectorTrigger;
}

export type ConnectorTrigger = 'schedule' | 'api';

export interface ConnectorRecord {
  tenant: string;
  dataset: string;
  settings: ConnectorSettings;
  createdAt: string;
  updatedAt: string;
  watermark?: WatermarkState | undefined;
  pending?: PendingWrite | undefined;
  lease?: ConnectorLease | undefined;
  /** The lease the current one replaced: after an expiry, the run that died holding it. */
  previousLease?: ConnectorLease | undefined;
  /** The schedule's next run; the scheduler sees it only while the connector is enabled. */
  nextRunAt?: string | undefined;
  consecutiveFailures: number;
  lastRun?: ConnectorRunSummary | undefined;
}

export const CONNECTOR_RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type ConnectorRunStatus = (typeof CONNECTOR_RUN_STATUSES)[number];

export interface ConnectorRunCounts {
  /** Records (or objects) the source returned. */
  read: number;
  /** Records written to fresh/ (objects copied, for s3). */
  written: number;
  /** Records dropped: a required column missing, or a value that fits no column type. */
  failed: number;
  /** Records at or before the watermark, or without the incremental field. */
  skipped: number;
  /** Bytes written to fresh/. */
  bytes: number;
  files: number;
}

export interface ConnectorRunRecord {
  runId: string;
  tenant: string;
  dataset: string;
  sourceType: ConnectorConfig['type'];
  trigger: ConnectorTrigger;
  status: ConnectorRunStatus;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  counts: ConnectorRunCounts;
  /** failed / read (0 when nothing was read). */
  errorRate: number;
  watermarkBefore?: WatermarkState | undefined;
  watermarkAfter?: WatermarkState | undefined;
  /** Keys written under fresh/ (the normal pipeline takes each from there). */
  files: string[];
  /** The run stopped at its time budget with more to pull; the next run starts right away. */
  more?: boolean;
  /** A file a dead run had written, whose watermark this run stored first. */
  recovered?: string[];
  error?: { name: string; message: string };
}

export type ConnectorRunSummary = Pick<
  ConnectorRunRecord,
  'runId' | 'status' | 'startedAt' | 'endedAt' | 'counts' | 'errorRate' | 'more' | 'error'
>;

export function emptyCounts(): ConnectorRunCounts {
  return { read: 0, written: 0, failed: 0, skipped: 0, bytes: 0, files: 0 };
}

export function errorRate(counts: ConnectorRunCounts): number {
  return counts.read === 0 ? 0 : counts.failed / counts.read;
}

/** How long a lease lasts: past the pull function's 15-minute timeout, so a live run never loses it. */
export const LEASE_MS = 20 * 60_000;

/** A failed run is retried sooner than the schedule, backing off: 1, 2, 4 … minutes, capped by it. */
export function nextRunAt(
  settings: Pick<ConnectorSettings, 'scheduleMinutes'>,
  outcome: { status: 'SUCCEEDED' | 'FAILED'; more?: boolean | undefined; consecutiveFailures: number },
  now: Date,
): string {
  const scheduleMs = settings.scheduleMinutes * 60_000;
  let delay: number;
  if (outcome.status === 'FAILED') {
    delay = Math.min(scheduleMs, 60_000 * 2 ** Math.min(20, Math.max(0, outcome.consecutiveFailures - 1)));
  } else {
    delay = outcome.more === true ? 0 : scheduleMs;
  }
  return new Date(now.getTime() + delay).toISOString();
}

/**
 * What a watermark is a position in: the source (which table, query, URL, bucket and prefix) and the
 * field it is measured on. Batch size, schedule, auth or mapping changes keep the position; a change of
 * identity makes the stored watermark meaningless, so the connector starts over.
 */
export function sourceIdentity(source: ConnectorConfig): string {
  switch (source.type) {
    case 'database':
      return JSON.stringify([
        source.type,
        source.engine,
        source.secretName,
        source.table ?? null,
        source.query ?? null,
        source.incrementalField ?? null,
      ]);
    case 'rest':
      return JSON.stringify([source.type, source.url, source.recordsPath, source.incrementalField ?? null]);
    case 's3':
      return JSON.stringify([source.type, source.endpoint ?? null, source.bucket, source.prefix]);
  }
}

/** Whether a lease still belongs to a live run at `now`. */
export function leaseHeld(lease: ConnectorLease | undefined, now: Date): boolean {
  return lease !== undefined && Date.parse(lease.until) > now.getTime();
}

/**
 * Run ids sort by start time (so a dataset's runs list newest first by key) and carry randomness so two
 * triggers in the same millisecond differ: `20261124T101500123Z-1a2b3c4d`.
 */
export function connectorRunId(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
  return `${stamp}-${random}`;
}

export const CONNECTOR_RUN_ID = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

// ---------------------------------------------------------------- object sources (s3)

/**
 * Object sources order by (last modified, key). Several objects can share a last-modified instant (S3
 * keeps whole seconds), and one may appear after we listed its twins, so the watermark keeps the keys
 * already taken at exactly its instant: an object is new when it is later, or at the instant and not taken.
 */
export function isNewObject(
  object: { key: string; lastModified: Date },
  from: WatermarkState | undefined,
): boolean {
  if (from === undefined) return true;
  const at = Date.parse(String(from.value));
  const t = object.lastModified.getTime();
  if (t !== at) return t > at;
  return !(from.atValue ?? []).includes(object.key);
}

export function compareObjects(
  a: { key: string; lastModified: Date },
  b: { key: string; lastModified: Date },
): number {
  return a.lastModified.getTime() - b.lastModified.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The watermark after taking `objects` (sorted by compareObjects, all new relative to `from`). */
export function advanceObjectWatermark(
  from: WatermarkState | undefined,
  objects: readonly { key: string; lastModified: Date }[],
): WatermarkState | undefined {
  const last = objects[objects.length - 1];
  if (last === undefined) return from;
  const value = last.lastModified.toISOString();
  const earlier =
    from !== undefined && Date.parse(String(from.value)) === last.lastModified.getTime()
      ? (from.atValue ?? [])
      : [];
  const now = objects
    .filter((o) => o.lastModified.getTime() === last.lastModified.getTime())
    .map((o) => o.key);
  return { value, atValue: [...earlier, ...now] };
}
