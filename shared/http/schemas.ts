/** Request schemas of the HTTP API routes: the one source for handlers and (later) the OpenAPI document. */
import { z } from 'zod';
import { retentionPolicySchema } from '../domain/lifecycle.js';

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).optional(),
});

export const listDatasetsQuery = paginationQuery;

export const datasetPath = z.object({ name: z.string().min(1).max(63) });
export const versionPath = datasetPath.extend({ v: z.coerce.number().int().positive() });
export const filePath = z.object({ id: z.string().regex(/^f_[0-9a-f]{32}$/, 'not a file id') });

export const versionDataQuery = z.object({ format: z.enum(['parquet', 'csv']).default('parquet') });

export const datasetConfigBody = z
  .object({
    columnMapping: z.record(z.string().min(1), z.string().min(1)).optional(),
    typeOverrides: z
      .record(z.string().min(1), z.enum(['int', 'float', 'bool', 'string', 'timestamp']))
      .optional(),
    dedupKeys: z.array(z.string().min(1)).min(1).optional(),
    maxErrorRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export const uploadRequestBody = z
  .object({
    dataset: z.string().min(1).max(63),
    fileName: z.string().min(1).max(255),
    dataType: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
    format: z.enum(['csv', 'jsonl', 'json', 'parquet']).optional(),
    contentType: z.string().max(255).optional(),
    metadata: z
      .record(
        z.string().regex(/^[a-z0-9-]{1,64}$/, 'metadata keys: lower-case letters, digits, -'),
        z.string().max(512),
      )
      .optional(),
  })
  .strict();

export const uploadRequestsBody = z.object({ files: z.array(uploadRequestBody).min(1).max(100) }).strict();

export const listFilesQuery = paginationQuery.extend({
  status: z
    .enum(['fresh', 'used', 'archived', 'deprecated', 'quarantined', 'duplicate'])
    .transform(
      (s) => s.toUpperCase() as 'FRESH' | 'USED' | 'ARCHIVED' | 'DEPRECATED' | 'QUARANTINED' | 'DUPLICATE',
    )
    .optional(),
  type: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
  dataset: z.string().min(1).max(63).optional(),
});

/** `POST /training-sets`; `type` is the data type, as in `GET /files`. */
export const createTrainingSetBody = z
  .object({
    dataset: z.string().min(1).max(63).optional(),
    type: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
    // Stored in UTC, so the manifest states one instant however the caller wrote it.
    since: z.iso
      .datetime({ offset: true })
      .transform((s) => new Date(s).toISOString())
      .optional(),
    maxRows: z.number().int().positive().optional(),
    maxBytes: z.number().int().positive().optional(),
    combine: z.enum(['parquet', 'jsonl']).optional(),
  })
  .strict()
  .transform(({ type, ...criteria }) => ({ ...criteria, ...(type && { dataType: type }) }));

export const trainingSetPath = z.object({
  id: z.string().regex(/^ts_[A-Za-z0-9_-]{1,64}$/, 'not a training-set id'),
});

// Lifecycle routes take snake_case bodies, as the API names them; their answers are camelCase like
// every other answer.

/** `POST /training-sets/{id}/consume`. Job ids end up in DynamoDB sort keys: no `#`, no spaces. */
export const consumeTrainingSetBody = z
  .object({
    job_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'job_id: 1–128 of letters, digits, . _ : -'),
  })
  .strict()
  .transform(({ job_id }) => ({ jobId: job_id }));

const retentionShape = retentionPolicySchema.shape;

/** `PUT /retention-policy`: bounds and defaults are the domain schema's. */
export const retentionPolicyBody = z
  .object({
    days_old: retentionShape.daysOld,
    grace_days: retentionShape.graceDays,
    archive_after_uses: retentionShape.archiveAfterUses,
  })
  .strict()
  .transform(({ days_old, grace_days, archive_after_uses }) => ({
    daysOld: days_old,
    graceDays: grace_days,
    archiveAfterUses: archive_after_uses,
  }));

/** `POST /cleanup`: `days_old` overrides the stored policy; `dry_run` is required, the call can delete. */
export const cleanupBody = z
  .object({ days_old: retentionShape.daysOld.optional(), dry_run: z.boolean() })
  .strict()
  .transform(({ days_old, dry_run }) => ({ daysOld: days_old, dryRun: dry_run }));
