/**
 * Delta Lake log actions (the protocol's "Actions" section) and their JSON encoding: a commit is one JSON
 * object per line, each holding one action under its name (`{"add":{...}}`), stored as
 * `_delta_log/<version, 20 digits>.json`.
 *
 * Only the actions a reader-1 / writer-2 table can hold are modelled: protocol, metaData, add, remove, txn,
 * commitInfo. Readers must ignore what they do not know, so other actions (cdc, domainMetadata, ...) and
 * unknown fields are dropped on parse; optional fields that other writers spell as `null` (delta-rs writes
 * `"tags":null`) read as absent.
 */
import { TableLogCorruptError } from '../../errors.js';

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Only with reader version 3. */
  readerFeatures?: string[];
  /** Only with writer version 7. */
  writerFeatures?: string[];
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  /** GUID of the table. */
  id: string;
  name?: string;
  description?: string;
  format: Format;
  /** Spark StructType JSON (see schema.ts). */
  schemaString: string;
  partitionColumns: string[];
  /** Milliseconds since the epoch. */
  createdTime?: number;
  configuration: Record<string, string>;
}

/** A deletion vector descriptor: kept as given, only its `uniqueId` parts matter here (file identity). */
export interface DeletionVector {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

export interface AddFile {
  /** Relative to the table root (or absolute), URI-encoded as the protocol says. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  /** Milliseconds since the epoch. */
  modificationTime: number;
  dataChange: boolean;
  /** The per-file statistics as a JSON string (stats.ts). */
  stats?: string;
  tags?: Record<string, string | null>;
  deletionVector?: DeletionVector;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
  clusteringProvider?: string;
}

export interface RemoveFile {
  path: string;
  /** Milliseconds since the epoch. */
  deletionTimestamp?: number;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
  stats?: string;
  tags?: Record<string, string | null>;
  deletionVector?: DeletionVector;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
}

/** An application's progress marker (idempotent writes): the latest `version` per `appId` wins. */
export interface Txn {
  appId: string;
  version: number;
  /** Milliseconds since the epoch. */
  lastUpdated?: number;
}

/** Free-form provenance; the fields the conflict check and strata read are typed. */
export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  /** True when the commit only adds files and read nothing: it commutes with other appends. */
  isBlindAppend?: boolean;
  /** A unique id of the commit attempt: lets a writer recognise its own entry after a lost response. */
  txnId?: string;
  engineInfo?: string;
  [key: string]: unknown;
}

export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo };

/** A commit's actions with the version it holds. */
export interface LogEntry {
  version: number;
  actions: Action[];
}

/** The protocol strata writes: no table features, so every Delta reader since 0.x can read it. */
export const STRATA_PROTOCOL: Protocol = { minReaderVersion: 1, minWriterVersion: 2 };

// ---------------------------------------------------------------------------------------------------------
// File names

const VERSION_DIGITS = 20;

/** `00000000000000000042`: versions are zero-padded so that names sort as versions do. */
export function paddedVersion(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new RangeError(`a table version is a non-negative integer, got ${version}`);
  }
  return String(version).padStart(VERSION_DIGITS, '0');
}

export function commitFileName(version: number): string {
  return `${paddedVersion(version)}.json`;
}

/** A classic (single-file, V1 spec) checkpoint. */
export function checkpointFileName(version: number): string {
  return `${paddedVersion(version)}.checkpoint.parquet`;
}

export const LAST_CHECKPOINT_FILE = '_last_checkpoint';

export type LogFileName =
  | { kind: 'commit'; version: number }
  | { kind: 'checkpoint'; version: number }
  | { kind: 'other' };

const COMMIT_NAME = /^(\d{20})\.json$/;
const CHECKPOINT_NAME = /^(\d{20})\.checkpoint\.parquet$/;

/**
 * What a `_delta_log/` entry is. Multi-part and UUID-named (V2) checkpoints, checksums, compactions and
 * staged commits are `other`: a reader-1 table has no V2 checkpoints, and readers may ignore the rest.
 */
export function parseLogFileName(name: string): LogFileName {
  const commit = COMMIT_NAME.exec(name);
  if (commit?.[1]) return { kind: 'commit', version: Number(commit[1]) };
  const checkpoint = CHECKPOINT_NAME.exec(name);
  if (checkpoint?.[1]) return { kind: 'checkpoint', version: Number(checkpoint[1]) };
  return { kind: 'other' };
}

// ---------------------------------------------------------------------------------------------------------
// JSON encoding

/**
 * One line per action, newline-terminated. Every line is a single-line JSON document (JSON.stringify
 * escapes newlines inside strings), which is what makes the file newline-delimited.
 */
export function serializeCommit(actions: readonly Action[]): string {
  return actions.map((action) => `${JSON.stringify(action)}\n`).join('');
}

/** Parses a commit file; a line that is not a JSON object or a known action that is malformed throws. */
export function parseCommit(text: string, version: number): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new TableLogCorruptError(`commit ${version} line ${i + 1} is not JSON`, { cause: error });
    }
    const action = parseAction(value, `commit ${version} line ${i + 1}`);
    if (action) actions.push(action);
  }
  return actions;
}

/**
 * One action from its JSON object (a commit line or a checkpoint row, whose absent action columns are
 * null). Returns undefined for actions this reader does not model; throws when a modelled one is malformed.
 */
export function parseAction(value: unknown, where: string): Action | undefined {
  if (!isRecord(value)) throw new TableLogCorruptError(`${where}: an action must be a JSON object`);
  const read = new FieldReader(where);
  if (isRecord(value.add)) return { add: read.add(value.add) };
  if (isRecord(value.remove)) return { remove: read.remove(value.remove) };
  if (isRecord(value.txn)) return { txn: read.txn(value.txn) };
  if (isRecord(value.metaData)) return { metaData: read.metadata(value.metaData) };
  if (isRecord(value.protocol)) return { protocol: read.protocol(value.protocol) };
  if (isRecord(value.commitInfo)) return { commitInfo: read.commitInfo(value.commitInfo) };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields out of untrusted JSON, naming the field in the error. */
class FieldReader {
  constructor(private readonly where: string) {}

  private fail(field: string, expected: string): never {
    throw new TableLogCorruptError(`${this.where}: field "${field}" must be ${expected}`);
  }

  private string(o: Record<string, unknown>, field: string): string {
    const v = o[field];
    return typeof v === 'string' ? v : this.fail(field, 'a string');
  }

  private optionalString(o: Record<string, unknown>, field: string): string | undefined {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : this.fail(field, 'a string');
  }

  /** Longs as JSON numbers, or as bigint/string from a Parquet checkpoint. */
  private integer(o: Record<string, unknown>, field: string): number {
    const v = this.optionalInteger(o, field);
    return v === undefined ? this.fail(field, 'an integer') : v;
  }

  private optionalInteger(o: Record<string, unknown>, field: string): number | undefined {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'bigint' ? Number(v) : v;
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : this.fail(field, 'a safe integer');
  }

  private boolean(o: Record<string, unknown>, field: string): boolean {
    const v = o[field];
    return typeof v === 'boolean' ? v : this.fail(field, 'a boolean');
  }

  private optionalBoolean(o: Record<string, unknown>, field: string): boolean | undefined {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'boolean' ? v : this.fail(field, 'a boolean');
  }

  private stringMap(o: Record<string, unknown>, field: string): Record<string, string | null> {
    const v = this.optionalStringMap(o, field);
    return v ?? this.fail(field, 'a map of strings');
  }

  private optionalStringMap(
    o: Record<string, unknown>,
    field: string,
  ): Record<string, string | null> | undefined {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) return this.fail(field, 'a map of strings');
    const out: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(v)) {
      if (value !== null && value !== undefined && typeof value !== 'string') {
        this.fail(`${field}.${key}`, 'a string or null');
      }
      out[key] = value ?? null;
    }
    return out;
  }

  private requiredStringMap(o: Record<string, unknown>, field: string): Record<string, string> {
    const map = this.stringMap(o, field);
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(map)) {
      out[key] = value ?? this.fail(`${field}.${key}`, 'a string');
    }
    return out;
  }

  private optionalStringArray(o: Record<string, unknown>, field: string): string[] | undefined {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      return this.fail(field, 'an array of strings');
    }
    return [...v];
  }

  private deletionVector(o: Record<string, unknown>): DeletionVector | undefined {
    const v = o.deletionVector;
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) return this.fail('deletionVector', 'an object');
    return withoutUndefined({
      storageType: this.string(v, 'storageType'),
      pathOrInlineDv: this.string(v, 'pathOrInlineDv'),
      offset: this.optionalInteger(v, 'offset'),
      sizeInBytes: this.integer(v, 'sizeInBytes'),
      cardinality: this.integer(v, 'cardinality'),
    });
  }

  add(o: Record<string, unknown>): AddFile {
    return withoutUndefined({
      path: this.string(o, 'path'),
      partitionValues: this.stringMap(o, 'partitionValues'),
      size: this.integer(o, 'size'),
      modificationTime: this.integer(o, 'modificationTime'),
      dataChange: this.boolean(o, 'dataChange'),
      stats: this.optionalString(o, 'stats'),
      tags: this.optionalStringMap(o, 'tags'),
      deletionVector: this.deletionVector(o),
      baseRowId: this.optionalInteger(o, 'baseRowId'),
      defaultRowCommitVersion: this.optionalInteger(o, 'defaultRowCommitVersion'),
      clusteringProvider: this.optionalString(o, 'clusteringProvider'),
    });
  }

  remove(o: Record<string, unknown>): RemoveFile {
    return withoutUndefined({
      path: this.string(o, 'path'),
      deletionTimestamp: this.optionalInteger(o, 'deletionTimestamp'),
      dataChange: this.boolean(o, 'dataChange'),
      extendedFileMetadata: this.optionalBoolean(o, 'extendedFileMetadata'),
      partitionValues: this.optionalStringMap(o, 'partitionValues'),
      size: this.optionalInteger(o, 'size'),
      stats: this.optionalString(o, 'stats'),
      tags: this.optionalStringMap(o, 'tags'),
      deletionVector: this.deletionVector(o),
      baseRowId: this.optionalInteger(o, 'baseRowId'),
      defaultRowCommitVersion: this.optionalInteger(o, 'defaultRowCommitVersion'),
    });
  }

  txn(o: Record<string, unknown>): Txn {
    return withoutUndefined({
      appId: this.string(o, 'appId'),
      version: this.integer(o, 'version'),
      lastUpdated: this.optionalInteger(o, 'lastUpdated'),
    });
  }

  metadata(o: Record<string, unknown>): Metadata {
    const format = o.format;
    if (!isRecord(format)) return this.fail('format', 'an object');
    return withoutUndefined({
      id: this.string(o, 'id'),
      name: this.optionalString(o, 'name'),
      description: this.optionalString(o, 'description'),
      format: {
        provider: this.string(format, 'provider'),
        options: format.options === undefined ? {} : this.requiredStringMap(format, 'options'),
      },
      schemaString: this.string(o, 'schemaString'),
      partitionColumns:
        this.optionalStringArray(o, 'partitionColumns') ?? this.fail('partitionColumns', 'an array'),
      createdTime: this.optionalInteger(o, 'createdTime'),
      configuration: o.configuration === undefined ? {} : this.requiredStringMap(o, 'configuration'),
    });
  }

  protocol(o: Record<string, unknown>): Protocol {
    return withoutUndefined({
      minReaderVersion: this.integer(o, 'minReaderVersion'),
      minWriterVersion: this.integer(o, 'minWriterVersion'),
      readerFeatures: this.optionalStringArray(o, 'readerFeatures'),
      writerFeatures: this.optionalStringArray(o, 'writerFeatures'),
    });
  }

  commitInfo(o: Record<string, unknown>): CommitInfo {
    // Free-form by the protocol: kept whole, with the fields strata reads checked for their type.
    const info: CommitInfo = { ...o };
    const blind = this.optionalBoolean(o, 'isBlindAppend');
    if (blind === undefined) delete info.isBlindAppend;
    const txnId = o.txnId;
    if (txnId !== undefined && typeof txnId !== 'string') delete info.txnId;
    return info;
  }
}

/** Drops absent optional fields, so that parsed actions compare equal to constructed ones. */
function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Accessors

interface ActionsByKind {
  protocol: Protocol;
  metaData: Metadata;
  add: AddFile;
  remove: RemoveFile;
  txn: Txn;
  commitInfo: CommitInfo;
}

/** The actions of one kind, in order. */
export function actionsOf<K extends keyof ActionsByKind>(
  actions: readonly Action[],
  kind: K,
): ActionsByKind[K][] {
  const out: ActionsByKind[K][] = [];
  for (const action of actions) {
    if (kind in action) out.push((action as unknown as Record<K, ActionsByKind[K]>)[kind]);
  }
  return out;
}

/**
 * A logical file's key: its path, plus the deletion vector's unique id when it has one (the protocol's
 * `(path, deletionVector.uniqueId)`; the unique id is the storage type and path-or-inline, and the offset).
 */
export function fileKey(file: { path: string; deletionVector?: DeletionVector }): string {
  const dv = file.deletionVector;
  if (!dv) return file.path;
  const uniqueId = `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}`;
  return `${file.path}\u0000${uniqueId}`;
}
