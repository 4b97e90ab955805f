import { describe, expect, it } from 'vitest';
import { detectDataType, detectFormat, moveKey, parseObjectKey } from '../../shared/domain/object-key.js';
import { InvalidObjectKeyError } from '../../shared/errors.js';

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
});
