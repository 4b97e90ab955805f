/**
 * Registering a feature version: from a dataset version or inline columns, optionally engineered by a
 * spec, split and normalized, written offline (Parquet) and online (latest values per entity). Without a
 * timestamp column the version is a static table: written offline as it is, and online by its entity
 * key when it names one (one row per entity), never engineered by a spec (whose transforms run in time).
 *
 * Registration runs synchronously behind the API, so it is bounded (`MAX_REGISTER_ROWS`); everything it
 * writes is keyed by content (offline files and online values alike), so a retry or a concurrent
 * registration never overwrites what a stored version points at.
 */
import {
  checkFeatureColumns,
  checkFeatureName,
  type FeatureFileRef,
  type FeatureVersionRecord,
  type LatestRow,
  latestPerEntity,
  nextVersion,
  parseSemver,
  rowPerEntity,
  withDeclaredTypes,
} from '../../domain/feature-store.js';
import {
  applyNormalization,
  fitNormalization,
  type NormalizationSpec,
} from '../../domain/features/normalize.js';
import { applyFeatureSpec, featureSpecSchema } from '../../domain/features/spec.js';
import { type SplitRatios, splitRows, takeRows } from '../../domain/features/split.js';
import { sha256Hex } from '../../domain/hashing.js';
import { node } from '../../domain/lineage.js';
import { featureFileKey } from '../../domain/object-key.js';
import type { CellValue, ColumnType, RecordBatch } from '../../domain/table.js';
import { ConflictError, InvalidInputError, NotFoundError, TableTooLargeError } from '../../errors.js';
import type {
  Clock,
  DatasetTables,
  FeatureRegistry,
  Logger,
  ObjectStore,
  OnlineFeatureSet,
  OnlineFeatureStore,
  VersionStore,
} from '../../ports.js';
import { parseWith } from '../../schemas/parse.js';
import { inlineTable, parquetBytes } from '../io/in-memory-tables.js';
import { versionTableFiles } from '../io/table-files.js';
import { scanTable } from '../io/table-sample.js';

export interface FeatureStoreDeps {
  registry: FeatureRegistry;
  online: OnlineFeatureStore;
  versions: Pick<VersionStore, 'getVersion'>;
  datasets: {
    getDataset(tenant: string, dataset: string): Promise<{ currentVersion?: number | undefined } | undefined>;
  };
  store: ObjectStore;
  /** The datasets' Delta tables: a dataset source is its table at the version's Delta version. */
  tables: DatasetTables;
  /** Rows a registration from a dataset reads at most (default MAX_REGISTER_ROWS). */
  maxRegisterRows?: number | undefined;
  clock: Clock;
  logger: Logger;
}

/** Rows a synchronous registration takes: about what one API Lambda transforms and writes in 25 s. */
export const MAX_REGISTER_ROWS = 1_000_000;

export interface RegisterFeatureRequest {
  version?: string | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
  tags?: string[] | undefined;
  source:
    | { dataset: string; version?: number | undefined }
    | {
        inline: Record<string, CellValue[]>;
        /** Declared types of inline columns (others are inferred from their values). */
        types?: Record<string, ColumnType> | undefined;
      };
  /** Empty only for a static table (no timestamp column), which is then served offline only. */
  entityKeys: string[];
  /** Absent: a static table (no point-in-time joins; online values are its rows, by entity key). */
  timestampColumn?: string | undefined;
  /** A feature spec without entity keys and timestamp column (the request's own are used). */
  transform?: Record<string, unknown> | undefined;
  split?: (SplitRatios & { seed?: number | undefined; timeOrdered?: boolean | undefined }) | undefined;
  normalization?: NormalizationSpec | undefined;
}

/**
 * Every row of the dataset's table at the version's Delta version (all its data files, in the table's
 * columns), in memory. The row count comes from the files' statistics first, so a table over the limit is
 * refused before a byte of data is read.
 */
async function readVersionTable(
  deps: Pick<FeatureStoreDeps, 'store' | 'tables'>,
  record: Parameters<typeof versionTableFiles>[1],
  limit: number,
): Promise<RecordBatch> {
  const at = await versionTableFiles(deps, record);
  const known = at.files.reduce((sum, f) => sum + (f.stats?.numRecords ?? 0), 0);
  const tooLarge = (rows: number) =>
    new TableTooLargeError(
      `version ${record.version} of dataset "${record.dataset}" has ${rows} rows in its table ` +
        `(${at.files.length} data files at Delta version ${at.deltaVersion ?? 'staged'}), more than a ` +
        `synchronous registration takes (${limit}); register from a smaller (filtered) dataset version`,
      rows,
      limit,
    );
  if (known > limit) throw tooLarge(known);
  const columns = at.schema.columns.map((): CellValue[] => []);
  const read = await scanTable(deps.store, at, {}, (batch) => {
    // A file without statistics is counted as it is read: the limit holds either way.
    if (columns[0] !== undefined && columns[0].length + batch.numRows > limit) {
      throw tooLarge(columns[0].length + batch.numRows);
    }
    batch.columns.forEach((cells, i) => {
      const target = columns[i];
      if (target) for (let r = 0; r < batch.numRows; r++) target.push(cells[r] ?? null);
    });
  });
  return { schema: at.schema, numRows: read.rowsRead, columns };
}

/** DynamoDB stores no NaN or Infinity: a value a transform could not compute is served as null. */
function servable(values: Record<string, CellValue>): Record<string, CellValue> {
  const out: Record<string, CellValue> = {};
  for (const [k, v] of Object.entries(values))
    out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out;
}

/** What only a time series can take: a spec's transforms and a split in time order both run in time. */
function checkStaticRequest(request: RegisterFeatureRequest) {
  if (request.timestampColumn !== undefined) return;
  if (request.transform) {
    throw new InvalidInputError(
      "a transform runs over each entity's rows in time order: name timestamp_column, or register the static table without one",
    );
  }
  if (request.split?.timeOrdered === true) {
    throw new InvalidInputError(
      'split.time_ordered needs a timestamp column; a static table splits by a seeded shuffle',
    );
  }
}

export async function registerFeatureVersion(
  deps: FeatureStoreDeps,
  tenant: string,
  name: string,
  request: RegisterFeatureRequest,
) {
  checkFeatureName(name);
  const latest = await deps.registry.latestFeatureVersion(tenant, name);
  const version = request.version ?? nextVersion(latest?.version);
  parseSemver(version);

  checkStaticRequest(request);
  const timestampColumn = request.timestampColumn;

  let source: FeatureVersionRecord['source'];
  let table: RecordBatch;
  if ('inline' in request.source) {
    // '' names no column (inline column names are non-empty): a static table's columns keep their types.
    const { inline, types } = request.source;
    table = inlineTable(inline, timestampColumn ?? '');
    if (types) table = withDeclaredTypes(table, types, timestampColumn);
    source = { kind: 'inline', sha256: sha256Hex(JSON.stringify(types ? { inline, types } : inline)) };
  } else {
    const dataset = request.source.dataset;
    const number =
      request.source.version ?? (await deps.datasets.getDataset(tenant, dataset))?.currentVersion;
    if (number === undefined) throw new NotFoundError(`dataset "${dataset}" has no current version`);
    const record = await deps.versions.getVersion(tenant, dataset, number);
    // Features are served for training: only versions that passed the gates (or a person promoted).
    if (record?.status !== 'READY') {
      throw new NotFoundError(`version ${number} of dataset "${dataset}" is not a READY version`);
    }
    table = await readVersionTable(deps, record, deps.maxRegisterRows ?? MAX_REGISTER_ROWS);
    source = { kind: 'dataset', dataset, version: number };
  }
  checkFeatureColumns(table.schema, request.entityKeys, timestampColumn);
  if (request.transform && timestampColumn !== undefined) {
    const spec = parseWith(
      featureSpecSchema,
      { ...request.transform, entityKeys: request.entityKeys, timestampColumn },
      'transform',
    );
    table = applyFeatureSpec(table, spec);
  }

  // Split first: normalization is fitted on the training rows only, then applied to every split.
  const timeOrdered = request.split?.timeOrdered ?? timestampColumn !== undefined;
  const split = request.split
    ? splitRows(table, {
        ratios: {
          train: request.split.train,
          validation: request.split.validation,
          test: request.split.test,
        },
        ...(timeOrdered && timestampColumn !== undefined && { timeColumn: timestampColumn }),
        ...(request.split.seed !== undefined && { seed: request.split.seed }),
      })
    : undefined;
  const normalization = request.normalization
    ? fitNormalization(split ? takeRows(table, split.train) : table, {
        ...request.normalization,
        exclude: [
          ...(request.normalization.exclude ?? []),
          ...request.entityKeys,
          ...(timestampColumn === undefined ? [] : [timestampColumn]),
        ],
      })
    : undefined;
  if (normalization) table = applyNormalization(table, normalization);

  const features = table.schema.columns
    .map((c) => c.name)
    .filter((c) => c !== timestampColumn && !request.entityKeys.includes(c));
  const createdAt = deps.clock.now();
  // Checked before anything is written: a keyed static table with a key on two rows is refused here.
  const latestRows: LatestRow[] =
    timestampColumn !== undefined
      ? latestPerEntity(table, request.entityKeys, timestampColumn, features)
      : request.entityKeys.length > 0
        ? // A static table's values hold from their registration on: that is the event time stored.
          rowPerEntity(table, request.entityKeys, features).map((r) => ({
            ...r,
            eventTime: createdAt.getTime(),
          }))
        : [];

  const parts: Array<{ split: FeatureFileRef['split']; table: RecordBatch }> = split
    ? (['train', 'validation', 'test'] as const).map((s) => ({ split: s, table: takeRows(table, split[s]) }))
    : [{ split: 'all', table }];
  const encoded = await Promise.all(
    parts.map(async (p) => {
      const bytes = await parquetBytes(p.table);
      return { ...p, bytes, sha256: sha256Hex(bytes) };
    }),
  );
  const contentHash = sha256Hex(encoded.map((e) => `${e.split}:${e.sha256}`).join('\n'));

  const existing = await deps.registry.getFeatureVersion(tenant, name, version);
  if (existing && existing.contentHash !== contentHash) {
    throw new ConflictError(`feature ${name}@${version} exists with other content; register a new version`);
  }
  // Content-addressed keys: a concurrent registration of other content can never replace these files.
  const files: FeatureFileRef[] = [];
  for (const e of encoded) {
    const key = featureFileKey(tenant, name, version, contentHash, e.split);
    if (!existing) {
      await deps.store.write(
        key,
        (async function* () {
          yield e.bytes;
        })(),
        { contentType: 'application/vnd.apache.parquet' },
      );
    }
    files.push({ split: e.split, key, rows: e.table.numRows, sha256: e.sha256 });
  }

  // Online values are written before the registry's record (a version that is listed is one whose online
  // values exist), so two registrations of one version with different content can both write them before
  // the record's conditional create picks a winner. Each content therefore writes its own set (keyed by
  // version and content hash) and reads follow the record's hash: the loser's values can never be served,
  // nor overwrite the winner's, whatever the interleaving, and the loser deletes them. The alternative, a
  // PENDING record claimed first and then marked READY, would need every reader to skip PENDING records and
  // leave a version blocked by a registration that died between the two; content keys keep a retry (same
  // content, same items) and a crash (unreachable leftovers) harmless without either.
  const online: OnlineFeatureSet = { tenant, name, version, contentHash };
  if (!existing && latestRows.length > 0) {
    await deps.online.materialize(
      online,
      latestRows.map((r) => ({ ...r, values: servable(r.values) })),
    );
  }
  const record: FeatureVersionRecord = {
    tenant,
    name,
    version,
    ...(request.description !== undefined && { description: request.description }),
    metadata: request.metadata ?? {},
    tags: request.tags ?? [],
    entityKeys: request.entityKeys,
    ...(timestampColumn !== undefined && { timestampColumn }),
    features,
    schema: table.schema,
    rowCount: table.numRows,
    entityCount: latestRows.length,
    files,
    source,
    ...(request.transform && { transform: request.transform }),
    ...(normalization && { normalization }),
    ...(request.split && {
      split: {
        ratios: {
          train: request.split.train,
          validation: request.split.validation,
          test: request.split.test,
        },
        timeOrdered,
        ...(request.split.seed !== undefined && { seed: request.split.seed }),
      },
    }),
    contentHash,
    onlineByContent: true,
    createdAt: createdAt.toISOString(),
  };
  const edges =
    source.kind === 'dataset'
      ? [
          {
            from: node.datasetVersion(tenant, source.dataset, source.version),
            to: node.featureVersion(tenant, name, version),
            type: 'derived_from' as const,
          },
        ]
      : [];
  const put = await deps.registry.putFeatureVersion(record, edges);
  if (!put.created && put.record.contentHash !== contentHash) {
    await discardOnline(deps, online, latestRows);
    throw new ConflictError(`feature ${name}@${version} was registered concurrently with other content`);
  }
  deps.logger.info('feature version registered', {
    tenant,
    name,
    version,
    created: put.created,
    rows: record.rowCount,
    entities: record.entityCount,
  });
  return { ...describeFeatureVersion(put.record), created: put.created };
}

/**
 * The online values a losing registration wrote. No reader can reach them (reads follow the winner's
 * content hash), so a failure here only leaves storage behind: it is logged, and the answer is the 409.
 */
async function discardOnline(
  deps: Pick<FeatureStoreDeps, 'online' | 'logger'>,
  set: OnlineFeatureSet,
  rows: ReadonlyArray<{ entityKey: string }>,
) {
  try {
    await deps.online.discard(
      set,
      rows.map((r) => r.entityKey),
    );
  } catch (error) {
    deps.logger.error('online values of a losing registration were not discarded', {
      name: set.name,
      version: set.version,
      contentHash: set.contentHash,
      entities: rows.length,
      error,
    });
  }
}

/** What callers see of a version: everything but the tenant and how its online values are stored. */
export function describeFeatureVersion(record: FeatureVersionRecord) {
  const { tenant: _tenant, onlineByContent: _online, ...rest } = record;
  return rest;
}
