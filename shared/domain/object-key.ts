/**
 * Rules for the object keys of the data bucket. A file enters at `fresh/<tenant>/<dataset>/<name>`;
 * every other prefix mirrors that shape so a key alone says whose data it is and where it is in its life.
 */
import { InternalError, InvalidObjectKeyError } from '../errors.js';
import type { FeatureFileRef } from './feature-store.js';
import type { RunEventType } from './openlineage.js';

export const LIFECYCLE_PREFIXES = ['fresh', 'used', 'archived', 'quarantine'] as const;
export type LifecyclePrefix = (typeof LIFECYCLE_PREFIXES)[number];

export const FILE_FORMATS = ['csv', 'jsonl', 'json', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const DATA_TYPES = ['sample', 'red_team', 'combined', 'custom', 'model_specific'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Tenant and dataset names end up in keys, DynamoDB keys and URLs: keep them to a safe alphabet. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface ObjectKeyParts {
  stage: LifecyclePrefix;
  tenant: string;
  dataset: string;
  /** Everything after the dataset segment, may contain further `/`. */
  fileName: string;
}

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

export function parseObjectKey(key: string): ObjectKeyParts {
  const [stage, tenant, dataset, ...rest] = key.split('/');
  const fileName = rest.join('/');
  if (!stage || !(LIFECYCLE_PREFIXES as readonly string[]).includes(stage)) {
    throw new InvalidObjectKeyError(key, `prefix must be one of ${LIFECYCLE_PREFIXES.join(', ')}`);
  }
  if (!tenant || !isValidName(tenant)) {
    throw new InvalidObjectKeyError(key, 'tenant segment must match [a-z0-9][a-z0-9_-]{0,62}');
  }
  if (!dataset || !isValidName(dataset)) {
    throw new InvalidObjectKeyError(key, 'dataset segment must match [a-z0-9][a-z0-9_-]{0,62}');
  }
  if (fileName === '' || fileName.endsWith('/')) {
    throw new InvalidObjectKeyError(key, 'a file name is required after the dataset');
  }
  return { stage: stage as LifecyclePrefix, tenant, dataset, fileName };
}

export function objectKey(parts: ObjectKeyParts): string {
  return `${parts.stage}/${parts.tenant}/${parts.dataset}/${parts.fileName}`;
}

/** The same file under another lifecycle prefix (quarantine, used, archived keep the tail). */
export function moveKey(key: string, to: LifecyclePrefix): string {
  return objectKey({ ...parseObjectKey(key), stage: to });
}

/** Where the objects of one lifecycle prefix start: what a listing of, say, every fresh/ object names. */
export function lifecyclePrefix(stage: LifecyclePrefix): string {
  return `${stage}/`;
}

/**
 * Where a key that names no tenant is quarantined: under a prefix no tenant can own (a name never starts
 * with `_`), with the whole key kept.
 */
export function unroutableQuarantineKey(key: string): string {
  return `quarantine/_unroutable/${key}`;
}

/** The validation report of a quarantined file, kept beside it so the reason travels with the file. */
export function quarantinedValidationReportKey(quarantineKey: string): string {
  return `${quarantineKey}.validation.json`;
}

/**
 * A model's predictions written back as a file of the predictions dataset: under fresh/ like any upload,
 * so the pipeline versions it, and named by content, so the same rows written back twice are one object.
 */
export function predictionsKey(
  tenant: string,
  dataset: string,
  model: { name: string; version: string },
  contentSha256: string,
): string {
  const fileName = `${model.name}/${model.version}/${contentSha256.slice(0, 32)}.parquet`;
  return objectKey({ stage: 'fresh', tenant, dataset, fileName });
}

/**
 * One Parquet file of a feature version (a split, or `data` for all rows). The content hash is in the key,
 * so a concurrent registration of other content can never replace the files a stored version points at.
 */
export function featureFileKey(
  tenant: string,
  name: string,
  version: string,
  contentHash: string,
  split: FeatureFileRef['split'],
): string {
  const file = split === 'all' ? 'data' : split;
  return `features/${tenant}/${name}/${version}/${contentHash.slice(0, 16)}/${file}.parquet`;
}

/** An object as an S3 URI, the way tools outside the API (boto3, pandas, Spark) name it. */
export function objectUri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

const EXTENSIONS: Record<string, FileFormat> = {
  csv: 'csv',
  tsv: 'csv',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  parquet: 'parquet',
  pq: 'parquet',
};

/**
 * Format from an explicit hint (object metadata) or the extension; compression suffixes such as
 * `.gz` are not supported yet, so they are rejected rather than mis-parsed.
 */
export function detectFormat(fileName: string, hint?: string): FileFormat {
  if (hint !== undefined) {
    const normalized = hint.toLowerCase();
    if ((FILE_FORMATS as readonly string[]).includes(normalized)) return normalized as FileFormat;
    throw new InvalidObjectKeyError(fileName, `unknown format hint "${hint}"`);
  }
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new InvalidObjectKeyError(
      fileName,
      `cannot tell the format from ".${ext}" (csv, jsonl, json, parquet)`,
    );
  }
  return format;
}

/**
 * Data type from object metadata, else from a key segment or file name that names one
 * (e.g. `fresh/acme/chat/red_team/batch1.jsonl`), else `custom`.
 */
export function detectDataType(fileName: string, hint?: string): DataType {
  if (hint !== undefined) {
    const normalized = hint.toLowerCase().replace('-', '_');
    if ((DATA_TYPES as readonly string[]).includes(normalized)) return normalized as DataType;
    throw new InvalidObjectKeyError(fileName, `unknown data type "${hint}" (${DATA_TYPES.join(', ')})`);
  }
  const tokens = fileName.toLowerCase().replace(/-/g, '_').split(/[/.]/);
  for (const type of DATA_TYPES) {
    if (tokens.some((t) => t === type || t.startsWith(`${type}_`))) return type;
  }
  return 'custom';
}

// ---- keys under the other prefixes: staging, reports, versions, tables, training sets, lineage --------

export type ReportKind = 'validation' | 'profile' | 'quality' | 'drift';

/** Per-file intermediate data between stages; expired by a lifecycle rule, never user data. */
export function stagingKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/data.parquet`;
}

/**
 * One chunk of a file staged in several parts (a file too big for one function is parsed as byte ranges
 * or row groups in parallel): `part-<iiiii>.parquet`, zero-padded so the keys list in chunk order.
 */
export function stagedChunkKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.parquet`;
}

/** A chunk index as five digits (the order of the chunks is the order of their names). */
export function chunkSuffix(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 99_999) {
    throw new InternalError(`chunk index ${index} is not an integer in 0..99999`);
  }
  return String(index).padStart(5, '0');
}

/**
 * A file processed in chunks: the chunk list the Distributed Map reads (a JSON array), and what each
 * chunk leaves for the merge (its counts, its error if it failed, its partial profile), beside the staged
 * chunk files. Named by chunk index, so a retried chunk rewrites its own and never another's.
 */
export function chunkPlanKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/chunks.json`;
}

/** A text file in chunks: the layout read from its head (split), and the schema its scans settled (settle). */
export function chunkLayoutKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/layout.json`;
}

export function chunkSchemaKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/schema.json`;
}

/** The convert plan of a text file, once its scans have settled every chunk's first record. */
export function chunkConvertPlanKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/chunks-convert.json`;
}

/**
 * Dedup keys across a file's chunks: the marker with how many rows each chunk drops, and per chunk the
 * indexes of those rows (little-endian uint32s), stored before any chunk is rewritten.
 */
export function chunkDedupKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/dedup.json`;
}

export function chunkDropsKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.drops`;
}

/** What a text chunk's first pass (scan) found: its range summary, inference and counts. */
export function chunkScanKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.scan.json`;
}

export function chunkResultKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.json`;
}

export function chunkProfileKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.profile.json`;
}

/** A chunk's validation state (a binary blob, see domain/validation/state-codec.ts) for the validate stage's merge. */
export function chunkValidationKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.validation.bin`;
}

/** A chunk's quality state (a binary blob, see domain/quality/partial.ts) for the quality stage's merge. */
export function chunkQualityKey(tenant: string, dataset: string, fileId: string, index: number): string {
  return `staging/${tenant}/${dataset}/${fileId}/part-${chunkSuffix(index)}.quality.bin`;
}

/**
 * The validation suite and clock a file's chunks are judged by, fixed once by the split stage: every chunk
 * and the merge read this one document, so a suite changed while the chunks run changes none of them.
 */
export function chunkSuiteKey(tenant: string, dataset: string, fileId: string): string {
  return `staging/${tenant}/${dataset}/${fileId}/validation-suite.json`;
}

export function reportKey(
  tenant: string,
  dataset: string,
  fileId: string,
  kind: ReportKind,
  format: 'json' | 'html' = 'json',
): string {
  return `reports/${tenant}/${dataset}/${fileId}/${kind}.${format}`;
}

export function manifestKey(tenant: string, id: string): string {
  return `training-sets/${tenant}/${id}/manifest.json`;
}

export function combinedKey(tenant: string, id: string, format: 'parquet' | 'jsonl'): string {
  return `training-sets/${tenant}/${id}/data.${format}`;
}

/**
 * The fresh/ key of a batch file: content-named, so a retried batch with the same rows finds its own file
 * instead of writing a second one (and register's content-hash dedupe sees one file).
 */
export function connectorFileKey(tenant: string, dataset: string, sha256Hex: string, ext: string): string {
  return `fresh/${tenant}/${dataset}/pull-${sha256Hex.slice(0, 32)}.${ext}`;
}

/**
 * The fresh/ key of an object copied from a foreign bucket: named by the source key and its ETag, so a
 * retried copy lands on the same key (written only if absent), while a changed object is a new file. The
 * extension stays, so register recognises the format.
 */
export function copiedObjectKey(
  tenant: string,
  dataset: string,
  sourceKey: string,
  identityHex: string,
): string {
  const base = sourceKey.slice(sourceKey.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_');
  return `fresh/${tenant}/${dataset}/s3-${identityHex.slice(0, 16)}-${base}`;
}

/**
 * Where a run's events are archived: `lineage/<tenant>/<yyyy>/<mm>/<dd>/<runId>-<eventType>.json`, dated
 * by the run's start (UTC), so a run's events sit together even across midnight and a retried stage
 * writes the same key.
 */
export function lineageEventKey(
  tenant: string,
  runId: string,
  runStartedAt: string,
  eventType: RunEventType,
): string {
  const date = new Date(runStartedAt);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an instant: ${runStartedAt}`);
  const [yyyy, mm, dd] = date.toISOString().slice(0, 10).split('-');
  return `lineage/${tenant}/${yyyy}/${mm}/${dd}/${runId}-${eventType}.json`;
}

/**
 * Where the object goes: the same tail under the new prefix, or (`fallback`) under a folder named by the
 * file id. The fallback is for a natural key another object already holds, e.g. two uploads to the same
 * fresh/ key (different S3 versions, so different files) that both get used; copies never overwrite.
 */
export function destinationKey(key: string, to: LifecyclePrefix, fileId: string, fallback = false): string {
  const parts = parseObjectKey(key);
  const fileName =
    !fallback || parts.fileName.startsWith(`${fileId}/`) ? parts.fileName : `${fileId}/${parts.fileName}`;
  return objectKey({ ...parts, stage: to, fileName });
}

/** Where a dataset's table lives in the data bucket: data files at the root, the log under `_delta_log/`. */
export function datasetTableRoot(tenant: string, dataset: string): string {
  return `tables/${tenant}/${dataset}/`;
}

/**
 * What vacuum recorded about a dataset's table (the oldest readable version), beside the table it is about.
 * `_strata/` is hidden by Delta's rule (a leading `_`), so no engine takes it for data and no VACUUM deletes it.
 */
export function datasetTableVacuumKey(tenant: string, dataset: string): string {
  return `${datasetTableRoot(tenant, dataset)}_strata/vacuum.json`;
}

/**
 * The profile of a dataset's whole table at a Delta version strata committed (merged from the previous
 * version's and the file's, or recomputed): beside the table under `_strata/`, which Delta readers and
 * vacuums skip, so it lives and goes with the table and needs no grant beyond the table's.
 */
export function tableProfileKey(tenant: string, dataset: string, deltaVersion: number): string {
  return `${datasetTableRoot(tenant, dataset)}_strata/profiles/v${deltaVersion}.json`;
}

/**
 * The CSV of a data file of a dataset's table, for downloads (app/io/table-download.ts): under downloads/,
 * never under the table root (no engine or vacuum should meet it there), named by the data file and a tag
 * of the table's columns (the CSV's header): a data file never changes, the columns around it may.
 */
export function dataFileCsvKey(tenant: string, dataset: string, path: string, columnsTag: string): string {
  return `downloads/${tenant}/${dataset}/${columnsTag}/${path.replace(/\.parquet$/, '')}.csv`;
}

/** The table as other engines name it: `s3://<bucket>/tables/<tenant>/<dataset>/`. */
export function datasetTableUri(bucket: string, tenant: string, dataset: string): string {
  return `s3://${bucket}/${datasetTableRoot(tenant, dataset)}`;
}
