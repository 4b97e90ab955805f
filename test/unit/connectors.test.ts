import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareWatermark,
  connectorConfigSchema,
  evaluateJsonPath,
  firstPageRequest,
  isAfterWatermark,
  namesDeploymentBucket,
  nextPageRequest,
  nextWatermark,
  paginationSchema,
  parseJsonPath,
  parseLinkNext,
} from '../../shared/domain/connectors.js';

describe('connectorConfigSchema', () => {
  it('accepts a rest connector and fills defaults', () => {
    // Act
    const c = connectorConfigSchema.parse({
      type: 'rest',
      url: 'https://api.example.com/items',
      auth: { header: 'Authorization', secretName: 'strata/demo/api-token' },
      pagination: { style: 'cursor', cursorPath: '$.meta.next' },
      recordsPath: '$.data.items',
      incrementalField: 'updated_at',
    });

    // Assess
    expect(c.type).toBe('rest');
    if (c.type !== 'rest') return;
    expect(c.rateLimitPerSecond).toBe(5);
    expect(c.maxAttempts).toBe(5);
    expect(c.batchSize).toBe(1000);
    expect(c.pagination).toEqual({ style: 'cursor', cursorPath: '$.meta.next', param: 'cursor' });
  });

  it('accepts a database connector with exactly one of table or query', () => {
    // Prepare
    const base = { type: 'database', engine: 'postgresql', secretName: 'db/orders', incrementalField: 'id' };

    // Act / Assess
    expect(connectorConfigSchema.safeParse({ ...base, table: 'orders' }).success).toBe(true);
    expect(connectorConfigSchema.safeParse({ ...base, query: 'select * from orders' }).success).toBe(true);
    expect(connectorConfigSchema.safeParse(base).success).toBe(false);
    expect(connectorConfigSchema.safeParse({ ...base, table: 't', query: 'q' }).success).toBe(false);
  });

  it('accepts an s3 connector with an S3-compatible endpoint', () => {
    // Act
    const r = connectorConfigSchema.safeParse({
      type: 's3',
      bucket: 'other-bucket',
      prefix: 'exports/',
      endpoint: 'http://127.0.0.1:9000',
      secretName: 'minio-keys',
    });

    // Assess
    expect(r.success).toBe(true);
  });

  it("refuses an s3 connector without a secret: a pull never reads with the deployment's own role", () => {
    // Act
    const r = connectorConfigSchema.safeParse({ type: 's3', bucket: 'other-bucket', prefix: 'exports/' });

    // Assess
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['secretName']);
  });

  it("tells an s3 source naming one of the deployment's buckets, whatever the endpoint", () => {
    // Prepare
    const own = ['strata-databucket-1a2b', 'strata-accesslogs-3c4d'];
    const s3 = (bucket: string, endpoint?: string) =>
      connectorConfigSchema.parse({ type: 's3', bucket, secretName: 'k', ...(endpoint && { endpoint }) });

    // Act / Assess
    expect(namesDeploymentBucket(s3('strata-databucket-1a2b'), own)).toBe(true);
    expect(namesDeploymentBucket(s3('strata-accesslogs-3c4d', 'https://other.example'), own)).toBe(true);
    expect(namesDeploymentBucket(s3('partner-exports'), own)).toBe(false);
    expect(
      namesDeploymentBucket(connectorConfigSchema.parse({ type: 'rest', url: 'https://x.example' }), own),
    ).toBe(false);
  });

  it('rejects secret values smuggled in as names, unknown types and out-of-range limits', () => {
    // Act / Assess: a bearer token has a space, which no secret name may contain
    expect(
      connectorConfigSchema.safeParse({
        type: 'rest',
        url: 'https://x.example',
        auth: { header: 'Authorization', secretName: 'Bearer abc' },
      }).success,
    ).toBe(false);
    expect(connectorConfigSchema.safeParse({ type: 'ftp' }).success).toBe(false);
    expect(
      connectorConfigSchema.safeParse({ type: 'rest', url: 'https://x.example', rateLimitPerSecond: 0 })
        .success,
    ).toBe(false);
    expect(connectorConfigSchema.safeParse({ type: 'rest', url: 'ftp://x.example' }).success).toBe(false);
    expect(
      connectorConfigSchema.safeParse({ type: 'rest', url: 'https://x.example', recordsPath: '$..items' })
        .success,
    ).toBe(false);
  });
});

describe('watermarks', () => {
  it('compares numbers numerically, ISO timestamps by instant and other strings lexically', () => {
    // Act / Assess
    expect(compareWatermark(9, 10)).toBeLessThan(0);
    expect(compareWatermark('2024-01-01T10:00:00+02:00', '2024-01-01T09:00:00Z')).toBeLessThan(0);
    expect(compareWatermark('2024-01-01T08:00:00Z', '2024-01-01T10:00:00+02:00')).toBe(0);
    expect(compareWatermark('b', 'a')).toBeGreaterThan(0);
    expect(compareWatermark('10', 9)).toBeGreaterThan(0);
  });

  it('takes the max of the field over the batch and never moves backwards', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer(), { nil: undefined }),
        fc.array(fc.record({ id: fc.integer() })),
        (current, records) => {
          // Act
          const next = nextWatermark(current, records, 'id');

          // Assess
          const all = [...(current === undefined ? [] : [current]), ...records.map((r) => r.id)];
          expect(next).toBe(all.length === 0 ? undefined : Math.max(...all));
        },
      ),
    );
  });

  it('ignores records without a usable incremental value', () => {
    // Act
    const next = nextWatermark(5, [{ id: null }, { other: 9 }, { id: Number.NaN }, { id: 7 }], 'id');

    // Assess
    expect(next).toBe(7);
  });

  it('keeps only records strictly after the watermark', () => {
    // Act / Assess
    expect(isAfterWatermark({ id: 5 }, 'id', 5)).toBe(false);
    expect(isAfterWatermark({ id: 6 }, 'id', 5)).toBe(true);
    expect(isAfterWatermark({ id: 1 }, 'id', undefined)).toBe(true);
    expect(isAfterWatermark({}, 'id', 5)).toBe(false);
  });
});

describe('JSON path subset', () => {
  it('finds records at $.data.items, data.items[*], indexed and root paths', () => {
    // Prepare
    const doc = { data: { items: [{ a: 1 }, { a: 2 }] }, pages: [{ rows: [1] }] };

    // Act / Assess
    expect(evaluateJsonPath(doc, '$.data.items')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(evaluateJsonPath(doc, 'data.items[*]')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(evaluateJsonPath(doc, 'pages[0].rows')).toEqual([1]);
    expect(evaluateJsonPath(doc, '$')).toBe(doc);
    expect(evaluateJsonPath(doc, '$.missing.deeper')).toBeUndefined();
  });

  it('rejects paths outside the subset', () => {
    // Act / Assess
    expect(parseJsonPath('$..items')).toBeUndefined();
    expect(parseJsonPath("$['a']")).toBeUndefined();
    expect(parseJsonPath('$.items[?(@.a)]')).toBeUndefined();
  });
});

describe('parseLinkNext', () => {
  it('finds rel="next" among several links and resolves it against the request URL', () => {
    // Prepare
    const header =
      '<https://api.example.com/items?page=1>; rel="first", </items?page=3>; rel="next", <https://api.example.com/items?page=9>; rel=last';

    // Act
    const next = parseLinkNext(header, 'https://api.example.com/items?page=2');

    // Assess
    expect(next).toBe('https://api.example.com/items?page=3');
  });

  it('accepts bare and multi-valued rel, and returns undefined without next', () => {
    // Act / Assess
    expect(parseLinkNext('<http://h/a?x=1,2>; rel=next', 'http://h/')).toBe('http://h/a?x=1,2');
    expect(parseLinkNext('<http://h/b>; rel="next last"', 'http://h/')).toBe('http://h/b');
    expect(parseLinkNext('<http://h/b>; rel="prev"', 'http://h/')).toBeUndefined();
    expect(parseLinkNext(null, 'http://h/')).toBeUndefined();
  });
});

describe('pagination state machine', () => {
  const base = 'http://h/items';

  it('page style increments the page param and stops on an empty page', () => {
    // Prepare
    const p = paginationSchema.parse({ style: 'page' });
    const first = firstPageRequest(base, p);

    // Act
    const second = nextPageRequest(p, first, { body: [], recordCount: 3 });
    const done = second && nextPageRequest(p, second, { body: [], recordCount: 0 });

    // Assess
    expect(first.url).toBe('http://h/items?page=1');
    expect(second?.url).toBe('http://h/items?page=2');
    expect(done).toBeUndefined();
  });

  it('offset style advances by the records received and stops on a short page', () => {
    // Prepare
    const p = paginationSchema.parse({ style: 'offset', limit: 2 });
    const first = firstPageRequest(base, p, { since: '5' });

    // Act
    const second = nextPageRequest(p, first, { body: [], recordCount: 2 });
    const done = second && nextPageRequest(p, second, { body: [], recordCount: 1 });

    // Assess
    expect(first.url).toBe('http://h/items?since=5&offset=0&limit=2');
    expect(second?.url).toBe('http://h/items?since=5&offset=2&limit=2');
    expect(done).toBeUndefined();
  });

  it('cursor style copies the cursor from the body and stops when it is absent or repeats', () => {
    // Prepare
    const p = paginationSchema.parse({ style: 'cursor', cursorPath: '$.meta.next' });
    const first = firstPageRequest(base, p);

    // Act
    const second = nextPageRequest(p, first, { body: { meta: { next: 'abc' } }, recordCount: 1 });
    const repeat = second && nextPageRequest(p, second, { body: { meta: { next: 'abc' } }, recordCount: 1 });
    const none = second && nextPageRequest(p, second, { body: { meta: { next: null } }, recordCount: 1 });

    // Assess
    expect(second?.url).toBe('http://h/items?cursor=abc');
    expect(repeat).toBeUndefined();
    expect(none).toBeUndefined();
  });

  it('link style follows the next link and stops without one', () => {
    // Prepare
    const p = paginationSchema.parse({ style: 'link' });
    const first = firstPageRequest(base, p);

    // Act
    const second = nextPageRequest(p, first, {
      body: [],
      recordCount: 1,
      linkHeader: '</items?p=2>; rel="next"',
    });
    const done = second && nextPageRequest(p, second, { body: [], recordCount: 1, linkHeader: null });

    // Assess
    expect(second).toEqual({ url: 'http://h/items?p=2', index: 1 });
    expect(done).toBeUndefined();
  });

  it('no pagination makes exactly one request', () => {
    // Prepare
    const p = paginationSchema.parse({ style: 'none' });

    // Act / Assess
    expect(nextPageRequest(p, firstPageRequest(base, p), { body: [], recordCount: 10 })).toBeUndefined();
  });
});
