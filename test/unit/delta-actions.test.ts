import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../shared/adapters/delta/checkpoint-parquet.js';
import {
  type Action,
  checkpointFileName,
  commitFileName,
  parseCommit,
  parseLogFileName,
  serializeCommit,
} from '../../shared/domain/delta/actions.js';
import { TableLogCorruptError } from '../../shared/errors.js';
import { arbitraryAction, arbitraryStateAction } from '../support/delta-arbitraries.js';

describe('log file names', () => {
  it('pad the version to 20 digits and parse back', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (version) => {
        // Act
        const commit = commitFileName(version);
        const checkpoint = checkpointFileName(version);

        // Assess
        expect(commit).toMatch(/^\d{20}\.json$/);
        expect(parseLogFileName(commit)).toEqual({ kind: 'commit', version });
        expect(parseLogFileName(checkpoint)).toEqual({ kind: 'checkpoint', version });
      }),
    );
  });

  it('sort as their versions do', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10 ** 15 }), fc.nat({ max: 10 ** 15 }), (a, b) => {
        // Act
        const byName = commitFileName(a) < commitFileName(b);

        // Assess
        expect(byName).toBe(a < b);
      }),
    );
  });

  it('leave other entries of the log to other readers', () => {
    // Act
    const names = [
      '_last_checkpoint',
      '00000000000000000010.checkpoint.0000000001.0000000002.parquet',
      '00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json',
      '00000000000000000010.crc',
      '00000000000000000004.00000000000000000006.compacted.json',
      '10.json',
    ].map(parseLogFileName);

    // Assess
    expect(names.every((n) => n.kind === 'other')).toBe(true);
  });
});

describe('commit serialization', () => {
  it('round-trips any actions through one JSON object per line', () => {
    fc.assert(
      fc.property(fc.array(arbitraryAction, { maxLength: 8 }), (actions) => {
        // Act
        const text = serializeCommit(actions);

        // Assess
        expect(text.split('\n')).toHaveLength(actions.length + 1);
        expect(parseCommit(text, 7)).toEqual(actions);
      }),
    );
  });

  it('reads what delta-rs writes: nulls for absent fields, actions it does not model ignored', () => {
    // Prepare
    const text = [
      '{"commitInfo":{"timestamp":1796603006455,"operation":"WRITE","operationParameters":{"mode":"Append"},"engineInfo":"delta-rs:py-1.6.6"}}',
      '{"add":{"path":"part-00000-0fe7.snappy.parquet","partitionValues":{},"size":1548,"modificationTime":1796603006455,"dataChange":true,"stats":"{\\"numRecords\\":2}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}',
      '{"cdc":{"path":"_change_data/cdc-1.parquet","partitionValues":{},"size":12,"dataChange":false}}',
      '{"metaData":{"id":"fe7b","name":null,"description":null,"format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":[],"createdTime":1,"configuration":{}}}',
      '',
    ].join('\n');

    // Act
    const actions = parseCommit(text, 1);

    // Assess
    expect(actions).toEqual([
      {
        commitInfo: {
          timestamp: 1796603006455,
          operation: 'WRITE',
          operationParameters: { mode: 'Append' },
          engineInfo: 'delta-rs:py-1.6.6',
        },
      },
      {
        add: {
          path: 'part-00000-0fe7.snappy.parquet',
          partitionValues: {},
          size: 1548,
          modificationTime: 1796603006455,
          dataChange: true,
          stats: '{"numRecords":2}',
        },
      },
      {
        metaData: {
          id: 'fe7b',
          format: { provider: 'parquet', options: {} },
          schemaString: '{}',
          partitionColumns: [],
          createdTime: 1,
          configuration: {},
        },
      },
    ]);
  });

  it('refuses a line that is not JSON or a malformed known action, naming where', () => {
    // Act
    const notJson = () => parseCommit('{"add":{}}\nnot json', 3);
    const malformed = () => parseCommit('{"add":{"path":"a","size":"big"}}', 4);

    // Assess
    expect(notJson).toThrow(TableLogCorruptError);
    expect(malformed).toThrow(/commit 4 line 1: field "partitionValues"/);
  });
});

describe('checkpoint Parquet encoding', () => {
  it('round-trips the actions a checkpoint holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryStateAction, { minLength: 1, maxLength: 10 }), async (actions) => {
        // Act
        const decoded = await decodeCheckpoint(encodeCheckpoint(actions), 5);

        // Assess
        expect(decoded).toEqual(actions);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves commitInfo out', async () => {
    // Prepare
    const actions: Action[] = [{ commitInfo: { operation: 'WRITE' } }, { txn: { appId: 'a', version: 1 } }];

    // Act
    const decoded = await decodeCheckpoint(encodeCheckpoint(actions), 1);

    // Assess
    expect(decoded).toEqual([{ txn: { appId: 'a', version: 1 } }]);
  });

  it('refuses bytes that are not Parquet', async () => {
    // Act
    const decoding = decodeCheckpoint(new TextEncoder().encode('{"add":{}}'), 9);

    // Assess
    await expect(decoding).rejects.toThrow(TableLogCorruptError);
  });
});
