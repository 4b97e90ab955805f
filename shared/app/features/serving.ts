/**
 * Serving registered feature versions: offline (a page of rows, or presigned Parquet), online (the latest
 * values per entity) and point in time (each entity row joined to the values as of its timestamp). A
 * static table (no timestamp column) is served offline, online only by its entity key, never point in
 * time (FeatureNotServableError, 422).
 */
import {
  buildTimelines,
  checkFeatureName,
  checkServableOnline,
  checkServablePointInTime,
  type EntityTimeline,
  entityKeyOf,
  type FeatureFileRef,
  type FeatureRef,
  type FeatureVersionRecord,
  rowAsOf,
} from '../../domain/feature-store.js';
import type { CellValue, RecordBatch } from '../../domain/table.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { openParquet } from '../../formats/parquet.js';
import type { OnlineFeatureItem, OnlineFeatureSet } from '../../ports.js';
import { readTable } from '../io/in-memory-tables.js';
import { describeFeatureVersion, type FeatureStoreDeps } from './registration.js';

const URL_TTL_SECONDS = 900;

/** The version a reference names, or the latest one. */
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

// ---------------------------------------------------------------------------------------------------
// Offline reads

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
  const metadata = describeFeatureVersion(record);
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

/** The online values a version's record points at: those of its content. */
function onlineSetOf(record: FeatureVersionRecord): OnlineFeatureSet {
  const { tenant, name, version } = record;
  return { tenant, name, version, contentHash: record.onlineByContent ? record.contentHash : undefined };
}

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
  for (const record of records) checkServableOnline(record);
  const found = await Promise.all(
    records.map(async (record) => {
      const keys = entities.map((e) => entityKeyFor(e, record.entityKeys));
      return { record, keys, items: await deps.online.lookup(onlineSetOf(record), keys) };
    }),
  );
  const results = entities.map((entity, i) => {
    const features: Record<string, CellValue> = {};
    const eventTimes: Record<string, string | null> = {};
    let any = false;
    for (const { record, keys, items } of found) {
      const item: OnlineFeatureItem | undefined = items.get(keys[i] ?? '');
      any ||= item !== undefined;
      for (const f of record.features) features[`${record.name}.${f}`] = item?.values[f] ?? null;
      // A static table's values have no event time (what is stored is when they were registered).
      eventTimes[record.name] =
        item && record.timestampColumn !== undefined ? new Date(item.eventTime).toISOString() : null;
    }
    return {
      entity_key: entity,
      found: any,
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
  const records = (await Promise.all(refs.map((ref) => resolve(deps, tenant, ref)))).map((record) => {
    checkServablePointInTime(record);
    return record;
  });
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
