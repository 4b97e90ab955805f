/**
 * Training sets: pick the newest FRESH dataset versions that fit a budget (sample files when nothing is
 * fresh), write an immutable manifest of them and, on request, one combined file of all their rows.
 * Marking the chosen files as used belongs to the lifecycle use cases (lifecycle/consumption.ts), which read
 * the record back.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FileRecord } from '../domain/file-record.js';
import { node } from '../domain/lineage.js';
import { combinedKey, isValidName, manifestKey, objectUri } from '../domain/object-key.js';
import { type CellValue, columnIndex, type RecordBatch, type TableSchema } from '../domain/table.js';
import {
  coerceCell,
  FileSelection,
  isSelectableVersion,
  SAMPLE_FALLBACK_STATUSES,
  TRACE_COLUMNS,
  type TrainingSetCriteria,
  type TrainingSetFile,
  type TrainingSetManifest,
  type TrainingSetRecord,
  unionSchema,
} from '../domain/training-set.js';
import type { VersionRecord } from '../domain/version.js';
import { EmptySelectionError, InternalError, InvalidInputError, NotFoundError } from '../errors.js';
import { openParquet, writeParquet } from '../formats/parquet.js';
import type {
  Clock,
  FileQuery,
  MetadataStore,
  ObjectStore,
  TrainingSetStore,
  VersionStore,
} from '../ports.js';
import { pipeThrough } from './io/channel.js';

export interface TrainingSetDeps {
  metadata: MetadataStore;
  versions: VersionStore;
  trainingSets: TrainingSetStore;
  store: ObjectStore;
  clock: Clock;
  /** New training-set ids; injected so tests and benches get predictable ones. */
  ids: () => string;
}

/** Random, and safe in S3 keys, DynamoDB keys and URL paths. */
export function newTrainingSetId(): string {
  return `ts_${randomUUID().replaceAll('-', '')}`;
}

const PAGE_SIZE = 100;
/** Version lookups run this many at a time: enough to hide latency, few enough to stop early cheaply. */
const LOOKUP_BATCH = 25;
const URL_TTL_SECONDS = 900;

type Format = NonNullable<TrainingSetCriteria['combine']>;
const CONTENT_TYPES: Record<Format, string> = {
  parquet: 'application/vnd.apache.parquet',
  jsonl: 'application/x-ndjson',
};

export async function createTrainingSet(
  deps: TrainingSetDeps,
  tenant: string,
  criteria: TrainingSetCriteria,
) {
  if (criteria.dataset !== undefined && !isValidName(criteria.dataset)) {
    throw new InvalidInputError(`invalid dataset name "${criteria.dataset}"`);
  }
  if (criteria.since !== undefined && Number.isNaN(Date.parse(criteria.since))) {
    throw new InvalidInputError(`since: "${criteria.since}" is not an ISO 8601 instant`);
  }
  const schemas = new Map<string, TableSchema>();
  const lookup = { deps, tenant, schemas };

  let selection = new FileSelection(criteria);
  let kind: TrainingSetManifest['selection'] = 'fresh';
  const since = criteria.since === undefined ? undefined : Date.parse(criteria.since);
  const fresh = listAll(deps.metadata, tenant, {
    status: 'FRESH',
    dataset: criteria.dataset,
    dataType: criteria.dataType,
  });
  // Newest first, so the first file older than `since` ends the walk: the rest are older still.
  await fill(
    selection,
    takeWhile(fresh, (f) => since === undefined || Date.parse(f.uploadedAt) >= since),
    lookup,
  );
  if (selection.considered === 0) {
    // Nothing fresh matched: the standing sample set of the dataset (any age, used or not) stands in.
    selection = new FileSelection({ maxRows: criteria.maxRows, maxBytes: criteria.maxBytes });
    kind = 'sample-fallback';
    const samples = SAMPLE_FALLBACK_STATUSES.map((status) =>
      listAll(deps.metadata, tenant, { status, dataset: criteria.dataset, dataType: 'sample' }),
    );
    await fill(selection, mergeNewestFirst(samples), lookup);
  }
  if (selection.files.length === 0) {
    throw new EmptySelectionError(
      selection.considered === 0
        ? 'no FRESH file with a ready version matches the criteria, and there is no sample file to fall back to'
        : 'the newest matching file alone exceeds maxRows or maxBytes',
    );
  }

  const id = deps.ids();
  const createdAt = deps.clock.now().toISOString();
  const { files, totals } = selection;
  let combined: TrainingSetManifest['combined'];
  if (criteria.combine) {
    const key = combinedKey(tenant, id, criteria.combine);
    const written = await writeCombined(deps.store, key, criteria.combine, files, schemas);
    combined = { key, format: criteria.combine, ...written };
  }
  const manifest: TrainingSetManifest = {
    id,
    tenant,
    createdAt,
    criteria,
    selection: kind,
    files,
    totals,
    combined,
  };
  const key = manifestKey(tenant, id);
  // The manifest is the contract with the training job: written once, never replaced.
  await deps.store.putJson(key, manifest, { ifAbsent: true });
  const record: TrainingSetRecord = {
    id,
    tenant,
    createdAt,
    manifestKey: key,
    criteria,
    selection: kind,
    fileIds: files.map((f) => f.fileId),
    totals,
    combinedKey: combined?.key,
  };
  const edges = [...new Set(files.map((f) => node.datasetVersion(tenant, f.dataset, f.version)))].map(
    (from) => ({
      from,
      to: node.trainingSet(tenant, id),
      type: 'derived_from' as const,
    }),
  );
  await deps.trainingSets.putTrainingSet(record, edges);
  return {
    id,
    createdAt,
    selection: kind,
    totals,
    ...(await links(deps.store, record)),
  };
}

/** The record, its manifest and short-lived download links for the manifest and the combined file. */
export async function getTrainingSet(
  deps: Pick<TrainingSetDeps, 'trainingSets' | 'store'>,
  tenant: string,
  id: string,
) {
  const record = await deps.trainingSets.getTrainingSet(tenant, id);
  if (!record) throw new NotFoundError(`training set "${id}" not found`);
  const manifest = (await deps.store.getJson(record.manifestKey)) as TrainingSetManifest | undefined;
  // Written before the record, never deleted with it still there: a missing one is a broken invariant.
  if (!manifest) throw new InternalError(`manifest of training set "${id}" is missing`);
  return { ...record, manifest, ...(await links(deps.store, record)) };
}

async function links(store: ObjectStore, record: TrainingSetRecord) {
  const uri = (key: string) => objectUri(store.bucket, key);
  const [manifestUrl, combinedUrl] = await Promise.all([
    store.presignGet(record.manifestKey, URL_TTL_SECONDS, `${record.id}-manifest.json`),
    record.combinedKey === undefined
      ? undefined
      : store.presignGet(
          record.combinedKey,
          URL_TTL_SECONDS,
          `${record.id}.${record.combinedKey.split('.').pop()}`,
        ),
  ]);
  return {
    manifestKey: record.manifestKey,
    manifestUri: uri(record.manifestKey),
    manifestUrl,
    ...(record.combinedKey !== undefined && {
      combinedKey: record.combinedKey,
      combinedUri: uri(record.combinedKey),
      combinedUrl,
    }),
    expiresInSeconds: URL_TTL_SECONDS,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Candidates

interface Lookup {
  deps: Pick<TrainingSetDeps, 'versions'>;
  tenant: string;
  /** Schemas of the versions offered, by file id: the combined file's union is made from them. */
  schemas: Map<string, TableSchema>;
}

/**
 * Offers files in the order given until the selection is complete. A file counts only with a READY
 * version: its rows and snapshot come from the version record.
 */
async function fill(selection: FileSelection, files: AsyncIterable<FileRecord>, lookup: Lookup) {
  for await (const batch of chunks(files, LOOKUP_BATCH)) {
    const versions = await Promise.all(
      batch.map((f) =>
        f.version === undefined
          ? undefined
          : lookup.deps.versions.getVersion(lookup.tenant, f.dataset, f.version),
      ),
    );
    for (const [i, file] of batch.entries()) {
      const version = versions[i];
      if (!version || !isSelectableVersion(version.status)) continue;
      const outcome = selection.offer(toSelectionFile(file, version));
      if (outcome === 'taken') lookup.schemas.set(file.fileId, version.schema);
      if (selection.complete || outcome === 'too-old') return;
    }
  }
}

function toSelectionFile(file: FileRecord, version: VersionRecord): TrainingSetFile {
  return {
    fileId: file.fileId,
    key: file.key,
    dataset: file.dataset,
    dataType: file.dataType,
    sha256: file.sha256,
    contentHash: version.contentHash,
    objectVersion: file.objectVersion,
    uploadedAt: file.uploadedAt,
    version: version.version,
    snapshotKey: version.snapshotKey,
    rows: version.rowCount,
    bytes: file.size,
  };
}

async function* listAll(
  metadata: MetadataStore,
  tenant: string,
  query: Omit<FileQuery, 'limit' | 'cursor'>,
): AsyncIterable<FileRecord> {
  let cursor: string | undefined;
  do {
    const page = await metadata.listFiles(tenant, { ...query, limit: PAGE_SIZE, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

async function* takeWhile<T>(source: AsyncIterable<T>, keep: (item: T) => boolean): AsyncIterable<T> {
  for await (const item of source) {
    if (!keep(item)) return;
    yield item;
  }
}

async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Sort key of the time indexes: `<uploadedAt>#<fileId>`, compared the way DynamoDB orders it. */
const indexOrder = (f: FileRecord) => `${f.uploadedAt}#${f.fileId}`;

/** Several newest-first listings (one per status) as one newest-first listing, read lazily. */
async function* mergeNewestFirst(sources: readonly AsyncIterable<FileRecord>[]): AsyncIterable<FileRecord> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  for (;;) {
    let newest = -1;
    for (const [i, head] of heads.entries()) {
      if (head.done) continue;
      const current = heads[newest];
      if (!current || current.done || indexOrder(head.value) > indexOrder(current.value)) newest = i;
    }
    const head = heads[newest];
    const iterator = iterators[newest];
    if (!head || head.done || !iterator) return;
    yield head.value;
    heads[newest] = await iterator.next();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Combined output

/**
 * Streams every selected snapshot, one row group at a time, into one object: memory holds a row group
 * (plus, for Parquet, the writer's row group and one upload part), whatever the training set's size.
 */
async function writeCombined(
  store: ObjectStore,
  key: string,
  format: Format,
  files: readonly TrainingSetFile[],
  schemas: ReadonlyMap<string, TableSchema>,
): Promise<{ rows: number; bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  const { size } = await pipeThrough<Uint8Array, { size: number }>(
    async (push) => {
      const sink = async (chunk: Uint8Array) => {
        hash.update(chunk);
        await push(chunk);
      };
      if (format === 'parquet') {
        const schema = unionSchema(files.map((f) => schemas.get(f.fileId) ?? { columns: [] }));
        rows = (await writeParquetUnion(store, schema, files, sink)).rowCount;
      } else {
        rows = await writeJsonl(store, files, sink);
      }
    },
    (body) => store.write(key, body, { contentType: CONTENT_TYPES[format] }),
  );
  return { rows, bytes: size, sha256: hash.digest('hex') };
}

async function* snapshotBatches(store: ObjectStore, file: TrainingSetFile) {
  const parquet = await openParquet(await store.openRange({ bucket: store.bucket, key: file.snapshotKey }));
  yield* parquet.readRowGroups();
}

async function writeParquetUnion(
  store: ObjectStore,
  schema: TableSchema,
  files: readonly TrainingSetFile[],
  sink: (chunk: Uint8Array) => Promise<void>,
) {
  const dataColumns = schema.columns.slice(0, schema.columns.length - TRACE_COLUMNS.length);
  async function* batches(): AsyncIterable<RecordBatch> {
    for (const file of files) {
      for await (const batch of snapshotBatches(store, file)) {
        const n = batch.numRows;
        // Mapped by name from the snapshot's own schema, so a column's position may differ per file.
        const columns = dataColumns.map((target): CellValue[] => {
          const at = columnIndex(batch.schema, target.name);
          const source = batch.schema.columns[at];
          const values = batch.columns[at];
          if (!source || !values) return new Array<CellValue>(n).fill(null);
          return source.type === target.type
            ? values
            : values.map((v) => coerceCell(v, source.type, target.type));
        });
        columns.push(new Array<CellValue>(n).fill(file.fileId), new Array<CellValue>(n).fill(file.version));
        yield { schema, numRows: n, columns };
      }
    }
  }
  return writeParquet(schema, batches(), sink);
}

async function writeJsonl(
  store: ObjectStore,
  files: readonly TrainingSetFile[],
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<number> {
  const encoder = new TextEncoder();
  let rows = 0;
  for (const file of files) {
    for await (const batch of snapshotBatches(store, file)) {
      const columns = batch.schema.columns;
      const lines: string[] = [];
      for (let r = 0; r < batch.numRows; r++) {
        const row: Record<string, CellValue> = {};
        columns.forEach((c, i) => {
          const v = batch.columns[i]?.[r] ?? null;
          row[c.name] = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
        });
        // Assigned last: in a combined file the trace fields describe this training set's sources.
        row._source_file_id = file.fileId;
        row._dataset_version = file.version;
        lines.push(JSON.stringify(row));
      }
      rows += batch.numRows;
      if (lines.length > 0) await sink(encoder.encode(`${lines.join('\n')}\n`));
    }
  }
  return rows;
}
