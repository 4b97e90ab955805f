/**
 * Pull connectors: the per-dataset config, watermark rules, the JSON-path subset used to find
 * records in a response, RFC 8288 link-header parsing and the REST pagination state machine. Pure: no I/O,
 * so the rules are tested without a server and reused by every connector Lambda.
 */
import { z } from 'zod';
import { SourceError } from '../errors.js';

/** Secrets are referenced by name (Secrets Manager / SSM); a value never enters the config or the table. */
const secretName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'secret name: letters, digits and /_+=.@- only');

const fieldName = z.string().min(1).max(256);

/** Subset documented on `evaluateJsonPath`. */
const jsonPath = z
  .string()
  .min(1)
  .max(256)
  .refine((p) => parseJsonPath(p) !== undefined, 'unsupported JSON path');

const baseFields = {
  /** Records per Parquet file written to fresh/; bounds Lambda memory. */
  batchSize: z.number().int().min(1).max(100_000).default(1_000),
  /** Field whose max over a written batch becomes the watermark; absent = full pull every run. */
  incrementalField: fieldName.optional(),
};

/** Record sources (database, REST): how their fields become dataset columns. */
const recordFields = {
  /** Source field → dataset column; fields not named keep their name. */
  columnMapping: z.record(fieldName, fieldName).optional(),
  /** Records where one of these (dataset names) is missing or null are dropped and counted as failed. */
  requiredColumns: z.array(fieldName).max(500).default([]),
  /** A batch where any record misses one of these fails the pull: the source changed shape. */
  criticalColumns: z.array(fieldName).max(500).default([]),
};

export const databaseConnectorSchema = z
  .object({
    type: z.literal('database'),
    engine: z.enum(['postgresql', 'mysql']),
    /** Secret holding host, port, user, password, database. */
    secretName,
    table: z.string().min(1).max(256).optional(),
    query: z.string().min(1).max(10_000).optional(),
    ...recordFields,
    ...baseFields,
  })
  .refine((c) => (c.table === undefined) !== (c.query === undefined), {
    message: 'exactly one of table or query',
    path: ['table'],
  });

export const paginationStyles = ['none', 'page', 'offset', 'cursor', 'link'] as const;
export type PaginationStyle = (typeof paginationStyles)[number];

export const paginationSchema = z.discriminatedUnion('style', [
  z.object({ style: z.literal('none') }),
  z.object({
    style: z.literal('page'),
    param: z.string().min(1).max(64).default('page'),
    firstPage: z.number().int().min(0).default(1),
    sizeParam: z.string().min(1).max(64).optional(),
    pageSize: z.number().int().min(1).max(10_000).default(100),
  }),
  z.object({
    style: z.literal('offset'),
    offsetParam: z.string().min(1).max(64).default('offset'),
    limitParam: z.string().min(1).max(64).default('limit'),
    limit: z.number().int().min(1).max(10_000).default(100),
  }),
  z.object({
    style: z.literal('cursor'),
    /** Where the next cursor is in the response body; absent/null/'' = done. */
    cursorPath: jsonPath,
    param: z.string().min(1).max(64).default('cursor'),
  }),
  z.object({ style: z.literal('link') }),
]);
export type Pagination = z.infer<typeof paginationSchema>;

export const restConnectorSchema = z.object({
  type: z.literal('rest'),
  url: z
    .string()
    .url()
    .max(2048)
    .refine((u) => /^https?:\/\//.test(u), 'http(s) only'),
  /** Header name (e.g. Authorization) and the secret whose value is sent in it. */
  auth: z.object({ header: z.string().min(1).max(128), secretName }).optional(),
  pagination: paginationSchema.default({ style: 'none' }),
  /** Where the record array is in a response body; default: the body itself is the array. */
  recordsPath: jsonPath.default('$'),
  /** Max requests per second; spacing is enforced between requests, retries included. */
  rateLimitPerSecond: z.number().positive().max(1_000).default(5),
  maxAttempts: z.number().int().min(1).max(10).default(5),
  /** Pass the current watermark to the server as this query param so it can filter for us. */
  watermarkParam: z.string().min(1).max(64).optional(),
  /** Stop after this many pages even if the server keeps going (protects against a cursor loop). */
  maxPages: z.number().int().min(1).max(100_000).default(10_000),
  ...recordFields,
  ...baseFields,
});

export const s3ConnectorSchema = z.object({
  type: z.literal('s3'),
  bucket: z
    .string()
    .min(3)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'bucket name'),
  prefix: z.string().max(1024).default(''),
  /** S3-compatible endpoint (MinIO, R2, …); absent = AWS. */
  endpoint: z.string().url().max(2048).optional(),
  region: z.string().min(1).max(64).optional(),
  /**
   * Access key pair of the source's owner. Required: a pull that fell back to the function's own role
   * would read with the deployment's permissions instead of the tenant's.
   */
  secretName,
  ...baseFields,
});

export const connectorConfigSchema = z.discriminatedUnion('type', [
  databaseConnectorSchema,
  restConnectorSchema,
  s3ConnectorSchema,
]);
export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
export type RestConnectorConfig = z.infer<typeof restConnectorSchema>;
export type DatabaseConnectorConfig = z.infer<typeof databaseConnectorSchema>;
export type S3ConnectorConfig = z.infer<typeof s3ConnectorSchema>;

// ---------------------------------------------------------------- watermarks

export type Watermark = number | string;

const INTEGER = /^-?\d+$/;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Orders two watermark values. Numbers numerically; two ISO timestamps by instant (so `+02:00` offsets
 * compare correctly, which a string compare would not); otherwise by string code units. Mixed
 * number/string compares numerically when the string is a finite number, else as strings.
 */
export function compareWatermark(a: Watermark, b: Watermark): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    if (ISO_TIMESTAMP.test(a) && ISO_TIMESTAMP.test(b)) {
      const ta = Date.parse(a);
      const tb = Date.parse(b);
      if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
      if (!Number.isNaN(ta) && !Number.isNaN(tb)) return 0;
    }
    // Databases hand exact numerics (bigint, decimal) back as text: "9" is before "10".
    if (INTEGER.test(a) && INTEGER.test(b)) {
      const d = BigInt(a) - BigInt(b);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    }
    if (NUMERIC.test(a) && NUMERIC.test(b)) return Number(a) - Number(b);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** A record's incremental value, or undefined when missing/unusable (such records never move the mark). */
export function watermarkValue(record: unknown, field: string): Watermark | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const v = (record as Record<string, unknown>)[field];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

/** True when the record is strictly newer than the watermark (no watermark = everything is new). */
export function isAfterWatermark(record: unknown, field: string, watermark: Watermark | undefined): boolean {
  if (watermark === undefined) return true;
  const v = watermarkValue(record, field);
  // A record without the field cannot be placed; keeping it would re-pull it every run.
  if (v === undefined) return false;
  return compareWatermark(v, watermark) > 0;
}

/** The max of `incrementalField` over the batch, never moving backwards from `current`. */
export function nextWatermark(
  current: Watermark | undefined,
  records: readonly unknown[],
  incrementalField: string,
): Watermark | undefined {
  let best = current;
  for (const r of records) {
    const v = watermarkValue(r, incrementalField);
    if (v === undefined) continue;
    if (best === undefined || compareWatermark(v, best) > 0) best = v;
  }
  return best;
}

// ---------------------------------------------------------------- JSON path subset

/**
 * Supported subset: an optional leading `$`, then dot-separated property names, each optionally followed
 * by `[*]` (ignored: "the array here") or `[N]` (index). Examples: `$`, `$.data.items`, `data.items[*]`,
 * `results[0].rows`, `meta.next_cursor`. Not supported: filters, recursive descent (`..`), quoted keys,
 * slices. Returns the path as steps, or undefined when outside the subset.
 */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  if (rest.startsWith('.')) rest = rest.slice(1);
  if (rest === '') return [];
  const steps: (string | number)[] = [];
  for (const segment of rest.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)?((?:\[(?:\*|\d+)\])*)$/.exec(segment);
    if (m === null || (m[1] === undefined && m[2] === '')) return undefined;
    if (m[1] !== undefined) steps.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\*|\d+)\]/g)) {
      if (idx[1] !== '*') steps.push(Number(idx[1]));
    }
  }
  return steps;
}

/** Value at `path` in `doc`, or undefined when any step is missing or the path is outside the subset. */
export function evaluateJsonPath(doc: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  if (steps === undefined) return undefined;
  let cur: unknown = doc;
  for (const step of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

// ---------------------------------------------------------------- link header

/**
 * The `rel="next"` target of an RFC 8288 Link header, resolved against `base`. Handles several links in
 * one header, quoted or bare rel, and rel lists (`rel="next last"`). Commas inside `<…>` are respected.
 */
export function parseLinkNext(header: string | null | undefined, base: string): string | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const re = /<([^>]*)>\s*((?:;\s*[^;,]*)*)/g;
  for (const m of header.matchAll(re)) {
    const target = m[1] ?? '';
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) {
      try {
        return new URL(target, base).toString();
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- pagination state machine

/** Where pagination is: the request to make next. */
export interface PageRequest {
  url: string;
  /** 0-based count of pages requested before this one. */
  index: number;
}

/** What the state machine needs from the last response. */
export interface PageResponse {
  body: unknown;
  /** Records found at `recordsPath` (already extracted). */
  recordCount: number;
  linkHeader?: string | null;
}

/** The first request: the base URL with the style's starting params (and the watermark param, if any). */
export function firstPageRequest(
  baseUrl: string,
  pagination: Pagination,
  extraParams: Record<string, string> = {},
): PageRequest {
  const url = new URL(baseUrl);
  for (const [k, v] of Object.entries(extraParams)) url.searchParams.set(k, v);
  switch (pagination.style) {
    case 'page':
      url.searchParams.set(pagination.param, String(pagination.firstPage));
      if (pagination.sizeParam !== undefined)
        url.searchParams.set(pagination.sizeParam, String(pagination.pageSize));
      break;
    case 'offset':
      url.searchParams.set(pagination.offsetParam, '0');
      url.searchParams.set(pagination.limitParam, String(pagination.limit));
      break;
    case 'none':
    case 'cursor':
    case 'link':
      break;
  }
  return { url: url.toString(), index: 0 };
}

/**
 * Given the request just made and its response, the next request or `undefined` (done). Every style stops
 * on an empty page, so a server that never says "last" still terminates; page/offset also stop on a short
 * page when the size is known, which saves one empty round trip.
 */
export function nextPageRequest(
  pagination: Pagination,
  last: PageRequest,
  response: PageResponse,
): PageRequest | undefined {
  if (response.recordCount === 0) return undefined;
  const url = new URL(last.url);
  const index = last.index + 1;
  switch (pagination.style) {
    case 'none':
      return undefined;
    case 'page': {
      if (pagination.sizeParam !== undefined && response.recordCount < pagination.pageSize) return undefined;
      const current = Number(url.searchParams.get(pagination.param) ?? pagination.firstPage);
      url.searchParams.set(pagination.param, String(current + 1));
      return { url: url.toString(), index };
    }
    case 'offset': {
      if (response.recordCount < pagination.limit) return undefined;
      const current = Number(url.searchParams.get(pagination.offsetParam) ?? 0);
      url.searchParams.set(pagination.offsetParam, String(current + response.recordCount));
      return { url: url.toString(), index };
    }
    case 'cursor': {
      const cursor = evaluateJsonPath(response.body, pagination.cursorPath);
      if (cursor === undefined || cursor === null || cursor === '') return undefined;
      if (typeof cursor !== 'string' && typeof cursor !== 'number') return undefined;
      // The same cursor twice would loop forever on a buggy server.
      if (url.searchParams.get(pagination.param) === String(cursor)) return undefined;
      url.searchParams.set(pagination.param, String(cursor));
      return { url: url.toString(), index };
    }
    case 'link': {
      const next = parseLinkNext(response.linkHeader, last.url);
      if (next === undefined || next === last.url) return undefined;
      return { url: next, index };
    }
  }
}

// ---------------------------------------------------------------- the deployment's own buckets

/**
 * Whether an S3 source names one of the deployment's own buckets. Compared by name whatever the endpoint
 * or credentials: bucket names are global in AWS, and a bucket that merely shares a name on another
 * endpoint is not worth the doubt. Tenants' data reaches those buckets only through strata's own paths,
 * each scoped to the caller's tenant; a connector copying from them would bypass that scoping.
 */
export function namesDeploymentBucket(
  source: ConnectorConfig,
  deploymentBuckets: readonly string[],
): boolean {
  if (source.type !== 's3') return false;
  const bucket = source.bucket.toLowerCase();
  return deploymentBuckets.some((b) => b.toLowerCase() === bucket);
}

// ---------------------------------------------------------------- secrets of s3 sources

const s3SecretSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
});
export type S3SourceCredentials = z.infer<typeof s3SecretSchema>;

/**
 * The access key pair of a foreign bucket, stored as JSON `{accessKeyId, secretAccessKey, sessionToken?}`.
 * Throws SourceError without echoing the text (it is a secret).
 */
export function parseS3Secret(text: string): S3SourceCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SourceError('the s3 source secret is not JSON {accessKeyId, secretAccessKey}');
  }
  const parsed = s3SecretSchema.safeParse(json);
  if (!parsed.success) throw new SourceError('the s3 source secret lacks accessKeyId or secretAccessKey');
  return parsed.data;
}

// ---------------------------------------------------------------- secrets in messages

/** Keeps a secret out of a message (servers and drivers sometimes echo a header or connection string). */
export function redact(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text;
  return text.split(secret).join('[REDACTED]');
}
