import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILE_STATUSES } from '../../shared/domain/file-record.js';
import type { TableSchema } from '../../shared/domain/table.js';
import {
  coerceCell,
  FileSelection,
  isSelectableVersion,
  newestFirst,
  SAMPLE_FALLBACK_STATUSES,
  selectFiles,
  type TrainingSetFile,
  unionSchema,
} from '../../shared/domain/training-set.js';

let counter = 0;
function file(fields: Partial<TrainingSetFile> = {}): TrainingSetFile {
  counter++;
  return {
    fileId: `f_${String(counter).padStart(32, '0')}`,
    key: `fresh/t/ds/${counter}.csv`,
    dataset: 'ds',
    dataType: 'custom',
    sha256: `sha-${counter}`,
    contentHash: `content-${counter}`,
    objectVersion: `v${counter}`,
    uploadedAt: new Date(Date.UTC(2026, 0, 1) + counter * 1000).toISOString(),
    version: 1,
    dataFile: {
      path: `part-f_${counter}.parquet`,
      key: `tables/t/ds/part-f_${counter}.parquet`,
      deltaVersion: counter - 1,
    },
    rows: 10,
    bytes: 100,
    ...fields,
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 4, 1, 12, minute)).toISOString();

describe('selecting training-set files', () => {
  it('takes the newest files first, whatever order they come in', () => {
    // Prepare
    const old = file({ uploadedAt: at(1) });
    const newest = file({ uploadedAt: at(3) });
    const middle = file({ uploadedAt: at(2) });

    // Act
    const { files } = selectFiles([old, newest, middle], {});

    // Assess
    expect(files.map((f) => f.fileId)).toEqual([newest.fileId, middle.fileId, old.fileId]);
  });

  it('skips a file whose bytes or parsed rows were already taken', () => {
    // Prepare
    const first = file({ uploadedAt: at(3), sha256: 'same-bytes' });
    const sameBytes = file({ uploadedAt: at(2), sha256: 'same-bytes', dataset: 'other' });
    const sameRows = file({ uploadedAt: at(1), contentHash: first.contentHash });

    // Act
    const { files, duplicates } = selectFiles([first, sameBytes, sameRows], {});

    // Assess
    expect(files).toEqual([first]);
    expect(duplicates).toEqual([sameBytes.fileId, sameRows.fileId]);
  });

  it('stops at the first file that would exceed maxRows instead of filling up with older ones', () => {
    // Prepare
    const a = file({ uploadedAt: at(3), rows: 40 });
    const big = file({ uploadedAt: at(2), rows: 70 });
    const small = file({ uploadedAt: at(1), rows: 5 });

    // Act
    const result = selectFiles([a, big, small], { maxRows: 100 });

    // Assess
    expect(result.files).toEqual([a]);
    expect(result.totals).toEqual({ files: 1, rows: 40, bytes: a.bytes });
  });

  it('respects maxBytes on the source files’ sizes', () => {
    // Prepare
    const files = [file({ uploadedAt: at(3), bytes: 600 }), file({ uploadedAt: at(2), bytes: 500 })];

    // Act
    const result = selectFiles(files, { maxBytes: 1000 });

    // Assess
    expect(result.totals).toEqual({ files: 1, rows: 10, bytes: 600 });
  });

  it('leaves out files uploaded before `since`', () => {
    // Prepare
    const recent = file({ uploadedAt: at(30) });
    const old = file({ uploadedAt: at(10) });

    // Act
    const { files } = selectFiles([old, recent], { since: at(20) });

    // Assess
    expect(files).toEqual([recent]);
  });

  it('selects nothing when the newest file alone is over budget', () => {
    // Prepare
    const selection = new FileSelection({ maxRows: 5 });

    // Act
    const outcome = selection.offer(file({ rows: 6 }));

    // Assess
    expect(outcome).toBe('over-budget');
    expect(selection.complete).toBe(true);
    expect(selection.files).toEqual([]);
    expect(selection.considered).toBe(1);
  });

  it('never exceeds a budget, never repeats a hash and keeps newest-first order', () => {
    const candidate = fc.record({
      sha: fc.integer({ min: 0, max: 8 }),
      content: fc.integer({ min: 0, max: 8 }),
      minute: fc.integer({ min: 0, max: 59 }),
      rows: fc.integer({ min: 0, max: 50 }),
      bytes: fc.integer({ min: 0, max: 500 }),
    });
    fc.assert(
      fc.property(
        fc.array(candidate, { maxLength: 40 }),
        fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
        (specs, maxRows, maxBytes) => {
          // Prepare
          const candidates = specs.map((s) =>
            file({
              sha256: `s${s.sha}`,
              contentHash: `c${s.content}`,
              uploadedAt: at(s.minute),
              rows: s.rows,
              bytes: s.bytes,
            }),
          );

          // Act
          const { files, totals } = selectFiles(candidates, { maxRows, maxBytes });

          // Assess
          const rows = files.reduce((n, f) => n + f.rows, 0);
          const bytes = files.reduce((n, f) => n + f.bytes, 0);
          expect(totals).toEqual({ files: files.length, rows, bytes });
          if (maxRows !== undefined) expect(rows).toBeLessThanOrEqual(maxRows);
          if (maxBytes !== undefined) expect(bytes).toBeLessThanOrEqual(maxBytes);
          const hashes = files.flatMap((f) => [f.sha256, f.contentHash]);
          expect(new Set(hashes).size).toBe(hashes.length);
          for (let i = 1; i < files.length; i++) {
            expect(newestFirst(files[i - 1] as TrainingSetFile, files[i] as TrainingSetFile)).toBeLessThan(0);
          }
          // Without a budget, every distinct content is taken.
          if (maxRows === undefined && maxBytes === undefined && candidates.length > 0) {
            expect(files.length).toBeGreaterThan(0);
          }
        },
      ),
    );
  });
});

describe('the sample fallback', () => {
  it('stands in with sample files that are fresh, used or archived, never bad or retired ones', () => {
    expect([...SAMPLE_FALLBACK_STATUSES].sort()).toEqual(['ARCHIVED', 'FRESH', 'USED']);
    expect(FILE_STATUSES).toEqual(expect.arrayContaining([...SAMPLE_FALLBACK_STATUSES]));
  });

  it('selects used sample files by the same budget and dedup rules as fresh ones', () => {
    // Prepare: what the use case offers once consume has marked the sample files USED
    const used = [
      file({ dataType: 'sample', uploadedAt: at(5), rows: 30 }),
      file({ dataType: 'sample', uploadedAt: at(4), rows: 30 }),
      file({ dataType: 'sample', uploadedAt: at(3), rows: 30 }),
    ];

    // Act
    const { files } = selectFiles(used, { maxRows: 60 });

    // Assess
    expect(files.map((f) => f.uploadedAt)).toEqual([at(5), at(4)]);
  });

  it('only offers versions that are READY', () => {
    expect(isSelectableVersion('READY')).toBe(true);
    expect(isSelectableVersion('PENDING')).toBe(false);
    expect(isSelectableVersion('HELD')).toBe(false);
  });
});

describe('the combined file’s schema', () => {
  const schema = (...columns: TableSchema['columns']): TableSchema => ({ columns });

  it('unions columns by name: int and float widen to float, other mixes to string', () => {
    // Prepare
    const a = schema(
      { name: 'id', type: 'int', nullable: false },
      { name: 'score', type: 'int', nullable: false },
      { name: 'label', type: 'bool', nullable: false },
    );
    const b = schema(
      { name: 'score', type: 'float', nullable: false },
      { name: 'id', type: 'int', nullable: false },
      { name: 'label', type: 'string', nullable: false },
      { name: 'extra', type: 'timestamp', nullable: false },
    );

    // Act
    const union = unionSchema([a, b]);

    // Assess
    expect(union.columns).toEqual([
      { name: 'id', type: 'int', nullable: false },
      { name: 'score', type: 'float', nullable: false },
      { name: 'label', type: 'string', nullable: false },
      { name: 'extra', type: 'timestamp', nullable: true },
      { name: '_source_file_id', type: 'string', nullable: false },
      { name: '_dataset_version', type: 'int', nullable: false },
    ]);
  });

  it('lets the trace columns replace source columns of the same name', () => {
    // Act
    const union = unionSchema([schema({ name: '_dataset_version', type: 'string', nullable: true })]);

    // Assess
    expect(union.columns.map((c) => [c.name, c.type])).toEqual([
      ['_source_file_id', 'string'],
      ['_dataset_version', 'int'],
    ]);
  });

  it('converts cells to the widened type', () => {
    expect(coerceCell(3, 'int', 'float')).toBe(3);
    expect(coerceCell(true, 'bool', 'string')).toBe('true');
    expect(coerceCell(2.5, 'float', 'string')).toBe('2.5');
    expect(coerceCell(Date.UTC(2026, 0, 2), 'timestamp', 'string')).toBe('2026-01-02T00:00:00.000Z');
    expect(coerceCell(null, 'int', 'string')).toBeNull();
  });
});
