/**
 * The feature store's use cases: register a feature version (from a dataset version or inline columns,
 * optionally engineered by a spec, split and normalized), read it back offline (rows or presigned
 * Parquet), look up the latest values per entity online, and join features to entity rows point in time.
 *
 * Registration runs synchronously behind the API, so it is bounded (`MAX_REGISTER_ROWS`); everything it
 * writes is keyed by content (offline files and online values alike), so a retry or a concurrent
 * registration never overwrites what a stored version points at.
 */
import {
  buildTimelines,
  checkFeatureName,
  type EntityTimeline,
  entityKeyOf,
  type FeatureFileRef,
  type FeatureRef,
  type FeatureVersionRecord,
  latestPerEntity,
  nextVersion,
  parseSemver,
  rowAsOf,
} from '../domain/feature-store.js';
import {
  applyNormalization,
  fitNormalization,
  type NormalizationSpec,
} from '../domain/features/normalize.js';
import { applyFeatureSpec, featureSpecSchema } from '../domain/features/spec.js';
import { type SplitRatios, splitRows, takeRows } from '../domain/features/split.js';
import { sha256Hex } from '../domain/hashing.js';
import { node } from '../domain/lineage.js';
import type { CellValue, RecordBatch } from '../domain/table.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { openParquet } from '../formats/parquet.js';
import type {
  Clock,
  FeatureRegistry,
  Logger,
  ObjectStore,
  OnlineFeatureItem,
  OnlineFeatureSet,
  OnlineFeatureStore,
  VersionStore,
} from '../ports.js';
import { parseWith } from '../schemas/parse.js';
import { inlineTable, parquetBytes, readTable } from './tables.js';

export interface FeatureStoreDeps {
  registry: FeatureRegistry;
  online: OnlineFeatureStore;
  versions: Pick<VersionStore, 'getVersion'>;
  datasets: {
    getDataset(tenant: string, dataset: string): Promise<{ currentVersion?: number | undefined } | undefined>;
  };
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

/** Rows a synchronous registration takes: about what one API Lambda transforms and writes in 25 s. */
export const MAX_REGISTER_ROWS = 1_000_000;
const URL_TTL_SECONDS = 900;

export interface RegisterFeatureRequest {
  version?: string | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
  tags?: string[] | undefined;
  source: { dataset: string; version?: number | undefined } | { inline: Record<string, CellValue[]> };
  entityKeys: string[];
  timestampColumn: string;
  /** A feature spec without entity keys and timestamp column (the request's own are used). */
  transform?: Record<string, unknown> | undefined;
  split?: (SplitRatios & { seed?: number | undefined; timeOrdered?: boolean | undefined }) | undefined;
  normalization?: NormalizationSpec | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Registration

/** DynamoDB stores no NaN or Infinity: a value a transform could not compute is served as null. */
function servable(values: Record<string, CellValue>): Record<string, CellValue> {
  const out: Record<string, CellValue> = {};
  for (const [k, v] of Object.entries(values))
    out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out;
}

function checkColumns(table: RecordBatch, entityKeys: readonly string[], timestampColumn: string) {
  const byName = new Map(table.schema.columns.map((c) => [c.name, c]));
  if (entityKeys.length === 0) throw new InvalidInputError('name at least one entity key column');
  for (const key of entityKeys) {
    if (!byName.has(key)) throw new InvalidInputError(`entity key column "${key}" is not in the source`);
  }
  const time = byName.get(timestampColumn);
  if (!time) throw new InvalidInputError(`timestamp column "${timestampColumn}" is not in the source`);
  if (time.type !== 'timestamp' && time.type !== 'int' && time.type !== 'float') {
    throw new InvalidInputError(`timestamp column "${timestampColumn}" is ${time.type}, not a time`);
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

  let source: FeatureVersionRecord['source'];
  let table: RecordBatch;
  if ('inline' in request.source) {
    table = inlineTable(request.source.inline, request.timestampColumn);
    source = { kind: 'inline', sha256: sha256Hex(JSON.stringify(request.source.inline)) };
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
    table = await readTable(deps.store, record.snapshotKey, MAX_REGISTER_ROWS);
    source = { kind: 'dataset', dataset, version: number };
  }
  checkColumns(table, request.entityKeys, request.timestampColumn);
  if (request.transform) {
    const spec = parseWith(
      featureSpecSchema,
      { ...request.transform, entityKeys: request.entityKeys, timestampColumn: request.timestampColumn },
      'transform',
    );
    table = applyFeatureSpec(table, spec);
  }

  // Split first: normalization is fitted on the training rows only, then applied to every split.
  const split = request.split
    ? splitRows(table, {
        ratios: {
          train: request.split.train,
          validation: request.split.validation,
          test: request.split.test,
        },
        ...((request.split.timeOrdered ?? true) && { timeColumn: request.timestampColumn }),
        ...(request.split.seed !== undefined && { seed: request.split.seed }),
      })
    : undefined;
  const normalization = request.normalization
    ? fitNormalization(split ? takeRows(table, split.train) : table, {
        ...request.normalization,
        exclude: [...(request.normalization.exclude ?? []), ...request.entityKeys, request.timestampColumn],
      })
    : undefined;
  if (normalization) table = applyNormalization(table, normalization);

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
  const prefix = `features/${tenant}/${name}/${version}/${contentHash.slice(0, 16)}`;
  const files: FeatureFileRef[] = [];
  for (const e of encoded) {
    const key = `${prefix}/${e.split === 'all' ? 'data' : e.split}.parquet`;
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

  const features = table.schema.columns
    .map((c) => c.name)
    .filter((c) => c !== request.timestampColumn && !request.entityKeys.includes(c));
  const latestRows = latestPerEntity(table, request.entityKeys, request.timestampColumn, features);
  // Online values are written before the registry's record (a version that is listed is one whose online
  // values exist), so two registrations of one version with different content can both write them before
  // the record's conditional create picks a winner. Each content therefore writes its own set (keyed by
  // version and content hash) and reads follow the record's hash: the loser's values can never be served,
  // nor overwrite the winner's, whatever the interleaving, and the loser deletes them. The alternative, a
  // PENDING record claimed first and then marked READY, would need every reader to skip PENDING records and
  // leave a version blocked by a registration that died between the two; content keys keep a retry (same
  // content, same items) and a crash (unreachable leftovers) harmless without either.
  const online: OnlineFeatureSet = { tenant, name, version, contentHash };
  if (!existing) {
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
    timestampColumn: request.timestampColumn,
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
        timeOrdered: request.split.timeOrdered ?? true,
        ...(request.split.seed !== undefined && { seed: request.split.seed }),
      },
    }),
    contentHash,
    onlineByContent: true,
    createdAt: deps.clock.now().toISOString(),
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
  return { ...describe(put.record), created: put.created };
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

/** The online values a version's record points at: those of its content. */
function onlineSetOf(record: FeatureVersionRecord): OnlineFeatureSet {
  const { tenant, name, version } = record;
  return { tenant, name, version, contentHash: record.onlineByContent ? record.contentHash : undefined };
}

/** What callers see of a version: everything but the tenant and how its online values are stored. */
function describe(record: FeatureVersionRecord) {
  const { tenant: _tenant, onlineByContent: _online, ...rest } = record;
  return rest;
}

// ---------------------------------------------------------------------------------------------------
// Offline reads

async function resolve(deps: Pick<FeatureStoreDeps, 'registry'>, tenant: string, ref: FeatureRef) {
  checkFeatureName(ref.name);
  const record = ref.version
    ? await deps.registry.getFeatureVersion(tenant, ref.name, ref.version)
    : await deps.registry.latestFeatureVersion(tenant, ref.name);
  if (!record) {
    throw new NotFoundError(`feature "${ref.name}${ref.version ? `@${ref.version}` : ''}" not found`);
  }
  return record;
}

export interface GetFeaturesQuery {
  version?: string | undefined;
  split?: FeatureFileRef['split'] | undefined;
  format: 'json' | 'parquet';
  limit: number;
  cursor?: string | undefined;
}

/** `GET /features/{name}`: `{features, version, metadata}`, a page of rows or presigned Parquet URLs. */
export async function getFeatures(
  deps: Pick<FeatureStoreDeps, 'registry' | 'store'>,
  tenant: string,
  name: string,
  query: GetFeaturesQuery,
) {
  const record = await resolve(deps, tenant, { name, version: query.version });
  const files = query.split ? record.files.filter((f) => f.split === query.split) : record.files;
  if (files.length === 0)
    throw new NotFoundError(`feature ${name}@${record.version} has no "${query.split}" split`);
  const metadata = describe(record);
  if (query.format === 'parquet') {
    const urls = await Promise.all(
      files.map(async (f) => ({
        split: f.split,
        rows: f.rows,
        sha256: f.sha256,
        url: await deps.store.presignGet(
          f.key,
          URL_TTL_SECONDS,
          `${name}-${record.version}-${f.split}.parquet`,
        ),
      })),
    );
    return { version: record.version, metadata, files: urls, expiresInSeconds: URL_TTL_SECONDS };
  }
  // Rows are numbered across the listed files in order; the cursor is the next row number.
  const offset = query.cursor === undefined ? 0 : Number.parseInt(query.cursor, 10);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new InvalidInputError('cursor is not one this route returned');
  const end = offset + query.limit;
  const rows: Record<string, CellValue>[] = [];
  let base = 0;
  for (const f of files) {
    if (base >= end) break;
    if (base + f.rows <= offset) {
      base += f.rows;
      continue;
    }
    const file = await openParquet(await deps.store.openRange({ bucket: deps.store.bucket, key: f.key }));
    let first = base;
    // Only the row groups that overlap the page are fetched.
    const groups = file.rowGroups
      .map((g) => {
        const from = first;
        first += g.numRows;
        return { index: g.index, from, to: from + g.numRows };
      })
      .filter((g) => g.to > offset && g.from < end);
    let i = 0;
    for await (const batch of file.readRowGroups({ rowGroups: groups.map((g) => g.index) })) {
      const from = groups[i++]?.from ?? 0;
      for (let r = 0; r < batch.numRows; r++) {
        if (from + r < offset || from + r >= end) continue;
        const row: Record<string, CellValue> = {};
        batch.schema.columns.forEach((c, k) => {
          row[c.name] = batch.columns[k]?.[r] ?? null;
        });
        rows.push(row);
      }
    }
    base += f.rows;
  }
  const total = files.reduce((s, f) => s + f.rows, 0);
  const next = offset + rows.length;
  return {
    version: record.version,
    metadata,
    features: rows,
    ...(next < total && { nextCursor: String(next) }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Online and point-in-time

export const MAX_ONLINE_KEYS = 100;
export const MAX_HISTORICAL_ROWS = 10_000;

/** An entity as the caller names it: one key value, key values in entity-key order, or an object. */
export type EntityKeyInput = string | number | Array<string | number> | Record<string, string | number>;

function entityKeyFor(input: EntityKeyInput, entityKeys: readonly string[]): string {
  if (typeof input === 'string' || typeof input === 'number') {
    if (entityKeys.length !== 1) {
      throw new InvalidInputError(
        `the feature has a composite key (${entityKeys.join(', ')}): pass an object`,
      );
    }
    return entityKeyOf([input]);
  }
  const values = Array.isArray(input) ? input : entityKeys.map((k) => input[k] ?? null);
  if (values.length !== entityKeys.length || values.some((v) => v === null)) {
    throw new InvalidInputError(`an entity key needs values for ${entityKeys.join(', ')}`);
  }
  return entityKeyOf(values);
}

/** `POST /features/online`: the latest materialized values of each feature for each entity. */
export async function lookupOnline(
  deps: Pick<FeatureStoreDeps, 'registry' | 'online'>,
  tenant: string,
  refs: FeatureRef[],
  entities: EntityKeyInput[],
) {
  if (entities.length > MAX_ONLINE_KEYS) {
    throw new InvalidInputError(`at most ${MAX_ONLINE_KEYS} entity keys per request`);
  }
  const records = await Promise.all(refs.map((ref) => resolve(deps, tenant, ref)));
  const found = await Promise.all(
    records.map(async (record) => {
      const keys = entities.map((e) => entityKeyFor(e, record.entityKeys));
      return { record, keys, items: await deps.online.lookup(onlineSetOf(record), keys) };
    }),
  );
  const results = entities.map((entity, i) => {
    const features: Record<string, CellValue> = {};
    const eventTimes: Record<string, string | null> = {};
    for (const { record, keys, items } of found) {
      const item: OnlineFeatureItem | undefined = items.get(keys[i] ?? '');
      for (const f of record.features) features[`${record.name}.${f}`] = item?.values[f] ?? null;
      eventTimes[record.name] = item ? new Date(item.eventTime).toISOString() : null;
    }
    return {
      entity_key: entity,
      found: Object.values(eventTimes).some((t) => t !== null),
      features,
      event_times: eventTimes,
    };
  });
  return { versions: Object.fromEntries(records.map((r) => [r.name, r.version])), results };
}

/**
 * `POST /features/historical`: for each entity row (keys + a timestamp), each feature's values as of
 * that timestamp: the entity's last row stamped at or before it, never after (no leakage).
 */
export async function historicalFeatures(
  deps: Pick<FeatureStoreDeps, 'registry' | 'store'>,
  tenant: string,
  refs: FeatureRef[],
  entityRows: Array<Record<string, string | number | null>>,
  timestampField: string,
) {
  if (entityRows.length > MAX_HISTORICAL_ROWS) {
    throw new InvalidInputError(`at most ${MAX_HISTORICAL_ROWS} entity rows per request`);
  }
  const records = await Promise.all(refs.map((ref) => resolve(deps, tenant, ref)));
  const sources = await Promise.all(
    records.map(async (record) => {
      const tables = await Promise.all(record.files.map((f) => readTable(deps.store, f.key)));
      return tables.map((table) => ({
        table,
        timelines: buildTimelines(table, record.entityKeys, record.timestampColumn),
      }));
    }),
  );
  const rows = entityRows.map((entityRow) => {
    const raw = entityRow[timestampField];
    const at = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(at)) throw new InvalidInputError(`every entity row needs a "${timestampField}" instant`);
    const out: Record<string, CellValue> = { ...entityRow };
    records.forEach((record, k) => {
      const key = entityKeyFor(entityRow as Record<string, string | number>, record.entityKeys);
      // The latest row as of `at` across the version's files (splits partition the rows).
      let best: { table: RecordBatch; row: number; t: number } | undefined;
      for (const { table, timelines } of sources[k] ?? []) {
        const timeline: EntityTimeline | undefined = timelines.get(key);
        const row = rowAsOf(timeline, at);
        if (row === undefined) continue;
        const timeIndex = table.schema.columns.findIndex((c) => c.name === record.timestampColumn);
        const t = table.columns[timeIndex]?.[row] as number;
        if (!best || t >= best.t) best = { table, row, t };
      }
      for (const f of record.features) {
        const index = best?.table.schema.columns.findIndex((c) => c.name === f) ?? -1;
        out[`${record.name}.${f}`] = best ? (best.table.columns[index]?.[best.row] ?? null) : null;
      }
      out[`${record.name}.event_time`] = best ? new Date(best.t).toISOString() : null;
    });
    return out;
  });
  return { versions: Object.fromEntries(records.map((r) => [r.name, r.version])), rows };
}
