import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUploadUrls, type UploadDeps } from '../../shared/app/uploads.js';
import { metaPair } from '../../shared/cli/program.js';
import {
  checkUploadMetadata,
  executionNameFor,
  fileIdFor,
  fileIdOfUpload,
  isReservedMetadataKey,
  parseMetadataFilter,
  USER_METADATA_LIMITS,
  userMetadataOf,
} from '../../shared/domain/file-record.js';
import { InvalidInputError, MetadataTooLargeError } from '../../shared/errors.js';
import { ingestRowsBody, listFilesQuery } from '../../shared/http/schemas.js';
import type { ObjectStore, PresignPutOptions } from '../../shared/ports.js';

const key = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/);
const value = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('upload metadata bounds', () => {
  it('takes metadata at exactly the bounds: the most keys, the longest value, the most bytes', () => {
    // Prepare: 20 keys of 3 characters, one value of 512, another filling the 1024 bytes exactly.
    const keys = Array.from(
      { length: USER_METADATA_LIMITS.maxKeys },
      (_, i) => `k${String(i).padStart(2, '0')}`,
    );
    const metadata: Record<string, string> = Object.fromEntries(keys.map((k) => [k, '']));
    metadata.k00 = 'v'.repeat(USER_METADATA_LIMITS.maxValueLength);
    metadata.k01 = 'x'.repeat(
      USER_METADATA_LIMITS.maxBytes - keys.length * 3 - USER_METADATA_LIMITS.maxValueLength,
    );

    // Act
    const error = caught(() => checkUploadMetadata(metadata));

    // Assess
    expect(Object.entries(metadata).reduce((n, [k, v]) => n + k.length + v.length, 0)).toBe(1024);
    expect(error).toBeUndefined();
  });

  it('refuses one key too many, one character too long and one byte too many with a 422 naming the bound', () => {
    // Prepare
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    const tooLong = { note: 'v'.repeat(513) };
    const tooBig = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, 'v'.repeat(340)]));

    // Act
    const errors = [tooMany, tooLong, tooBig].map((m) => caught(() => checkUploadMetadata(m, 'files[1]: ')));

    // Assess
    for (const error of errors) expect(error).toBeInstanceOf(MetadataTooLargeError);
    expect(errors.map((e) => (e as MetadataTooLargeError).limit)).toEqual(['keys', 'valueLength', 'bytes']);
    expect(errors.map((e) => (e as MetadataTooLargeError).statusCode)).toEqual([422, 422, 422]);
    expect((errors[0] as Error).message).toBe('files[1]: metadata has 21 keys, over 20');
    expect((errors[2] as Error).message).toBe(
      'files[1]: metadata keys and values take 1026 bytes, over 1024',
    );
  });

  it("refuses strata's own keys, except the link keys an upload declares its lineage with", () => {
    // Act
    const reserved = ['data-type', 'format', 'strata-source', 'strata-connector-run'].map((k) =>
      caught(() => checkUploadMetadata({ [k]: 'x' })),
    );
    const links = caught(() =>
      checkUploadMetadata({ 'strata-model': 'm@1.0.0', 'strata-input': 'ds@v1', source: 'crm' }),
    );

    // Assess
    for (const error of reserved) expect(error).toBeInstanceOf(InvalidInputError);
    expect(links).toBeUndefined();
  });

  it('refuses values that are not printable ASCII, which S3 could not carry as headers unchanged', () => {
    // Act
    const error = caught(() => checkUploadMetadata({ owner: 'Zoë' }));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
  });
});

describe('the metadata a file record keeps', () => {
  it("keeps the uploader's keys and leaves out strata's, unflagged when everything fits", () => {
    // Act
    const kept = userMetadataOf({
      'data-type': 'sample',
      format: 'csv',
      'strata-model': 'm@1.0.0',
      'strata-connector-run': 'r1',
      source: 'crm',
      region: 'eu',
    });

    // Assess
    expect(kept).toEqual({ metadata: { region: 'eu', source: 'crm' }, truncated: false });
  });

  it('never exceeds the bounds, flags what it left out, and keeps everything when it fits', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.oneof(value, fc.string({ maxLength: 700 })), { maxKeys: 40 }),
        (object) => {
          // Act
          const { metadata = {}, truncated } = userMetadataOf(object);

          // Assess
          const entries = Object.entries(metadata);
          expect(entries.length).toBeLessThanOrEqual(USER_METADATA_LIMITS.maxKeys);
          const bytes = entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
          expect(bytes).toBeLessThanOrEqual(USER_METADATA_LIMITS.maxBytes);
          for (const [k, v] of entries) expect(object[k]).toBe(v);
          const user = Object.keys(object).filter((k) => !isReservedMetadataKey(k));
          expect(truncated).toBe(entries.length < user.length);
          // What an upload URL accepts, a record keeps whole.
          if (caught(() => checkUploadMetadata(object)) === undefined) expect(truncated).toBe(false);
        },
      ),
    );
  });
});

describe('the metadata filter of GET /files', () => {
  it('reads key:value pairs, a value holding colons and commas, and a repeated parameter API Gateway joined', () => {
    // Act
    const filter = parseMetadataFilter('source:crm,url:http://x/a,b,region:eu');

    // Assess
    expect(filter).toEqual({ source: 'crm', url: 'http://x/a,b', region: 'eu' });
  });

  it('gives back any filter of plain values it is written as', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.stringMatching(/^[A-Za-z0-9 .@/_-]{0,20}$/), { minKeys: 1, maxKeys: 5 }),
        (pairs) => {
          // Prepare
          const text = Object.entries(pairs)
            .map(([k, v]) => `${k}:${v}`)
            .join(',');

          // Act
          const filter = parseMetadataFilter(text);

          // Assess
          expect(filter).toEqual(pairs);
        },
      ),
    );
  });

  it('refuses a filter without a key, or naming one key twice, as a 400 from the query schema', () => {
    // Act
    const noKey = listFilesQuery.safeParse({ metadata: 'crm' });
    const twice = listFilesQuery.safeParse({ metadata: 'a:1,a:2' });
    const good = listFilesQuery.safeParse({ metadata: 'source:crm', key: 'fresh/t/d/a.csv' });

    // Assess
    expect(noKey.success).toBe(false);
    expect(twice.success).toBe(false);
    expect(good.data).toMatchObject({ metadata: { source: 'crm' }, key: 'fresh/t/d/a.csv', limit: 100 });
  });
});

describe('file ids of uploads', () => {
  it("are the pipeline's ids: the same as the event's object gets, from the PUT answer's version or ETag", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        (bucket, k, versionId) => {
          // Act
          const ids = fileIdOfUpload({ bucket, key: k }, { versionId, eTag: '"abc"' });

          // Assess
          const ref = { bucket, key: k, versionId, eTag: '"abc"' };
          expect(ids).toEqual({ fileId: fileIdFor(ref), runId: executionNameFor(ref) });
        },
      ),
    );
  });

  it('are in the upload answer as the bucket and key they follow from, with the route that finds the file', async () => {
    // Prepare
    const store = {
      bucket: 'data',
      presignPut: async (_key: string, options: PresignPutOptions) => ({
        url: 'https://s3.example/x',
        headers: { m: JSON.stringify(options.metadata) },
      }),
    } as unknown as ObjectStore;
    const deps: UploadDeps = {
      store,
      clock: { now: () => new Date('2026-12-01T00:00:00Z') },
      maxUploadBytes: 100,
    };

    // Act
    const [upload] = await createUploadUrls(deps, 't1', [
      { dataset: 'd', fileName: 'a b.csv', size: 5, metadata: { source: 'crm' } },
    ]);
    const refused = createUploadUrls(deps, 't1', [
      { dataset: 'd', fileName: 'a.csv', size: 5, metadata: { note: 'v'.repeat(600) } },
    ]);

    // Assess
    expect(upload).toMatchObject({
      bucket: 'data',
      key: 'fresh/t1/d/a b.csv',
      filesRoute: '/files?key=fresh%2Ft1%2Fd%2Fa%20b.csv',
    });
    expect(JSON.parse(upload?.headers.m ?? '{}')).toEqual({
      source: 'crm',
      'data-type': 'custom',
      format: 'csv',
    });
    await expect(refused).rejects.toMatchObject({ name: 'MetadataTooLargeError', statusCode: 422 });
  });
});

describe('the rows body and the CLI --meta option', () => {
  it('takes rows or columns, never both nor neither', () => {
    // Act
    const rows = ingestRowsBody.safeParse({ rows: [{ a: 1 }] });
    const columns = ingestRowsBody.safeParse({ columns: { a: [1, 2] }, metadata: { source: 'crm' } });
    const both = ingestRowsBody.safeParse({ rows: [{ a: 1 }], columns: { a: [1] } });
    const neither = ingestRowsBody.safeParse({ metadata: { source: 'crm' } });

    // Assess
    expect([rows.success, columns.success, both.success, neither.success]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('collects repeated --meta key=value pairs, a value keeping its own = signs', () => {
    // Act
    const meta = metaPair('query=a=b', metaPair('source=crm'));
    const bad = caught(() => metaPair('Source=crm'));
    const twice = caught(() => metaPair('source=x', meta));

    // Assess
    expect(meta).toEqual({ source: 'crm', query: 'a=b' });
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(twice).toBeInstanceOf(InvalidArgumentError);
  });
});
