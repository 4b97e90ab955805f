import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { StageDeps } from '../../../shared/app/pipeline/artifacts.js';
import { profileStage } from '../../../shared/app/pipeline/profile.js';
import type { FileRecord } from '../../../shared/domain/file-record.js';
import type { DatasetStore, ObjectStore } from '../../../shared/ports.js';
import type { afterValidateSchema } from '../../../shared/schemas/ingestion.js';

describe('profile stage', () => {
  it('publishes the profile the parse made while writing, without reading the staged file', async () => {
    // Prepare: a store that fails any read, and a parse output that names its profile.
    const updates: Partial<FileRecord>[] = [];
    const reads: string[] = [];
    const store = new Proxy({ bucket: 'data' } as unknown as ObjectStore, {
      get: (target, property) =>
        property === 'bucket'
          ? Reflect.get(target, property)
          : () => {
              reads.push(String(property));
              throw new Error(`store.${String(property)} called`);
            },
    });
    const deps: StageDeps = {
      store,
      datasets: {
        updateFile: async (_tenant: string, _fileId: string, fields: Partial<FileRecord>) => {
          updates.push(fields);
        },
      } as unknown as DatasetStore,
      clock: { now: () => new Date('2026-01-01T00:00:00Z') },
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
      metrics: { add: () => undefined },
    };
    const fileId = `f_${'0'.repeat(32)}`;
    const object = { bucket: 'data', key: 'fresh/acme/people/people.csv' };
    const profileKey = `reports/acme/people/${fileId}/profile.json`;
    const state = {
      object,
      file: {
        fileId,
        tenant: 'acme',
        dataset: 'people',
        object,
        sha256: 'x',
        size: 10,
        format: 'csv',
        dataType: 'sample',
        outcome: 'REGISTERED',
      },
      parse: {
        stagedKey: `staging/acme/people/${fileId}.parquet`,
        columnCount: 2,
        rowCount: 42,
        contentHash: 'h',
        metrics: {
          recordsRead: 42,
          recordsWritten: 42,
          recordsFailed: 0,
          duplicatesDropped: 0,
          bytesRead: 10,
          durationMs: 1,
          errorRate: 0,
        },
        profileKey,
      },
      validate: { status: 'PASSED', reportKey: 'r', errors: 0, warnings: 0, inferredSuite: false },
    } satisfies z.infer<typeof afterValidateSchema>;

    // Act
    const output = await profileStage(deps, state);

    // Assess
    expect(output).toEqual({ profileKey, rowCount: 42 });
    expect(updates).toEqual([{ stage: 'profile', profileKey }]);
    expect(reads).toEqual([]);
  });
});
