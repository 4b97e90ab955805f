import { describe, expect, it } from 'vitest';
import { assessesInChunks } from '../../shared/app/pipeline/chunk-quality.js';
import { createProfiler, type DatasetProfile } from '../../shared/domain/profile/index.js';
import { batchFromRows, type TableSchema } from '../../shared/domain/table.js';

const TIMED: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'seen_at', type: 'timestamp', nullable: false },
    { name: 'label', type: 'string', nullable: false },
  ],
};
const UNTIMED: TableSchema = { columns: TIMED.columns.filter((c) => c.type !== 'timestamp') };

function profileOf(schema: TableSchema, rowCount: number): DatasetProfile {
  const profiler = createProfiler(schema);
  const rows = Array.from({ length: 20 }, (_, i) => ({
    id: i,
    seen_at: 1_760_000_000_000 + i,
    label: `l${i % 3}`,
  }));
  profiler.add(batchFromRows(schema, rows));
  // The decision reads the row count; the rest of the profile is the real shape of one.
  return { ...profiler.result(), rowCount };
}

describe('whether a chunked file is assessed in its chunks', () => {
  it('assesses in the chunks a file without a time column, whatever its size', () => {
    // Act
    const small = assessesInChunks(UNTIMED, profileOf(UNTIMED, 20), undefined);
    const big = assessesInChunks(UNTIMED, profileOf(UNTIMED, 50_000_000), undefined);

    // Assess
    expect([small, big]).toEqual([true, true]);
  });

  it('assesses in one pass a timed file one pass buffers, and in the chunks one past that', () => {
    // Act
    const buffered = assessesInChunks(TIMED, profileOf(TIMED, 5_000_000), 'seen_at');
    const past = assessesInChunks(TIMED, profileOf(TIMED, 5_000_001), 'seen_at');

    // Assess
    expect([buffered, past]).toEqual([false, true]);
  });

  it('takes the first timestamp column when the dataset names a time column the file lacks', () => {
    // Act
    const assessed = assessesInChunks(TIMED, profileOf(TIMED, 1_000), 'event_time');

    // Assess
    expect(assessed).toBe(false);
  });

  it('leaves a time column the quality stage refuses to that stage’s one pass, which names it', () => {
    // Act: `label` is a string column; the quality stage's options check refuses it.
    const assessed = assessesInChunks(UNTIMED, profileOf(UNTIMED, 50_000_000), 'label');

    // Assess
    expect(assessed).toBe(false);
  });
});
