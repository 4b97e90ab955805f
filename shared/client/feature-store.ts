/**
 * The feature store from TypeScript: `createFeatureStore({apiUrl, apiKey})` registers and reads feature
 * versions over the HTTP API, with the request and answer shapes of the routes (shared/http/schemas.ts and
 * responses.ts).
 *
 * Data goes in as an Arrow table, row objects or a column map (typed by arrow.ts, as the pipeline types a
 * JSON file, and sent with those types so a float column of whole numbers stays float), and comes out as
 * a column map or an Arrow table. A version registered without a timestamp column is a static table: read
 * whole with `getFeature`, looked up online by its entity key when it has one, never joined point in time
 * (`FeatureNotServableError`).
 */
import type { Table } from 'apache-arrow';
import type { z } from 'zod';
import { applyNormalization, type NormalizationParams } from '../domain/features/normalize.js';
import type { CellValue, ColumnType } from '../domain/table.js';
import { batchFromRows, rowsOf } from '../domain/table.js';
import type {
  featureFilesResponse,
  featurePageResponse,
  featureVersionResponse,
  historicalFeaturesResponse,
  onlineFeaturesResponse,
  registeredFeatureResponse,
} from '../http/responses.js';
import type { getFeaturesQuery, onlineFeaturesBody, registerFeatureBody } from '../http/schemas.js';
import { arrowTableFrom, recordBatchOf, type TableInput, toArrowTable } from './arrow.js';
import { ApiError, type ClientConfig, createHttpClient } from './http.js';

/** What `register` sends (`POST /features/{name}/versions`), but inline data may be any table input. */
export type RegisterFeatureInput = Omit<z.input<typeof registerFeatureBody>, 'source'> & {
  source: { dataset: string; version?: number } | { inline: TableInput };
};

export type FeatureVersion = z.infer<typeof featureVersionResponse>;
export type RegisteredFeature = z.infer<typeof registeredFeatureResponse>;
export type FeaturePage = z.infer<typeof featurePageResponse>;
export type FeatureFiles = z.infer<typeof featureFilesResponse>;
export type FeatureSplit = NonNullable<z.input<typeof getFeaturesQuery>['split']>;
export type EntityKey = z.input<typeof onlineFeaturesBody>['entity_keys'][number];
export type OnlineResult = z.infer<typeof onlineFeaturesResponse>;
export type HistoricalResult = z.infer<typeof historicalFeaturesResponse>;

/** `registerFeature`'s options: the registration body's fields besides the data and the version. */
export interface RegisterFeatureOptions {
  /** The column (or columns) naming an entity; online lookups need one. */
  entity?: string | string[];
  /** The rows' event time; without one the version is a static table. */
  timestampColumn?: string;
  description?: string;
  metadata?: Record<string, string>;
  tags?: string[];
  transform?: RegisterFeatureInput['transform'];
  split?: RegisterFeatureInput['split'];
  normalization?: RegisterFeatureInput['normalization'];
}

export interface GetFeatureOptions {
  /** Default: the latest version. */
  version?: string;
  /** One split of a split version; default every split, in order (train, validation, test). */
  split?: FeatureSplit;
  /** `columns` (default): `{column: values[]}`, timestamps as epoch ms; `arrow`: an Arrow table. */
  as?: 'columns' | 'arrow';
}

export interface FeatureColumns {
  /** Every column of the version (entity keys and timestamp included), in its schema's order. */
  features: Record<string, CellValue[]>;
  version: string;
  /** The version's record: description, entity keys, timestamp column, source, schema, createdAt, … */
  metadata: FeatureVersion;
}

export interface FeatureArrow {
  features: Table;
  version: string;
  metadata: FeatureVersion;
}

/** Rows of `getFeature`'s first request, and the most the route gives per request. */
const FIRST_PAGE_ROWS = 1000;
const MAX_PAGE_ROWS = 5000;
/**
 * JSON bytes `getFeature` asks for per request: half of what a Lambda answer may hold (6 MB), so a wide
 * version's pages stay well inside it (rows per page follow from the first page's bytes per row).
 */
const PAGE_BYTES = 3_000_000;

function nextPageRows(rows: ReadonlyArray<Record<string, CellValue>>): number {
  if (rows.length === 0) return MAX_PAGE_ROWS;
  const perRow = JSON.stringify(rows).length / rows.length;
  return Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_BYTES / perRow)));
}

/** The error name the API answers (422) when a version cannot be served the way it was asked for. */
export const FEATURE_NOT_SERVABLE = 'FeatureNotServableError';

/**
 * True for the API's 422 `FeatureNotServableError`: online lookup of a version without an entity key, or
 * a point-in-time join of a static table.
 */
export function isFeatureNotServable(error: unknown): error is ApiError {
  return error instanceof ApiError && error.errorName === FEATURE_NOT_SERVABLE;
}

/**
 * Inline data as the route takes it: the columns' values as JSON cells and their types (an Arrow table's
 * own, or inferred from rows and column maps), so what the server stores is what the caller held.
 */
function inlineSource(data: TableInput): {
  inline: Record<string, CellValue[]>;
  types: Record<string, ColumnType>;
} {
  const batch = recordBatchOf(toArrowTable(data));
  const inline: Record<string, CellValue[]> = {};
  const types: Record<string, ColumnType> = {};
  batch.schema.columns.forEach((c, i) => {
    inline[c.name] = batch.columns[i] ?? [];
    types[c.name] = c.type;
  });
  return { inline, types };
}

export function createFeatureStore(config: ClientConfig) {
  const http = createHttpClient(config);
  const path = (name: string) => `/features/${encodeURIComponent(name)}`;

  function register(name: string, input: RegisterFeatureInput) {
    const source = 'inline' in input.source ? inlineSource(input.source.inline) : input.source;
    return http.request<RegisteredFeature>('POST', `${path(name)}/versions`, {
      body: { ...input, source },
    });
  }

  /** A page of rows (`cursor` from the previous page's `nextCursor`). */
  function get(
    name: string,
    query: { version?: string; split?: FeatureSplit; limit?: number; cursor?: string } = {},
  ) {
    return http.request<FeaturePage>('GET', path(name), { query: { ...query, format: 'json' } });
  }

  async function readColumns(name: string, options: GetFeatureOptions): Promise<FeatureColumns> {
    let page = await get(name, {
      limit: FIRST_PAGE_ROWS,
      ...(options.version && { version: options.version }),
      ...(options.split && { split: options.split }),
    });
    const { version, metadata } = page;
    const names = metadata.schema.columns.map((c) => c.name);
    const features: Record<string, CellValue[]> = Object.fromEntries(names.map((n) => [n, []]));
    const limit = nextPageRows(page.features);
    for (;;) {
      for (const row of page.features) for (const n of names) features[n]?.push(row[n] ?? null);
      if (page.nextCursor === undefined) break;
      // Pinned to the first page's version: a version registered meanwhile never mixes into the read.
      page = await get(name, {
        limit,
        version,
        cursor: page.nextCursor,
        ...(options.split && { split: options.split }),
      });
    }
    return { features, version, metadata };
  }

  return {
    register,

    /**
     * Registers `data` (an Arrow table, row objects or `{column: values[]}`) as a version of `name`:
     * `registerFeature('ticket_features', {ticket_id, priority, category}, '1.0.0')` makes a static table;
     * `{entity: 'ticket_id'}` makes it servable online by that key; `{entity, timestampColumn}` a time
     * series (latest per entity online, point-in-time joins offline). Without a version string the options
     * may come third (`version` among them, or the next minor of the latest).
     */
    registerFeature(
      name: string,
      data: TableInput,
      versionOrOptions?: string | (RegisterFeatureOptions & { version?: string }),
      moreOptions: RegisterFeatureOptions = {},
    ) {
      const { version, ...options } =
        typeof versionOrOptions === 'object'
          ? versionOrOptions
          : { version: versionOrOptions, ...moreOptions };
      const entity = options.entity === undefined ? [] : [options.entity].flat();
      return register(name, {
        ...(version !== undefined && { version }),
        source: { inline: data },
        entity_keys: entity,
        ...(options.timestampColumn !== undefined && { timestamp_column: options.timestampColumn }),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.metadata && { metadata: options.metadata }),
        ...(options.tags && { tags: options.tags }),
        ...(options.transform && { transform: options.transform }),
        ...(options.split && { split: options.split }),
        ...(options.normalization && { normalization: options.normalization }),
      });
    },

    /**
     * Every row of a version (or of one split) with its record: `{features: {column: values[]}, version,
     * metadata}`, or with `as: 'arrow'` the rows as an Arrow table of the version's column types.
     */
    getFeature: (async (name: string, options: GetFeatureOptions = {}) => {
      const read = await readColumns(name, options);
      if (options.as !== 'arrow') return read;
      const { schema } = read.metadata;
      const batch = {
        schema,
        numRows: read.features[schema.columns[0]?.name ?? '']?.length ?? 0,
        columns: schema.columns.map((c) => read.features[c.name] ?? []),
      };
      return { ...read, features: arrowTableFrom(schema, [batch]) };
    }) as {
      (name: string, options: GetFeatureOptions & { as: 'arrow' }): Promise<FeatureArrow>;
      (name: string, options?: GetFeatureOptions & { as?: 'columns' }): Promise<FeatureColumns>;
    },

    get,
    /** Presigned Parquet URLs of the version's files (one per split). */
    files(name: string, query: { version?: string; split?: FeatureSplit } = {}) {
      return http.request<FeatureFiles>('GET', path(name), { query: { ...query, format: 'parquet' } });
    },
    /** Latest values per entity; a version without an entity key answers 422 `FeatureNotServableError`. */
    online(featureRefs: string[], entityKeys: EntityKey[]) {
      return http.request<OnlineResult>('POST', '/features/online', {
        body: { feature_refs: featureRefs, entity_keys: entityKeys },
      });
    },
    /** Point-in-time join; a static table (no timestamp column) answers 422 `FeatureNotServableError`. */
    historical(
      featureRefs: string[],
      entityRows: Array<Record<string, string | number | null>>,
      timestampField = 'timestamp',
    ) {
      return http.request<HistoricalResult>('POST', '/features/historical', {
        body: { feature_refs: featureRefs, entity_rows: entityRows, timestamp_field: timestampField },
      });
    },
  };
}

export type FeatureStoreClient = ReturnType<typeof createFeatureStore>;

/**
 * Applies a feature version's stored normalization to raw rows at inference, exactly as registration
 * applied it to the training data (fitted on the training split, never refitted).
 */
export function normalizeRows(
  rows: ReadonlyArray<Record<string, CellValue>>,
  params: NormalizationParams,
): Array<Record<string, CellValue>> {
  const names = Object.keys(params.columns);
  const schema = {
    columns: [...new Set([...names, ...rows.flatMap((r) => Object.keys(r))])].map((name) => ({
      name,
      type: names.includes(name) ? ('float' as const) : ('string' as const),
      nullable: true,
    })),
  };
  const table = batchFromRows(schema, rows);
  const normalized = applyNormalization(table, params);
  return rowsOf(normalized);
}
