import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, DeletionVector, LogEntry, Metadata } from '../../shared/domain/delta/actions.js';
import { replay } from '../../shared/domain/delta/snapshot.js';
import { dataFileKey } from '../../shared/domain/delta/table.js';
import {
  DAY_MS,
  isVersionReadable,
  parseVacuumRecord,
  planVacuum,
} from '../../shared/domain/delta/vacuum.js';
import { VersionVacuumedError } from '../../shared/errors.js';

const BUCKET = 'data';
const ROOT = 'tables/acme/meter/';
const NOW = Date.UTC(2026, 5, 1);

const metadata: Metadata = {
  id: '00000000-0000-0000-0000-000000000001',
  format: { provider: 'parquet', options: {} },
  schemaString: '{"type":"struct","fields":[]}',
  partitionColumns: [],
  configuration: {},
};
const create: Action[] = [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, { metaData: metadata }];

/**
 * Paths a table's log may name: strata's data files, one with a character to escape, hidden folders
 * (staged, the log, strata's own), an absolute URI into the table, one into another table of the bucket,
 * and one into another bucket.
 */
const PATHS = [
  'part-a.parquet',
  'part-b.parquet',
  'part-c.parquet',
  'x%20y.parquet',
  '_staged/part-d.parquet',
  '_delta_log/00000000000000000000.json',
  '_strata/vacuum.json',
  `s3://${BUCKET}/${ROOT}part-e.parquet`,
  `s3://${BUCKET}/tables/other/meter/part-a.parquet`,
  's3://elsewhere/part-a.parquet',
];
const DVS: Array<DeletionVector | undefined> = [
  undefined,
  { storageType: 'u', pathOrInlineDv: 'dv1', sizeInBytes: 1, cardinality: 1 },
];

interface Op {
  path: string;
  dv: DeletionVector | undefined;
  op: 'add' | 'remove';
  /** Days before NOW; undefined: the remove carries no deletion time. */
  ageDays: number | undefined;
}

const arbitraryOp: fc.Arbitrary<Op> = fc.record({
  path: fc.constantFrom(...PATHS),
  dv: fc.constantFrom(...DVS),
  op: fc.constantFrom('add', 'remove'),
  ageDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
});

/** Valid logs: version 0 creates the table; a commit touches each logical file at most once. */
const arbitraryLog: fc.Arbitrary<LogEntry[]> = fc
  .array(
    fc.uniqueArray(arbitraryOp, { selector: (o) => `${o.path}|${o.dv?.pathOrInlineDv}`, maxLength: 4 }),
    { maxLength: 14 },
  )
  .map((commits) => [
    { version: 0, actions: create },
    ...commits.map(
      (ops, i): LogEntry => ({
        version: i + 1,
        actions: ops.map(
          (o): Action =>
            o.op === 'add'
              ? {
                  add: {
                    path: o.path,
                    partitionValues: {},
                    size: 10,
                    modificationTime: 0,
                    dataChange: true,
                    ...(o.dv && { deletionVector: o.dv }),
                  },
                }
              : {
                  remove: {
                    path: o.path,
                    dataChange: true,
                    size: 10,
                    ...(o.ageDays !== undefined && { deletionTimestamp: NOW - o.ageDays * DAY_MS }),
                    ...(o.dv && { deletionVector: o.dv }),
                  },
                },
        ),
      }),
    ),
  ]);

const keyOf = (path: string) => dataFileKey(BUCKET, ROOT, path);

/** Object keys each version of the log reads. */
function liveKeysByVersion(log: LogEntry[]): Set<string>[] {
  return log.map((_, v) => {
    const snapshot = replay(undefined, log.slice(0, v + 1));
    return new Set([...snapshot.files.values()].map((f) => keyOf(f.path)).filter((k) => k !== undefined));
  });
}

const scope = (retentionDays: number) => ({
  bucket: BUCKET,
  tableRoot: ROOT,
  nowMs: NOW,
  retentionMs: retentionDays * DAY_MS,
});

describe('what vacuum selects', () => {
  it('never a file the latest version reads, never one without a tombstone, never one removed within the retention', () => {
    fc.assert(
      fc.property(arbitraryLog, fc.integer({ min: 1, max: 30 }), (log, retentionDays) => {
        // Prepare
        const snapshot = replay(undefined, log);
        const live = liveKeysByVersion(log).at(-1) as Set<string>;
        const tombstonesByKey = new Map<string, Array<number | undefined>>();
        for (const remove of snapshot.tombstones.values()) {
          const key = keyOf(remove.path);
          if (key === undefined) continue;
          tombstonesByKey.set(key, [...(tombstonesByKey.get(key) ?? []), remove.deletionTimestamp]);
        }

        // Act
        const plan = planVacuum(snapshot, scope(retentionDays));

        // Assess
        for (const candidate of plan.candidates) {
          expect(live.has(candidate.key)).toBe(false);
          const deletedAt = tombstonesByKey.get(candidate.key);
          expect(deletedAt).toBeDefined();
          for (const at of deletedAt ?? []) {
            expect(at).toBeDefined();
            expect(NOW - (at as number)).toBeGreaterThan(retentionDays * DAY_MS);
          }
          expect(candidate.key.startsWith(ROOT)).toBe(true);
          expect(candidate.key.slice(ROOT.length)).not.toMatch(/(^|\/)[_.]/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves every version from the oldest readable one on with all its files', () => {
    fc.assert(
      fc.property(arbitraryLog, fc.integer({ min: 1, max: 30 }), fc.nat(), (log, retentionDays, cut) => {
        // Prepare: the latest snapshot as a reader that starts from a checkpoint sees it, too
        const latest = log.length - 1;
        const at = cut % log.length;
        const full = replay(undefined, log);
        const fromCheckpoint = replay(
          { version: at, actions: checkpointOf(replay(undefined, log.slice(0, at + 1))) },
          log.slice(at + 1),
        );
        const byVersion = liveKeysByVersion(log);

        for (const snapshot of [full, fromCheckpoint]) {
          // Act
          const plan = planVacuum(snapshot, scope(retentionDays));

          // Assess
          if (plan.candidates.length === 0) {
            expect(plan.oldestReadableVersion).toBeUndefined();
            continue;
          }
          const oldest = plan.oldestReadableVersion as number;
          expect(oldest).toBeLessThanOrEqual(latest);
          const gone = new Set(plan.candidates.map((c) => c.key));
          for (let v = oldest; v <= latest; v++) {
            for (const key of byVersion[v] ?? [])
              expect(gone.has(key), `version ${v} reads ${key}`).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('selects a strata data file removed 8 days ago under a week of retention, and keeps one removed 6 days ago', () => {
    // Prepare
    const add = (path: string): Action => ({
      add: { path, partitionValues: {}, size: 100, modificationTime: 0, dataChange: true },
    });
    const remove = (path: string, ageDays: number): Action => ({
      remove: { path, dataChange: true, size: 100, deletionTimestamp: NOW - ageDays * DAY_MS },
    });
    const log: LogEntry[] = [
      { version: 0, actions: [...create, add('part-1.parquet')] },
      { version: 1, actions: [add('part-2.parquet')] },
      { version: 2, actions: [remove('part-1.parquet', 8), add('part-3.parquet')] },
      { version: 3, actions: [remove('part-2.parquet', 6)] },
    ];

    // Act
    const plan = planVacuum(replay(undefined, log), scope(7));

    // Assess
    expect(plan.candidates).toEqual([
      {
        path: 'part-1.parquet',
        key: `${ROOT}part-1.parquet`,
        size: 100,
        deletionTimestamp: NOW - 8 * DAY_MS,
        removedIn: 2,
      },
    ]);
    expect(plan.retained).toBe(1);
    expect(plan.oldestReadableVersion).toBe(2);
  });
});

/** A checkpoint's actions: the reconciled state (what checkpointActions writes, tombstones kept). */
function checkpointOf(snapshot: ReturnType<typeof replay>): Action[] {
  return [
    { protocol: snapshot.protocol },
    { metaData: snapshot.metadata },
    ...[...snapshot.files.values()].map((add) => ({ add })),
    ...[...snapshot.tombstones.values()].map((remove) => ({ remove })),
  ];
}

describe('the vacuum record', () => {
  it('makes versions before the oldest readable one unreadable, and every version readable without a record', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (oldest, version) => {
        // Act
        const record = parseVacuumRecord({
          oldestReadableVersion: oldest,
          vacuumedAt: 'x',
          retentionDays: 7,
        });

        // Assess
        expect(isVersionReadable(record, version)).toBe(version >= oldest);
        expect(isVersionReadable(undefined, version)).toBe(true);
      }),
    );
  });

  it('is not read from a document of another shape', () => {
    expect(parseVacuumRecord(undefined)).toBeUndefined();
    expect(parseVacuumRecord({ oldestReadableVersion: -1 })).toBeUndefined();
    expect(parseVacuumRecord({ oldestReadableVersion: '3' })).toBeUndefined();
  });

  it('answers 410 naming the version, the retention and the oldest readable version', () => {
    // Act
    const error = new VersionVacuumedError('meter', 2, 1, 5, 7);

    // Assess
    expect(error.statusCode).toBe(410);
    expect(error.toPublic()).toEqual({
      error: 'VersionVacuumedError',
      message: expect.stringContaining('version 2 of dataset "meter" (Delta version 1) is gone'),
    });
    expect(error.message).toContain('vacuumed after the retention grace of 7 days');
    expect(error.message).toContain('Delta version 5');
  });
});
