/**
 * The feature store from TypeScript: `createFeatureStore({apiUrl, apiKey})` registers and reads feature
 * versions over the HTTP API, with the request and answer shapes of the routes.
 */
import type { FeatureVersionRecord } from '../domain/feature-store.js';
import { applyNormalization, type NormalizationParams } from '../domain/features/normalize.js';
import type { CellValue } from '../domain/table.js';
import { batchFromRows, rowsOf } from '../domain/table.js';
import { type ClientConfig, createHttpClient } from './http.js';

export interface RegisterFeatureInput {
  version?: string;
  description?: string;
  metadata?: Record<string, string>;
  tags?: string[];
  source: { dataset: string; version?: number } | { inline: Record<string, CellValue[]> };
  entity_keys: string[];
  timestamp_column: string;
  transform?: Record<string, unknown>;
  split?: { train: number; validation: number; test: number; seed?: number; time_ordered?: boolean };
  normalization?: {
    method: 'zscore' | 'minmax' | 'robust' | 'none';
    columns?: string[];
    exclude?: string[];
    per_column?: Record<string, 'zscore' | 'minmax' | 'robust' | 'none'>;
  };
}

export type FeatureVersion = Omit<FeatureVersionRecord, 'tenant'>;

export interface FeaturePage {
  version: string;
  metadata: FeatureVersion;
  features: Array<Record<string, CellValue>>;
  nextCursor?: string;
}

export interface FeatureFiles {
  version: string;
  metadata: FeatureVersion;
  files: Array<{ split: string; rows: number; sha256: string; url: string }>;
  expiresInSeconds: number;
}

export type EntityKey = string | number | Array<string | number> | Record<string, string | number>;

export interface OnlineResult {
  versions: Record<string, string>;
  results: Array<{
    entity_key: EntityKey;
    found: boolean;
    features: Record<string, CellValue>;
    event_times: Record<string, string | null>;
  }>;
}

export interface HistoricalResult {
  versions: Record<string, string>;
  rows: Array<Record<string, CellValue>>;
}

export function createFeatureStore(config: ClientConfig) {
  const http = createHttpClient(config);
  const path = (name: string) => `/features/${encodeURIComponent(name)}`;
  return {
    register(name: string, input: RegisterFeatureInput) {
      return http.request<FeatureVersion & { created: boolean }>('POST', `${path(name)}/versions`, {
        body: input,
      });
    },
    /** A page of rows (`cursor` from the previous page's `nextCursor`). */
    get(name: string, query: { version?: string; split?: string; limit?: number; cursor?: string } = {}) {
      return http.request<FeaturePage>('GET', path(name), { query: { ...query, format: 'json' } });
    },
    /** Presigned Parquet URLs of the version's files (one per split). */
    files(name: string, query: { version?: string; split?: string } = {}) {
      return http.request<FeatureFiles>('GET', path(name), { query: { ...query, format: 'parquet' } });
    },
    online(featureRefs: string[], entityKeys: EntityKey[]) {
      return http.request<OnlineResult>('POST', '/features/online', {
        body: { feature_refs: featureRefs, entity_keys: entityKeys },
      });
    },
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
