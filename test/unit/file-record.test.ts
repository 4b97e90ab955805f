import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  executionNameFor,
  FILE_STATUSES,
  fileIdFor,
  linksFromMetadata,
} from '../../shared/domain/file-record.js';
import { declaredEdges } from '../../shared/domain/version.js';
import { listFilesQuery } from '../../shared/http/schemas.js';
import { decodeS3Key, s3EventSchema } from '../../shared/schemas/ingestion.js';

const sampleEvent = JSON.parse(
  readFileSync(new URL('../../events/s3-object-created.json', import.meta.url), 'utf8'),
);

describe('file identity', () => {
  it('gives every delivery of the same object version the same file id and execution name', () => {
    const ref = { bucket: 'b', key: 'fresh/acme/ds/x.csv', versionId: 'v1' };
    expect(fileIdFor({ ...ref })).toBe(fileIdFor(ref));
    expect(executionNameFor({ ...ref })).toBe(executionNameFor(ref));
  });

  it('tells a re-upload to the same key apart by its version', () => {
    const ref = { bucket: 'b', key: 'fresh/acme/ds/x.csv' };
    expect(fileIdFor({ ...ref, versionId: 'v1' })).not.toBe(fileIdFor({ ...ref, versionId: 'v2' }));
  });

  it('makes execution names Step Functions accepts for any key', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        (bucket, key, versionId) => {
          const name = executionNameFor({ bucket, key, versionId });
          expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        },
      ),
    );
  });

  it('does not confuse a key boundary with a version boundary', () => {
    expect(fileIdFor({ bucket: 'b', key: 'a', versionId: 'bc' })).not.toBe(
      fileIdFor({ bucket: 'b', key: 'ab', versionId: 'c' }),
    );
  });
});

describe('S3 events', () => {
  it('parses the sample S3 event and decodes its URL-encoded key', () => {
    // Act
    const event = s3EventSchema.parse(sampleEvent);
    const [record] = event.Records;

    // Assess
    expect(record?.s3.object.versionId).toBe('3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY');
    expect(decodeS3Key(record?.s3.object.key ?? '')).toBe('fresh/acme/customers/2026-11/customers (2).csv');
  });

  it('rejects an event without records', () => {
    expect(s3EventSchema.safeParse({ Records: [] }).success).toBe(false);
  });
});

describe('links a file declares in its metadata', () => {
  it('reads the model and the scored version, and ignores malformed values', () => {
    expect(linksFromMetadata({ 'strata-model': 'forecaster@1.2.0', 'strata-input': 'demand@v3' })).toEqual({
      model: { name: 'forecaster', version: '1.2.0' },
      input: { dataset: 'demand', version: 3 },
    });
    expect(
      linksFromMetadata({ 'strata-model': 'forecaster@latest', 'strata-input': 'demand@3' }),
    ).toBeUndefined();
    expect(linksFromMetadata({})).toBeUndefined();
  });

  it('turns them into lineage edges into the new version', () => {
    // Act
    const edges = declaredEdges('t1', {
      dataset: 'demand-predictions',
      version: 2,
      links: { model: { name: 'forecaster', version: '1.2.0' }, input: { dataset: 'demand', version: 3 } },
    });

    // Assess
    expect(edges).toEqual([
      {
        from: 'dataset-version:t1/demand/v3',
        to: 'dataset-version:t1/demand-predictions/v2',
        type: 'derived_from',
      },
      {
        from: 'model-version:t1/forecaster@1.2.0',
        to: 'dataset-version:t1/demand-predictions/v2',
        type: 'scored_by',
      },
    ]);
    expect(declaredEdges('t1', { dataset: 'd', version: 1 })).toEqual([]);
  });
});

describe('the GET /files query', () => {
  it('accepts a status as file records spell it (upper case) or in lower case, and reads both the same', () => {
    for (const status of FILE_STATUSES) {
      // Act
      const upper = listFilesQuery.parse({ status });
      const lower = listFilesQuery.parse({ status: status.toLowerCase() });

      // Assess
      expect(upper.status).toBe(status);
      expect(lower.status).toBe(status);
    }
  });

  it('refuses a status that is not one', () => {
    // Act
    const result = listFilesQuery.safeParse({ status: 'LOST' });

    // Assess
    expect(result.success).toBe(false);
  });
});
