/**
 * The quality stage's fold of a chunked file's states, read from S3, with its duplicate rows counted one
 * partition of the row hashes at a time (as a file past one set's rows is): the same report as one set
 * and as one pass over the rows.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { writeBlob } from '../../shared/app/pipeline/artifacts.js';
import { mergeChunkQuality } from '../../shared/app/pipeline/chunk-quality.js';
import { chunkQualityKey } from '../../shared/domain/object-key.js';
import { createProfiler } from '../../shared/domain/profile/index.js';
import { createQualityAssessor, encodeQualityPartial } from '../../shared/domain/quality/index.js';
import type { CellValue, RecordBatch, TableSchema } from '../../shared/domain/table.js';
import type { Logger } from '../../shared/ports.js';
import { cloudContext } from '../support/cloud.js';

const ctx = cloudContext();
const store = new S3ObjectStore(ctx.s3, ctx.info.dataBucket);
const logged: { message: string; context: unknown }[] = [];
const logger: Logger = {
  debug() {},
  info(message, context) {
    logged.push({ message, context });
  },
  warn(message, context) {
    logged.push({ message, context });
  },
  error() {},
};

const SCHEMA: TableSchema = {
  columns: [
    { name: 'k', type: 'int', nullable: false },
    { name: 'v', type: 'float', nullable: true },
    { name: 'tag', type: 'string', nullable: true },
  ],
};

/** 3,000 rows, about a third of them repeating an earlier row (within a chunk and across chunks). */
function rows(): CellValue[][] {
  return Array.from({ length: 3_000 }, (_, i) => {
    const r = i % 3 === 2 ? Math.floor(i / 5) : i;
    return [r, r % 7 === 0 ? null : r / 4, `t${r % 11}`];
  });
}

const batchOf = (part: CellValue[][]): RecordBatch => ({
  schema: SCHEMA,
  numRows: part.length,
  columns: SCHEMA.columns.map((_, c) => part.map((row) => row[c] ?? null)),
});

describe('the quality fold of a chunked file, in partitions', () => {
  it('counts duplicate rows one partition per pass over the states in S3, to one pass’s report', async () => {
    // Prepare: five chunks' states in S3, as the Assess Map leaves them.
    const all = rows();
    const profiler = createProfiler(SCHEMA);
    profiler.add(batchOf(all));
    const profile = profiler.result();
    const file = { tenant: `t${randomBytes(4).toString('hex')}`, dataset: 'events', fileId: 'f_parts' };
    const chunks = [0, 700, 1_300, 2_100, 2_600, 3_000];
    for (let i = 0; i + 1 < chunks.length; i++) {
      const assessor = createQualityAssessor(SCHEMA, profile, { mergeable: true });
      assessor.add(batchOf(all.slice(chunks[i], chunks[i + 1])));
      const key = chunkQualityKey(file.tenant, file.dataset, file.fileId, i);
      await writeBlob({ store }, key, encodeQualityPartial(assessor.partial()));
    }
    const single = createQualityAssessor(SCHEMA, profile, {});
    single.add(batchOf(all));

    // Act: 700 rows a set: five partitions, five passes over the states.
    const oneSet = await mergeChunkQuality({ store, logger }, file, 5, SCHEMA, profile, {});
    const partitioned = await mergeChunkQuality({ store, logger }, file, 5, SCHEMA, profile, {}, 700);

    // Assess
    expect(partitioned).toEqual(single.result());
    expect(oneSet).toEqual(single.result());
    expect(partitioned?.duplicates.count).toBeGreaterThan(100);
    expect(logged).toContainEqual({
      message: 'duplicate rows counted in partitions',
      context: { fileId: 'f_parts', partitions: 5 },
    });
  });
});
