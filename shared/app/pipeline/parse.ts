/**
 * Stage 2: read the source in its format, write the canonical Parquet to staging/ and annotate the file
 * record. The stages after it take the schema from that file's footer (see artifacts.ts).
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { type DatasetConfig, parseOptionsOf } from '../../domain/dataset.js';
import type { FileFormat } from '../../domain/object-key.js';
import { reportKey, stagingKey } from '../../domain/object-key.js';
import { parseFile } from '../../domain/parse/parse-file.js';
import { profileAlong } from '../../domain/profile/index.js';
import { tapBatches } from '../../domain/table.js';
import { writeParquet } from '../../formats/parquet.js';
import type { afterRegisterSchema, ParseOutput } from '../../schemas/ingestion.js';
import { pipeThrough } from '../io/channel.js';
import type { StageDeps } from './artifacts.js';
import { validationAlong } from './validate.js';

/**
 * Stage 2: read the source in its format (two streaming passes for text: infer, then convert), apply
 * the dataset's mapping, type overrides and dedup keys, and write the canonical Parquet to staging. The
 * batches are validated and profiled as they are written: the validation report goes to reports/ (the
 * validate stage judges it), and so does the profile when it is final (its histograms' ranges were known
 * in time); the output names both.
 */
export async function parseStage(
  deps: StageDeps,
  state: z.infer<typeof afterRegisterSchema>,
): Promise<ParseOutput> {
  const { file } = state;
  const dataset = await deps.datasets.getDataset(file.tenant, file.dataset);
  const config: DatasetConfig = dataset?.config ?? {};
  const source = { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
  const format = file.format as FileFormat;
  const parsed = await parseFile(
    format === 'parquet'
      ? { format, source: await deps.store.openRange(source) }
      : { format, open: () => deps.store.read(source) },
    {
      ...parseOptionsOf(config),
      ...(config.dedupKeys && { dedupKeys: config.dedupKeys }),
      inputBytes: file.size,
    },
  );

  const stagedKey = stagingKey(file.tenant, file.dataset, file.fileId);
  const hash = createHash('sha256');
  // Validated and profiled on the way to the writer: the validate and profile stages then need no read of
  // the staged file.
  const validation = validationAlong(deps, file, dataset, parsed.schema);
  const validated = tapBatches(parsed.batches, (batch) => validation?.add(batch));
  const profiled = profileAlong(parsed.schema, validated, parsed.ranges);
  const written = await pipeThrough<Uint8Array, { rowCount: number }>(
    async (push) => {
      await writeParquet(parsed.schema, profiled.batches, async (chunk) => {
        hash.update(chunk);
        await push(chunk);
      });
    },
    async (chunks) => {
      await deps.store.write(stagedKey, chunks, { contentType: 'application/vnd.apache.parquet' });
      return { rowCount: parsed.metrics().recordsWritten };
    },
  );
  const validationReport = await validation?.save();
  const profile = profiled.final();
  const profileKey = profile && reportKey(file.tenant, file.dataset, file.fileId, 'profile');
  if (profileKey) await deps.store.putJson(profileKey, profile);
  const metrics = parsed.metrics();
  deps.metrics.add('RecordsRead', 'Count', metrics.recordsRead);
  deps.metrics.add('RecordsWritten', 'Count', metrics.recordsWritten);
  deps.metrics.add('RecordsFailed', 'Count', metrics.recordsFailed);
  deps.metrics.add('DuplicatesDropped', 'Count', metrics.duplicatesDropped);
  deps.metrics.add('BytesRead', 'Bytes', metrics.bytesRead);
  deps.metrics.add('ParseDuration', 'Milliseconds', metrics.durationMs);
  deps.metrics.add('ParseErrorRate', 'Percent', metrics.errorRate * 100);
  const renamed = parsed.renamedColumns;
  // Renames are bounded on the record (a DynamoDB item holds 400 KB); the count says when some are left out.
  const renames =
    renamed.length > 0
      ? { renamedColumns: renamed.slice(0, RENAMES_RECORDED), renamedColumnCount: renamed.length }
      : {};
  await deps.datasets.updateFile(file.tenant, file.fileId, {
    stage: 'parse',
    parse: {
      stagedKey,
      rowCount: written.rowCount,
      columns: parsed.schema.columns.length,
      recordsFailed: metrics.recordsFailed,
      durationMs: metrics.durationMs,
      ...(parsed.encoding && { encoding: parsed.encoding }),
      ...renames,
    },
  });
  deps.logger.info('file parsed', {
    fileId: file.fileId,
    format,
    ...metrics,
    columns: parsed.schema.columns.length,
    ...(parsed.encoding && { encoding: parsed.encoding }),
    ...renames,
    profiled: profileKey !== undefined,
    validated: validationReport !== undefined,
  });
  return {
    stagedKey,
    columnCount: parsed.schema.columns.length,
    rowCount: written.rowCount,
    contentHash: hash.digest('hex'),
    metrics,
    ...(parsed.encoding && { encoding: parsed.encoding }),
    ...(renamed.length > 0 && { renamedColumnCount: renamed.length }),
    ...(profileKey && { profileKey }),
    ...(validationReport && { validation: validationReport }),
  };
}

/** Header renames kept on a file record; the rest are counted. */
export const RENAMES_RECORDED = 100;
