/**
 * Training sets: pick the newest FRESH dataset versions that fit a budget (sample files when nothing is
 * fresh), or take one dataset's table at a version (`{dataset, version}`: every data file of its Delta
 * version), write an immutable manifest of them and, on request, one combined file of all their rows. Rows
 * are read from the datasets' Delta tables: a version's own data file, or the table version's files.
 * Marking the chosen files as used belongs to the lifecycle use cases (lifecycle/consumption.ts), which read
 * the record back.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FileRecord } from '../domain/file-record.js';
import { node } from '../domain/lineage.js';
import { combinedKey, datasetTableRoot, isValidName, manifestKey, objectUri } from '../domain/object-key.js';
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
  type TrainingSetTable,
  unionSchema,
} from '../domain/training-set.js';
import type { VersionRecord, VersionTable } from '../domain/version.js';
import { EmptySelectionError, InternalError, InvalidInputError, NotFoundError } from '../errors.js';
import { openParquet, writeParquet } from '../formats/parquet.js';
import type {
  Clock,
  DatasetTables,
  FileQuery,
  MetadataStore,
  ObjectStore,
  TrainingSetStore,
  VersionStore,
} from '../ports.js';
import { pipeThrough } from './io/channel.js';
import { dataFileSourceId, fileDataFiles, versionTableFiles } from './io/table-files.js';

export interface TrainingSetDeps {
  metadata: MetadataStore;
  versions: VersionStore;
  trainingSets: TrainingSetStore;
  store: ObjectStore;
  /** The datasets' Delta tables, whose data files a training set lists and reads. */
  tables: DatasetTables;
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
  if (criteria.version !== undefined) return createTableTrainingSet(deps, tenant, criteria);
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

  const { files, totals } = selection;
  return writeTrainingSet(deps, tenant, criteria, {
    kind,
    files,
    totals,
    fileIds: files.map((f) => f.fileId),
    // A file committed as chunk files is read from all of them, in order.
    sources: files.flatMap((f) =>
      (f.dataFiles ?? [f.dataFile]).map((dataFile) => ({
        traceId: f.fileId,
        version: f.version,
        key: dataFile.key,
        schema: schemas.get(f.fileId) ?? { columns: [] },
      })),
    ),
    derivedFrom: files.map((f) => ({ dataset: f.dataset, version: f.version })),
  });
}

/**
 * `{dataset, version}`: the dataset's table at the version's Delta version, every data file of it, listed
 * in the manifest with its rows and size (from the log's add actions: no data read unless combined). Only a
 * READY version (as for a selection); `maxRows`/`maxBytes` still bound it.
 */
async function createTableTrainingSet(deps: TrainingSetDeps, tenant: string, criteria: TrainingSetCriteria) {
  const { dataset, version } = criteria;
  if (dataset === undefined || version === undefined) {
    throw new InvalidInputError('a training set of a dataset version names both dataset and version');
  }
  if (criteria.since !== undefined || criteria.dataType !== undefined) {
    throw new InvalidInputError('since and type select files; a dataset version is taken whole');
  }
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || !isSelectableVersion(record.status)) {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" is not a READY version`);
  }
  const at = await versionTableFiles(deps, record);
  if (at.deltaVersion === null) {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" is in no table version`);
  }
  const files = at.files.map((f) => ({
    path: f.path,
    key: f.key,
    // Strata's writer always records a row count; a file without one is counted as read when combined.
    rows: f.stats?.numRecords ?? 0,
    bytes: f.size,
  }));
  const totals = {
    files: files.length,
    rows: files.reduce((sum, f) => sum + f.rows, 0),
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
  };
  if (
    (criteria.maxRows !== undefined && totals.rows > criteria.maxRows) ||
    (criteria.maxBytes !== undefined && totals.bytes > criteria.maxBytes)
  ) {
    throw new EmptySelectionError(
      `the table of dataset "${dataset}" at version ${version} (${totals.rows} rows, ${totals.bytes} bytes) exceeds maxRows or maxBytes`,
    );
  }
  const table: TrainingSetTable = { dataset, version, deltaVersion: at.deltaVersion, uri: at.uri, files };
  // Once per source file, though a file committed in chunks is several data files.
  const fileIds = [
    ...new Set(files.map((f) => dataFileSourceId(f.path)).filter((id): id is string => id !== undefined)),
  ];
  return writeTrainingSet(deps, tenant, criteria, {
    kind: 'table',
    files: [],
    table,
    totals,
    // The source files whose rows these data files are: consuming the set counts a use of each.
    fileIds,
    sources: files.map((f) => ({
      traceId: dataFileSourceId(f.path) ?? f.path,
      version,
      key: f.key,
      schema: at.schema,
    })),
    derivedFrom: [{ dataset, version }],
  });
}

interface Selected {
  kind: TrainingSetManifest['selection'];
  files: TrainingSetFile[];
  table?: TrainingSetTable | undefined;
  totals: TrainingSetManifest['totals'];
  fileIds: string[];
  /** What a combined file reads, in order. */
  sources: CombineSource[];
  /** The dataset versions the set is derived from (its lineage edges). */
  derivedFrom: Array<{ dataset: string; version: number }>;
}

/** The combined file (on request), the create-only manifest, then the record with its lineage edges. */
async function writeTrainingSet(
  deps: TrainingSetDeps,
  tenant: string,
  criteria: TrainingSetCriteria,
  selected: Selected,
) {
  const { kind, files, table, totals } = selected;
  const id = deps.ids();
  const createdAt = deps.clock.now().toISOString();
  let combined: TrainingSetManifest['combined'];
  if (criteria.combine) {
    const key = combinedKey(tenant, id, criteria.combine);
    const written = await writeCombined(deps.store, key, criteria.combine, selected.sources);
    combined = { key, format: criteria.combine, ...written };
  }
  const manifest: TrainingSetManifest = {
    id,
    tenant,
    createdAt,
    criteria,
    selection: kind,
    files,
    ...(table && { table }),
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
    fileIds: selected.fileIds,
    totals,
    combinedKey: combined?.key,
  };
  const edges = [
    ...new Set(selected.derivedFrom.map((d) => node.datasetVersion(tenant, d.dataset, d.version))),
  ].map((from) => ({
    from,
    to: node.trainingSet(tenant, id),
    type: 'derived_from' as const,
  }));
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
 * version committed to its dataset's table: its rows and data file come from the version record.
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
      // A version made before datasets were tables has no data file to read.
      const deltaVersion = version?.table?.version;
      if (!version?.table || deltaVersion === undefined || !isSelectableVersion(version.status)) continue;
      const outcome = selection.offer(toSelectionFile(file, version, version.table, deltaVersion));
      if (outcome === 'taken') lookup.schemas.set(file.fileId, version.schema);
      if (selection.complete || outcome === 'too-old') return;
    }
  }
}

function toSelectionFile(
  file: FileRecord,
  version: VersionRecord,
  table: VersionTable,
  deltaVersion: number,
): TrainingSetFile {
  const root = datasetTableRoot(version.tenant, version.dataset);
  const paths = fileDataFiles(version.sourceFileId, table);
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
    dataFile: { path: table.dataFile, key: `${root}${table.dataFile}`, deltaVersion },
    ...(paths.length > 1 && { dataFiles: paths.map((path) => ({ path, key: `${root}${path}` })) }),
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

/** A data file a combined file reads, with what its rows are traced back to. */
interface CombineSource {
  /** `_source_file_id`: the source file whose rows the data file holds (its path if strata did not write it). */
  traceId: string;
  /** `_dataset_version`. */
  version: number;
  key: string;
  /** The columns it contributes to the union (a table version's files: the table's). */
  schema: TableSchema;
}

/**
 * Streams every selected data file, one row group at a time, into one object: memory holds a row group
 * (plus, for Parquet, the writer's row group and one upload part), whatever the training set's size.
 */
async function writeCombined(
  store: ObjectStore,
  key: string,
  format: Format,
  files: readonly CombineSource[],
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
        const schema = unionSchema(files.map((f) => f.schema));
        rows = (await writeParquetUnion(store, schema, files, sink)).rowCount;
      } else {
        rows = await writeJsonl(store, files, sink);
      }
    },
    (body) => store.write(key, body, { contentType: CONTENT_TYPES[format] }),
  );
  return { rows, bytes: size, sha256: hash.digest('hex') };
}

async function* sourceBatches(store: ObjectStore, file: CombineSource) {
  const parquet = await openParquet(await store.openRange({ bucket: store.bucket, key: file.key }));
  yield* parquet.readRowGroups();
}

async function writeParquetUnion(
  store: ObjectStore,
  schema: TableSchema,
  files: readonly CombineSource[],
  sink: (chunk: Uint8Array) => Promise<void>,
) {
  const dataColumns = schema.columns.slice(0, schema.columns.length - TRACE_COLUMNS.length);
  async function* batches(): AsyncIterable<RecordBatch> {
    for (const file of files) {
      for await (const batch of sourceBatches(store, file)) {
        const n = batch.numRows;
        // Mapped by name from the data file's own schema, so a column's position may differ per file.
        const columns = dataColumns.map((target): CellValue[] => {
          const at = columnIndex(batch.schema, target.name);
          const source = batch.schema.columns[at];
          const values = batch.columns[at];
          if (!source || !values) return new Array<CellValue>(n).fill(null);
          return source.type === target.type
            ? values
            : values.map((v) => coerceCell(v, source.type, target.type));
        });
        columns.push(new Array<CellValue>(n).fill(file.traceId), new Array<CellValue>(n).fill(file.version));
        yield { schema, numRows: n, columns };
      }
    }
  }
  return writeParquet(schema, batches(), sink);
}

async function writeJsonl(
  store: ObjectStore,
  files: readonly CombineSource[],
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<number> {
  const encoder = new TextEncoder();
  let rows = 0;
  for (const file of files) {
    for await (const batch of sourceBatches(store, file)) {
      const columns = batch.schema.columns;
      const lines: string[] = [];
      for (let r = 0; r < batch.numRows; r++) {
        const row: Record<string, CellValue> = {};
        columns.forEach((c, i) => {
          const v = batch.columns[i]?.[r] ?? null;
          row[c.name] = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
        });
        // Assigned last: in a combined file the trace fields describe this training set's sources.
        row._source_file_id = file.traceId;
        row._dataset_version = file.version;
        lines.push(JSON.stringify(row));
      }
      rows += batch.numRows;
      if (lines.length > 0) await sink(encoder.encode(`${lines.join('\n')}\n`));
    }
  }
  return rows;
}
