import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  detectDataType,
  detectFormat,
  featureFileKey,
  LIFECYCLE_PREFIXES,
  lifecyclePrefix,
  moveKey,
  objectKey,
  objectUri,
  parseObjectKey,
  predictionsKey,
  quarantinedValidationReportKey,
  unroutableQuarantineKey,
} from '../../shared/domain/object-key.js';
import { InvalidObjectKeyError } from '../../shared/errors.js';

const name = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
const sha256 = fc.stringMatching(/^[0-9a-f]{64}$/);
const fileName = fc
  .array(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'));

describe('object keys', () => {
  it('reads tenant, dataset and file name from a fresh key', () => {
    // Act
    const parts = parseObjectKey('fresh/acme/churn/2026/11/batch-1.csv');

    // Assess
    expect(parts).toEqual({
      stage: 'fresh',
      tenant: 'acme',
      dataset: 'churn',
      fileName: '2026/11/batch-1.csv',
    });
  });

  it.each([
    ['versions/acme/churn/x.csv', 'prefix'],
    ['fresh/Acme/churn/x.csv', 'tenant'],
    ['fresh/acme/../x.csv', 'dataset'],
    ['fresh/acme/churn/', 'file name'],
    ['fresh/acme', 'dataset'],
  ])('rejects %s with a typed error naming the %s', (key, what) => {
    // Act
    const act = () => parseObjectKey(key);

    // Assess
    expect(act).toThrow(InvalidObjectKeyError);
    expect(act).toThrow(what);
  });

  it('moves a key to quarantine keeping tenant, dataset and file name', () => {
    expect(moveKey('fresh/acme/churn/a/b.jsonl', 'quarantine')).toBe('quarantine/acme/churn/a/b.jsonl');
  });

  it('detects the format from the extension, or from an explicit hint', () => {
    expect(detectFormat('x.CSV')).toBe('csv');
    expect(detectFormat('x.ndjson')).toBe('jsonl');
    expect(detectFormat('x.pq')).toBe('parquet');
    expect(detectFormat('x.bin', 'parquet')).toBe('parquet');
    expect(() => detectFormat('x.csv.gz')).toThrow(InvalidObjectKeyError);
  });

  it('detects the data type from metadata, then the key, else custom', () => {
    expect(detectDataType('x.csv', 'red-team')).toBe('red_team');
    expect(detectDataType('red_team/batch.jsonl')).toBe('red_team');
    expect(detectDataType('sample_2026.csv')).toBe('sample');
    expect(detectDataType('batch.csv')).toBe('custom');
    expect(() => detectDataType('x.csv', 'gold')).toThrow(InvalidObjectKeyError);
  });

  it('names the start of a lifecycle prefix, which every key of that prefix begins with', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LIFECYCLE_PREFIXES),
        name,
        name,
        fileName,
        (stage, tenant, dataset, file) => {
          // Act
          const key = objectKey({ stage, tenant, dataset, fileName: file });

          // Assess
          expect(key.startsWith(lifecyclePrefix(stage))).toBe(true);
          expect(parseObjectKey(key).stage).toBe(stage);
        },
      ),
    );
    expect(lifecyclePrefix('fresh')).toBe('fresh/');
  });

  it('quarantines a key that names no tenant under a prefix no tenant can own, keeping the whole key', () => {
    expect(unroutableQuarantineKey('fresh/x.csv')).toBe('quarantine/_unroutable/fresh/x.csv');
    fc.assert(
      fc.property(fileName, (key) => {
        // Act
        const quarantined = unroutableQuarantineKey(key);

        // Assess
        expect(quarantined.startsWith(lifecyclePrefix('quarantine'))).toBe(true);
        expect(quarantined.endsWith(`/${key}`)).toBe(true);
        expect(() => parseObjectKey(quarantined)).toThrow(InvalidObjectKeyError);
      }),
    );
  });

  it('keeps a quarantined file’s validation report beside it', () => {
    // Act
    const key = quarantinedValidationReportKey(moveKey('fresh/acme/churn/a/b.csv', 'quarantine'));

    // Assess
    expect(key).toBe('quarantine/acme/churn/a/b.csv.validation.json');
  });

  it('names written-back predictions as a fresh/ Parquet file of the dataset, by content', () => {
    fc.assert(
      fc.property(
        name,
        name,
        name,
        fc.stringMatching(/^\d{1,3}\.\d{1,3}\.\d{1,3}$/),
        sha256,
        (tenant, dataset, model, version, hash) => {
          // Act
          const key = predictionsKey(tenant, dataset, { name: model, version }, hash);

          // Assess
          expect(parseObjectKey(key)).toEqual({
            stage: 'fresh',
            tenant,
            dataset,
            fileName: `${model}/${version}/${hash.slice(0, 32)}.parquet`,
          });
          expect(detectFormat(parseObjectKey(key).fileName)).toBe('parquet');
        },
      ),
    );
  });

  it('names a feature version’s files by split and content, so other content never shares a key', () => {
    expect(featureFileKey('acme', 'spend', '1.0.0', 'ab'.repeat(32), 'all')).toBe(
      'features/acme/spend/1.0.0/abababababababab/data.parquet',
    );
    const split = fc.constantFrom('train', 'validation', 'test', 'all') as fc.Arbitrary<
      'train' | 'validation' | 'test' | 'all'
    >;
    fc.assert(
      fc.property(name, name, sha256, sha256, split, split, (tenant, feature, a, b, splitA, splitB) => {
        // Arrange
        fc.pre(a.slice(0, 16) !== b.slice(0, 16) || splitA !== splitB);

        // Act
        const keyA = featureFileKey(tenant, feature, '1.0.0', a, splitA);
        const keyB = featureFileKey(tenant, feature, '1.0.0', b, splitB);

        // Assess
        expect(keyA).not.toBe(keyB);
        expect(keyA.startsWith(`features/${tenant}/${feature}/1.0.0/`)).toBe(true);
      }),
    );
  });

  it('names an object as an S3 URI', () => {
    expect(objectUri('data-bucket', 'training-sets/acme/ts_1/manifest.json')).toBe(
      's3://data-bucket/training-sets/acme/ts_1/manifest.json',
    );
  });
});
