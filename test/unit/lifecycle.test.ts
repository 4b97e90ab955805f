import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILE_STATUSES, type FileRecord, type FileStatus } from '../../shared/domain/file-record.js';
import {
  type CleanupFacts,
  canTransition,
  cleanupCutoffs,
  isDueForDeletion,
  isDueForDeprecation,
  movesObject,
  nextStatusForUse,
  planCleanup,
  prefixOf,
  retentionPolicySchema,
  summarizeConsumption,
  TRANSITIONS,
  versionAtKey,
} from '../../shared/domain/lifecycle.js';
import { destinationKey, parseObjectKey } from '../../shared/domain/object-key.js';
import { statisticsOf } from '../../shared/domain/statistics.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const status = fc.constantFrom(...FILE_STATUSES);

describe('the lifecycle state machine', () => {
  it('keeps DEPRECATED, QUARANTINED and DUPLICATE terminal', () => {
    for (const terminal of ['DEPRECATED', 'QUARANTINED', 'DUPLICATE'] as const) {
      expect(TRANSITIONS[terminal]).toEqual([]);
    }
  });

  it('moves the object only between the prefixes of FRESH, USED and ARCHIVED, forward', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        const moves = movesObject(from, to);
        if (moves) {
          expect(canTransition(from, to)).toBe(true);
          expect(prefixOf(to)).toBeDefined();
          expect(prefixOf(to)).not.toBe(prefixOf(from));
        }
        // A deprecation is a record change: the object stays where it is until it is deleted.
        if (to === 'DEPRECATED') expect(moves).toBe(false);
      }),
    );
    expect(movesObject('FRESH', 'USED')).toBe(true);
    expect(movesObject('USED', 'ARCHIVED')).toBe(true);
    expect(movesObject('FRESH', 'ARCHIVED')).toBe(false);
    expect(movesObject('ARCHIVED', 'USED')).toBe(false);
  });

  it('never allows a transition back to FRESH', () => {
    fc.assert(
      fc.property(status, (from) => {
        expect(canTransition(from, 'FRESH')).toBe(false);
      }),
    );
  });
});

describe('destination keys', () => {
  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/);
  const fileName = fc
    .array(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join('/'));
  const fileId = fc.stringMatching(/^f_[0-9a-f]{32}$/);

  it('keep tenant, dataset and file name under the new prefix', () => {
    fc.assert(
      fc.property(segment, segment, fileName, fileId, (tenant, dataset, name, id) => {
        const key = `fresh/${tenant}/${dataset}/${name}`;
        expect(destinationKey(key, 'used', id)).toBe(`used/${tenant}/${dataset}/${name}`);
        expect(parseObjectKey(destinationKey(key, 'archived', id))).toMatchObject({
          stage: 'archived',
          tenant,
          dataset,
        });
      }),
    );
  });

  it('give the fallback its own folder named by the file id, once', () => {
    fc.assert(
      fc.property(segment, segment, fileName, fileId, (tenant, dataset, name, id) => {
        const key = `fresh/${tenant}/${dataset}/${name}`;
        const fallback = destinationKey(key, 'used', id, true);
        expect(fallback).toBe(`used/${tenant}/${dataset}/${id}/${name}`);
        expect(fallback).not.toBe(destinationKey(key, 'used', id));
        // A file already under its fallback folder keeps it when it moves on.
        expect(destinationKey(fallback, 'archived', id, true)).toBe(
          `archived/${tenant}/${dataset}/${id}/${name}`,
        );
      }),
    );
  });
});

describe('status from use', () => {
  it('makes a used FRESH file USED and archives it once used more than the threshold', () => {
    expect(nextStatusForUse({ status: 'FRESH', usageCount: 0 }, 3)).toBeUndefined();
    expect(nextStatusForUse({ status: 'FRESH', usageCount: 1 }, 3)).toBe('USED');
    expect(nextStatusForUse({ status: 'USED', usageCount: 3 }, 3)).toBeUndefined();
    expect(nextStatusForUse({ status: 'USED', usageCount: 4 }, 3)).toBe('ARCHIVED');
    expect(nextStatusForUse({ status: 'USED', usageCount: 1 }, 0)).toBe('ARCHIVED');
  });

  it('settles any status and usage in at most two allowed steps', () => {
    fc.assert(
      fc.property(status, fc.nat(20), fc.nat(10), (start, uses, threshold) => {
        let current: FileStatus = start;
        let steps = 0;
        for (let next = nextStatusForUse({ status: current, usageCount: uses }, threshold); next; steps++) {
          expect(movesObject(current, next)).toBe(true);
          current = next;
          next = nextStatusForUse({ status: current, usageCount: uses }, threshold);
        }
        expect(steps).toBeLessThanOrEqual(2);
        if (current === 'ARCHIVED' && start !== 'ARCHIVED') expect(uses).toBeGreaterThan(threshold);
        if (start === 'FRESH' && uses > 0) expect(['USED', 'ARCHIVED']).toContain(current);
      }),
    );
  });
});

describe('the retention policy', () => {
  it('defaults the grace period and the table retention to 7 days and archiving to more than 3 uses', () => {
    expect(retentionPolicySchema.parse({ daysOld: 30 })).toEqual({
      daysOld: 30,
      graceDays: 7,
      archiveAfterUses: 3,
      tableRetentionDays: 7,
    });
  });

  it('rejects negative, fractional and unknown settings', () => {
    expect(retentionPolicySchema.safeParse({ daysOld: -1 }).success).toBe(false);
    expect(retentionPolicySchema.safeParse({ daysOld: 1.5 }).success).toBe(false);
    expect(retentionPolicySchema.safeParse({ daysOld: 1, keep: true }).success).toBe(false);
    expect(retentionPolicySchema.safeParse({ daysOld: 1, tableRetentionDays: 0 }).success).toBe(false);
  });
});

describe('cleanup planning', () => {
  const file = fc
    .record({
      fileId: fc.uuid(),
      status,
      uploadedAt: fc
        .integer({ min: -400, max: 1 })
        .map((d) => new Date(NOW.getTime() + d * DAY).toISOString()),
      deprecatedAt: fc.option(
        fc.integer({ min: -60, max: 0 }).map((d) => new Date(NOW.getTime() + d * DAY).toISOString()),
        { nil: undefined },
      ),
      deletedAt: fc.option(fc.constant(NOW.toISOString()), { nil: undefined }),
    })
    // Only a deprecated file is ever deleted.
    .map((f): CleanupFacts => (f.status === 'DEPRECATED' ? f : { ...f, deletedAt: undefined }));
  const policy = fc.record({ daysOld: fc.nat(365), graceDays: fc.nat(30) });

  it('deprecates only USED and ARCHIVED files uploaded before the cut-off', () => {
    fc.assert(
      fc.property(fc.array(file), policy, (files, p) => {
        const plan = planCleanup(files, p, NOW);
        const cutoff = cleanupCutoffs(p, NOW).deprecateUploadedBefore;
        for (const id of plan.deprecate) {
          const f = files.find((x) => x.fileId === id) as CleanupFacts;
          expect(['USED', 'ARCHIVED']).toContain(f.status);
          expect(f.uploadedAt < cutoff).toBe(true);
        }
      }),
    );
  });

  it('deletes only deprecated files past their grace, never twice, and at once with no grace', () => {
    fc.assert(
      fc.property(fc.array(file), policy, (files, p) => {
        const plan = planCleanup(files, p, NOW);
        const deprecating = new Set(plan.deprecate);
        for (const id of plan.delete) {
          const f = files.find((x) => x.fileId === id) as CleanupFacts;
          expect(f.deletedAt).toBeUndefined();
          expect(f.status === 'DEPRECATED' || deprecating.has(id)).toBe(true);
        }
        if (p.graceDays === 0) for (const id of plan.deprecate) expect(plan.delete).toContain(id);
        else for (const id of plan.deprecate) expect(plan.delete).not.toContain(id);
      }),
    );
  });

  it('deprecates fewer files the longer the retention', () => {
    fc.assert(
      fc.property(fc.array(file), policy, fc.nat(100), (files, p, more) => {
        const longer = planCleanup(files, { ...p, daysOld: p.daysOld + more }, NOW);
        const shorter = new Set(planCleanup(files, p, NOW).deprecate);
        for (const id of longer.deprecate) expect(shorter.has(id)).toBe(true);
      }),
    );
  });

  it('keeps a file uploaded exactly at the cut-off, deletes one deprecated exactly at the grace end', () => {
    const atCutoff = new Date(NOW.getTime() - 10 * DAY).toISOString();
    expect(isDueForDeprecation({ fileId: 'a', status: 'USED', uploadedAt: atCutoff }, 10, NOW)).toBe(false);
    expect(
      isDueForDeletion(
        { fileId: 'a', status: 'DEPRECATED', uploadedAt: atCutoff, deprecatedAt: atCutoff },
        10,
        NOW,
      ),
    ).toBe(true);
  });
});

describe('the consumption answer', () => {
  const base = {
    tenant: 't',
    dataset: 'd',
    status: 'USED',
    usageHistory: [] as FileRecord['usageHistory'],
  } as unknown as FileRecord;

  it('tells counted, counted through another set, skipped and moved files apart', () => {
    // Prepare
    const records = new Map<string, FileRecord | undefined>([
      [
        'a',
        {
          ...base,
          fileId: 'a',
          usageHistory: [{ jobId: 'j', trainingSetId: 'ts_1', at: 'x' }],
          stateHistory: [
            { from: 'FRESH', to: 'USED', at: 'y', reason: 'r', jobId: 'j' },
            { from: 'USED', to: 'ARCHIVED', at: 'z', reason: 'r', jobId: 'other' },
          ],
        },
      ],
      ['b', { ...base, fileId: 'b', usageHistory: [{ jobId: 'j', trainingSetId: 'ts_0', at: 'x' }] }],
      ['c', { ...base, fileId: 'c', status: 'DEPRECATED' }],
      ['d', undefined],
    ]);

    // Act
    const result = summarizeConsumption({
      trainingSetId: 'ts_1',
      jobId: 'j',
      consumedAt: 'now',
      fileIds: ['a', 'b', 'c', 'd'],
      records,
    });

    // Assess
    expect(result).toEqual({
      trainingSetId: 'ts_1',
      jobId: 'j',
      consumedAt: 'now',
      files: 4,
      counted: ['a'],
      countedBefore: ['b'],
      skipped: [
        { fileId: 'c', reason: 'not-consumable', status: 'DEPRECATED' },
        { fileId: 'd', reason: 'missing' },
      ],
      moved: [{ fileId: 'a', from: 'FRESH', to: 'USED', at: 'y' }],
      truncated: false,
    });
  });
});

describe('versions at a key', () => {
  it('uses the moved copy’s version, else the upload’s, and never an ETag', () => {
    expect(versionAtKey({ objectVersion: 'v-upload', keyVersion: 'v-copy' })).toBe('v-copy');
    expect(versionAtKey({ objectVersion: 'v-upload' })).toBe('v-upload');
    expect(versionAtKey({ objectVersion: '0123456789abcdef0123456789abcdef' })).toBeUndefined();
    expect(versionAtKey({ objectVersion: 'v-upload', keyVersion: 'unversioned' })).toBeUndefined();
  });
});

describe('statistics', () => {
  const facts = fc.record({
    status,
    dataType: fc.constantFrom('sample', 'custom', 'red_team' as const),
    dataset: fc.constantFrom('a', 'b', 'c'),
    size: fc.nat(1_000_000),
    usageCount: fc.option(fc.nat(10), { nil: undefined }),
    deletedAt: fc.option(fc.constant('2026-01-01T00:00:00.000Z'), { nil: undefined }),
  });

  it('adds up to the same totals by status, by type and by dataset', () => {
    fc.assert(
      fc.property(fc.array(facts), (files) => {
        const stats = statisticsOf(files);
        for (const group of [stats.byStatus, stats.byType, stats.byDataset]) {
          const tallies = Object.values(group);
          expect(tallies.reduce((n, t) => n + t.files, 0)).toBe(files.length);
          expect(tallies.reduce((n, t) => n + t.bytes, 0)).toBe(stats.bytes);
          expect(tallies.reduce((n, t) => n + t.usage, 0)).toBe(stats.totalUsage);
        }
        const deleted = files.filter((f) => f.deletedAt !== undefined);
        expect(stats.deleted.files).toBe(deleted.length);
        expect(stats.bytes + stats.deleted.bytes).toBe(files.reduce((n, f) => n + f.size, 0));
      }),
    );
  });
});
