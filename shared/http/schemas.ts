/** Request schemas of the HTTP API routes; routes.ts assigns them to routes for handlers and the OpenAPI document. */
import { z } from 'zod';
import { CONNECTOR_RUN_ID, connectorSettingsSchema } from '../domain/connector-runs.js';
import { DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES } from '../domain/dataset.js';
import { WRITE_MODES } from '../domain/delta/writes.js';
import { SEVERITIES } from '../domain/drift/severity.js';
import {
  FILE_STATUSES,
  type FileStatus,
  parseMetadataFilter,
  USER_METADATA_LIMITS,
} from '../domain/file-record.js';
import { retentionPolicySchema } from '../domain/lifecycle.js';
import { NODE_TYPES } from '../domain/lineage.js';
import { TEXT_ENCODINGS } from '../domain/parse/encoding.js';
import { MAX_COLUMN_NAME_LENGTH_LIMIT, MAX_COLUMNS_LIMIT } from '../domain/parse/limits.js';
import { QUALITY_STATUSES } from '../domain/quality/types.js';
import { RUN_ID_PATTERN, RUN_STATUSES } from '../domain/run.js';
import { COLUMN_TYPES } from '../domain/table.js';
import { parseInstant } from '../domain/time-range.js';
import {
  greatExpectationsSuiteSchema,
  parseSuiteDocument,
  SUPPORTED_EXPECTATIONS,
} from '../domain/validation/great-expectations.js';
import { validationSuiteSchema } from '../domain/validation/suite.js';
import { MAX_DESCRIPTION_LENGTH, MAX_TAGS, TAG_PATTERN } from '../domain/version-tags.js';

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).optional(),
});

export const listDatasetsQuery = paginationQuery;

export const datasetPath = z.object({ name: z.string().min(1).max(63) });

/** A JSON Schema of a zod schema to nest in another one's metadata (the document adds `$schema` once). */
function nestedJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return rest;
}

/**
 * `POST /datasets/{name}/validation-suite`: strata's suite (`checks`) or a Great Expectations expectation
 * suite (`expectations`), told apart by shape. Parsed by the schema of the format it was taken for, so an
 * error names that format's fields (a union would only say "invalid input"); the document shows both.
 */
export const validationSuiteBody = z
  .unknown()
  .transform((value, ctx) => {
    const parsed = parseSuiteDocument(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  })
  .meta({
    anyOf: [nestedJsonSchema(validationSuiteSchema), nestedJsonSchema(greatExpectationsSuiteSchema)],
    description:
      'A strata suite ({version?, checks}) or a Great Expectations suite ({expectation_suite_name or name, ' +
      `expectations: [{expectation_type or type, kwargs}]}). GE expectations taken: ${SUPPORTED_EXPECTATIONS.join(', ')}.`,
  });
export const versionPath = datasetPath.extend({ v: z.coerce.number().int().positive() });
export const filePath = z.object({ id: z.string().regex(/^f_[0-9a-f]{32}$/, 'not a file id') });

/** `/runs/{id}`: a run id is its execution's name. */
export const runPath = z.object({ id: z.string().regex(RUN_ID_PATTERN, 'not a run id') });

/** `GET /datasets/{name}/runs?status=&limit=&cursor=`; status in any case. */
export const listRunsQuery = paginationQuery.extend({
  status: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(RUN_STATUSES))
    .optional()
    .describe('running, succeeded or failed, in any case'),
});

export const versionDataQuery = z.object({ format: z.enum(['parquet', 'csv']).default('parquet') });

/** `GET /datasets/{name}/versions/{v}/files`: a page of the table's data files, in path order. */
export const versionFilesQuery = paginationQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

export const datasetConfigBody = z
  .object({
    columnMapping: z.record(z.string().min(1), z.string().min(1)).optional(),
    typeOverrides: z
      .record(z.string().min(1), z.enum(['int', 'float', 'bool', 'string', 'timestamp']))
      .optional(),
    dedupKeys: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'rows with equal values in these columns are kept once within a file; in append mode, rows whose key the table already holds are not added (counted as duplicates)',
      ),
    writeMode: z
      .enum(WRITE_MODES)
      .optional()
      .describe(
        "default append: a file's rows are added to the dataset's Delta table; overwrite: they replace the table; upsert: rows whose keyColumns match replace the table's rows (copy-on-write), the rest are added",
      ),
    keyColumns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('upsert: the columns that identify a row (required with writeMode upsert)'),
    schemaEvolution: z
      .enum(['none', 'add_columns'])
      .optional()
      .describe(
        "default none: a file whose columns differ from the table's is quarantined (SchemaMismatchError, listing the differences); add_columns: its new columns join the table as nullable",
      ),
    widenTypes: z
      .boolean()
      .optional()
      .describe(
        'default false: an int column of a file may join a float column of the table, its values written as floats; other type changes are refused',
      ),
    maxErrorRate: z.number().min(0).max(1).optional(),
    encoding: z
      .enum(TEXT_ENCODINGS)
      .optional()
      .describe(
        'encoding of text files (CSV, JSONL, JSON); default: a byte-order mark decides, else UTF-8. Bytes invalid in it quarantine the file (EncodingError)',
      ),
    allowEmptyBatches: z
      .boolean()
      .optional()
      .describe(
        'default false: a file with columns but no rows (a header-only CSV) is quarantined (EmptyFileError)',
      ),
    maxColumns: z
      .number()
      .int()
      .min(1)
      .max(MAX_COLUMNS_LIMIT)
      .optional()
      .describe('default 2000: a file with more columns is quarantined (TooManyColumnsError)'),
    maxColumnNameLength: z
      .number()
      .int()
      .min(1)
      .max(MAX_COLUMN_NAME_LENGTH_LIMIT)
      .optional()
      .describe('default 256 characters: a longer column name quarantines the file (ColumnNameTooLongError)'),
    chunkBytes: z
      .number()
      .int()
      .min(MIN_CHUNK_BYTES)
      .optional()
      .describe(
        `default ${DEFAULT_CHUNK_BYTES} (256 MiB): a larger file is split into chunks of about this many bytes, processed in parallel and committed in one table commit`,
      ),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.writeMode === 'upsert' && !config.keyColumns) {
      ctx.addIssue({ code: 'custom', path: ['keyColumns'], message: 'writeMode upsert needs keyColumns' });
    }
    if (config.keyColumns && config.writeMode !== 'upsert') {
      ctx.addIssue({ code: 'custom', path: ['keyColumns'], message: 'keyColumns are for writeMode upsert' });
    }
  });

/** An instant in a query string (ISO 8601 or epoch seconds/ms), as epoch milliseconds. */
const instant = (name: string) =>
  z.string().transform((text, ctx) => {
    try {
      return parseInstant(text, name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** `GET /datasets/{name}/rows`: `last=N`, or `start`/`end` (inclusive/exclusive) with paging. */
export const rowsQuery = z
  .object({
    last: z.coerce.number().int().min(1).max(10_000).optional(),
    start: instant('start').optional().describe('inclusive; ISO 8601, or epoch seconds or milliseconds'),
    end: instant('end').optional().describe('exclusive; ISO 8601, or epoch seconds or milliseconds'),
    version: z.coerce.number().int().positive().optional(),
    column: z.string().min(1).max(255).optional(),
    columns: z
      .string()
      .min(1)
      .max(64 * 1024)
      .optional()
      .transform((text) => text?.split(',').filter((name) => name.length > 0))
      .describe('comma-separated columns to return (the time column always comes too); default all'),
    order: z
      .enum(['asc', 'desc'])
      .optional()
      .describe('last=N: desc (default) newest first, or asc; a range is always ascending'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();

export const promoteVersionBody = z
  .object({ reason: z.string().trim().min(3, 'say why the version is promoted').max(2000) })
  .strict();

// ---- version metadata: tags, description, diff ------------------------------------------------------

const versionTag = z.string().regex(TAG_PATTERN, "a tag: 1–64 of letters, digits, '.', '_', '-'");
const tagList = z.array(versionTag).max(MAX_TAGS);

/** `GET /datasets/{name}/versions?tag=`: only the versions carrying the tag. */
export const listVersionsQuery = paginationQuery.extend({ tag: versionTag.optional() });

/** A version number, or `latest` for the dataset's current version. */
const versionRef = z.union([z.literal('latest'), z.coerce.number().int().positive()]);

/** `GET /datasets/{name}/versions/{v}/diff/{other}`. */
export const versionDiffPath = datasetPath.extend({ v: versionRef, other: versionRef });

/** `PATCH /datasets/{name}/versions/{v}`: `tags` replaces them, `add_tags`/`remove_tags` edit them. */
export const updateVersionBody = z
  .object({
    tags: tagList.optional(),
    add_tags: tagList.optional(),
    remove_tags: tagList.optional(),
    description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'give tags, add_tags, remove_tags or description',
  })
  .transform((b) => ({
    ...(b.tags !== undefined && { tags: b.tags }),
    ...(b.add_tags !== undefined && { add: b.add_tags }),
    ...(b.remove_tags !== undefined && { remove: b.remove_tags }),
    ...(b.description !== undefined && { description: b.description }),
  }));

const severityCuts = z
  .object({
    low: z.number().nonnegative(),
    moderate: z.number().nonnegative(),
    high: z.number().nonnegative(),
    critical: z.number().nonnegative(),
  })
  .strict()
  .refine((c) => c.low <= c.moderate && c.moderate <= c.high && c.high <= c.critical, {
    message: 'cuts must be ascending: low ≤ moderate ≤ high ≤ critical',
  });

/**
 * `PUT /datasets/{name}/drift-settings`: snake_case, like the other settings bodies. Replaces the
 * dataset's settings whole; an omitted field is unset (a gate off, the current version as reference).
 */
export const driftSettingsBody = z
  .object({
    drift_gate: z.enum(SEVERITIES).optional(),
    quality_gate: z.enum(QUALITY_STATUSES).optional(),
    reference_version: z.number().int().positive().optional(),
    label_column: z.string().min(1).max(255).optional(),
    prediction_column: z.string().min(1).max(255).optional(),
    time_column: z.string().min(1).max(255).optional(),
    identifier_columns: z
      .array(z.string().min(1).max(255))
      .max(1000)
      .optional()
      .describe('columns never compared for drift (identifiers); a column the file lacks is ignored'),
    infer_identifiers: z
      .boolean()
      .optional()
      .describe(
        'default true: exclude columns that are unique on both sides and named like an id or ordered in the file; false compares every column not in identifier_columns',
      ),
    thresholds: z
      .object({
        psi: severityCuts.optional(),
        js_divergence: severityCuts.optional(),
        ks_statistic: severityCuts.optional(),
        mean_shift_sd: severityCuts.optional(),
        log_std_ratio: severityCuts.optional(),
        null_fraction_delta: severityCuts.optional(),
        new_category_fraction: severityCuts.optional(),
        alpha: z.number().gt(0).lt(1).optional(),
        performance_degradation: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform(({ thresholds: t, ...s }) => ({
    driftGate: s.drift_gate,
    qualityGate: s.quality_gate,
    referenceVersion: s.reference_version,
    labelColumn: s.label_column,
    predictionColumn: s.prediction_column,
    timeColumn: s.time_column,
    identifierColumns: s.identifier_columns,
    inferIdentifiers: s.infer_identifiers,
    thresholds: t && {
      psi: t.psi,
      jsDivergence: t.js_divergence,
      ksStatistic: t.ks_statistic,
      meanShiftSd: t.mean_shift_sd,
      logStdRatio: t.log_std_ratio,
      nullFractionDelta: t.null_fraction_delta,
      newCategoryFraction: t.new_category_fraction,
      alpha: t.alpha,
      performanceDegradation: t.performance_degradation,
    },
  }));

/**
 * An uploader's metadata: the shape here, the bounds in domain/file-record.ts (`checkUploadMetadata`), so
 * metadata that is too large is a 422 MetadataTooLargeError rather than a schema error. A value's length is
 * capped here only to bound the request.
 */
const uploadMetadata = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'metadata keys: lower-case letters, digits, -'),
    z.string().max(4096),
  )
  .describe(
    `kept on the object (x-amz-meta-*) and on the file record (\`GET /files/{id}\` → \`metadata\`, filter \`GET /files?metadata=key:value\`): at most ${USER_METADATA_LIMITS.maxKeys} keys, values of printable ASCII up to ${USER_METADATA_LIMITS.maxValueLength} characters, ${USER_METADATA_LIMITS.maxBytes} bytes of keys and values in all, else 422 MetadataTooLargeError; \`data-type\`, \`format\` and \`strata-*\` are strata's (400), except \`strata-model\` (\`name@1.2.0\`) and \`strata-input\` (\`dataset@v3\`), which declare lineage`,
  );

export const uploadRequestBody = z
  .object({
    dataset: z.string().min(1).max(63),
    fileName: z.string().min(1).max(255),
    size: z
      .number()
      .int()
      .min(1)
      .describe(
        "bytes the PUT will send: signed into the URL, which takes a body of exactly this length and no other; at most the deployment's upload limit (default 5 GiB, S3's single-PUT maximum), else 422 UploadTooLargeError",
      ),
    dataType: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
    format: z.enum(['csv', 'jsonl', 'json', 'parquet']).optional(),
    contentType: z.string().max(255).optional(),
    metadata: uploadMetadata.optional(),
  })
  .strict();

export const uploadRequestsBody = z.object({ files: z.array(uploadRequestBody).min(1).max(100) }).strict();

const lowerFileStatuses = FILE_STATUSES.map((s) => s.toLowerCase() as Lowercase<FileStatus>);

/**
 * `GET /files?status=&type=&dataset=`. Status in lower case, or upper case as file records spell it
 * (`QUARANTINED`): both are listed, so the document still names every accepted value.
 */
export const listFilesQuery = paginationQuery.extend({
  status: z
    .enum([...lowerFileStatuses, ...FILE_STATUSES])
    .transform((s) => s.toUpperCase() as FileStatus)
    .optional()
    .describe('a file status, lower or upper case'),
  type: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
  dataset: z.string().min(1).max(63).optional(),
  metadata: z
    .string()
    .min(3)
    .max(4096)
    .transform((text, ctx) => {
      try {
        return parseMetadataFilter(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional()
    .describe(
      'user metadata filter: `key:value`, several comma-separated (or the parameter repeated); every pair must match exactly',
    ),
  key: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe(
      "an object key (an upload URL's `key`): the file(s) uploaded there; another tenant's key finds nothing",
    ),
});

/** `POST /training-sets`; `type` is the data type, as in `GET /files`. */
export const createTrainingSetBody = z
  .object({
    dataset: z.string().min(1).max(63).optional(),
    // With dataset: that version's table (every data file of its Delta version), not a file selection.
    version: z.number().int().positive().optional(),
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
  .refine((body) => body.version === undefined || body.dataset !== undefined, {
    message: 'version names a version of a dataset: give dataset too',
    path: ['version'],
  })
  .transform(({ type, ...criteria }) => ({ ...criteria, ...(type && { dataType: type }) }));

export const trainingSetPath = z.object({
  id: z.string().regex(/^ts_[A-Za-z0-9_-]{1,64}$/, 'not a training-set id'),
});

// Lifecycle routes take snake_case bodies (the published API's names); their answers are camelCase like
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
    table_retention_days: retentionShape.tableRetentionDays,
  })
  .strict()
  .transform(({ days_old, grace_days, archive_after_uses, table_retention_days }) => ({
    daysOld: days_old,
    graceDays: grace_days,
    archiveAfterUses: archive_after_uses,
    tableRetentionDays: table_retention_days,
  }));

/** `POST /datasets/{name}/vacuum`: a dry run answers what would be deleted and deletes nothing. */
export const vacuumBody = z
  .object({ dry_run: z.boolean().default(false).describe('answer what would be deleted; delete nothing') })
  .strict()
  .transform(({ dry_run }) => ({ dryRun: dry_run }));

/** `POST /cleanup`: `days_old` overrides the stored policy; `dry_run` is required, the call can delete. */
export const cleanupBody = z
  .object({ days_old: retentionShape.daysOld.optional(), dry_run: z.boolean() })
  .strict()
  .transform(({ days_old, dry_run }) => ({ daysOld: days_old, dryRun: dry_run }));

// ---- feature store (snake_case bodies: `feature_refs`, `entity_keys`) ----------

export const featurePath = z.object({ name: z.string().min(1).max(63) });

const semver = z.string().regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'a version MAJOR.MINOR.PATCH');
const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const registerFeatureBody = z
  .object({
    version: semver.optional(),
    description: z.string().max(2000).optional(),
    metadata: z.record(z.string().min(1).max(128), z.string().max(1024)).optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
    source: z.union([
      z
        .object({ dataset: z.string().min(1).max(63), version: z.number().int().positive().optional() })
        .strict(),
      z
        .object({
          inline: z.record(z.string().min(1), z.array(cell)),
          types: z
            .record(z.string().min(1), z.enum(COLUMN_TYPES))
            .optional()
            .describe(
              "inline columns' types (timestamps as epoch ms or ISO 8601); a column not named is inferred from its values, the timestamp column is always a timestamp",
            ),
        })
        .strict(),
    ]),
    entity_keys: z
      .array(z.string().min(1))
      .max(5)
      .default([])
      .describe(
        'the columns naming an entity; a static table may have none (it is then served offline only)',
      ),
    timestamp_column: z
      .string()
      .min(1)
      .optional()
      .describe(
        "the rows' event time; absent, the version is a static table: served whole offline and online by its entity key, never point in time",
      ),
    /** A feature spec without its entity keys and timestamp column (they are the ones above). */
    transform: z.record(z.string(), z.unknown()).optional(),
    split: z
      .object({
        train: z.number().min(0).max(1),
        validation: z.number().min(0).max(1),
        test: z.number().min(0).max(1),
        seed: z.number().int().min(0).optional(),
        time_ordered: z.boolean().optional(),
      })
      .strict()
      .optional(),
    normalization: z
      .object({
        method: z.enum(['zscore', 'minmax', 'robust', 'none']),
        columns: z.array(z.string().min(1)).optional(),
        exclude: z.array(z.string().min(1)).optional(),
        per_column: z.record(z.string().min(1), z.enum(['zscore', 'minmax', 'robust', 'none'])).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform((b) => ({
    version: b.version,
    description: b.description,
    metadata: b.metadata,
    tags: b.tags,
    source: b.source,
    entityKeys: b.entity_keys,
    timestampColumn: b.timestamp_column,
    transform: b.transform,
    split: b.split && {
      train: b.split.train,
      validation: b.split.validation,
      test: b.split.test,
      seed: b.split.seed,
      timeOrdered: b.split.time_ordered,
    },
    normalization: b.normalization && {
      method: b.normalization.method,
      ...(b.normalization.columns && { columns: b.normalization.columns }),
      ...(b.normalization.exclude && { exclude: b.normalization.exclude }),
      ...(b.normalization.per_column && { perColumn: b.normalization.per_column }),
    },
  }));

export const getFeaturesQuery = z
  .object({
    version: semver.optional(),
    split: z.enum(['train', 'validation', 'test', 'all']).optional(),
    format: z.enum(['json', 'parquet']).default('json'),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
    cursor: z.string().regex(/^\d+$/).optional(),
  })
  .strict();

const entityKey = z.union([
  z.string(),
  z.number(),
  z.array(z.union([z.string(), z.number()])),
  z.record(z.string(), z.union([z.string(), z.number()])),
]);

export const onlineFeaturesBody = z
  .object({
    feature_refs: z.array(z.string().min(1)).min(1).max(20),
    entity_keys: z.array(entityKey).min(1).max(100),
  })
  .strict();

export const historicalFeaturesBody = z
  .object({
    feature_refs: z.array(z.string().min(1)).min(1).max(20),
    entity_rows: z
      .array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])))
      .min(1)
      .max(10_000),
    /** The field of each entity row that holds its instant. Default `timestamp`. */
    timestamp_field: z.string().min(1).default('timestamp'),
  })
  .strict();

/** `POST /datasets/{name}/predictions`. */
export const predictionsBody = z
  .object({
    model: z
      .object({
        name: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'a model name: lower-case letters, digits, _ . -'),
        version: semver,
      })
      .strict(),
    input_version: z.number().int().positive().optional(),
    timestamp_column: z.string().min(1).default('timestamp'),
    rows: z
      .array(z.record(z.string().min(1), cell))
      .min(1)
      .max(10_000),
  })
  .strict()
  .transform((b) => ({
    model: b.model,
    inputVersion: b.input_version,
    timestampColumn: b.timestamp_column,
    rows: b.rows,
  }));

/**
 * `POST /datasets/{name}/rows`: rows (`[{column: value}]`) or columns (`{column: [values]}`), scalar cells.
 * Bounded by bytes (ROWS_MAX_BYTES in app/datasets/ingest-rows.ts), not by a row count.
 */
export const ingestRowsBody = z
  .object({
    rows: z
      .array(z.record(z.string().min(1).max(1024), cell))
      .min(1)
      .optional()
      .describe('row objects; a key a row lacks is null there'),
    columns: z
      .record(z.string().min(1).max(1024), z.array(cell))
      .optional()
      .describe('columns of equal length, instead of rows'),
    metadata: uploadMetadata.optional(),
    dataType: z.enum(['sample', 'red_team', 'combined', 'custom', 'model_specific']).optional(),
  })
  .strict()
  .refine((b) => (b.rows === undefined) !== (b.columns === undefined), {
    message: 'send either rows or columns',
  });

// ---- lineage and models -------------------------------------------------------------------------------

/** `GET /lineage/{node+}`: the node as `<type>/<name>`, e.g. `dataset-version/demand/v3`. */
export const lineagePath = z.object({
  node: z
    .string()
    .min(3)
    .max(400)
    .describe(`\`<type>/<name>\`, type one of ${NODE_TYPES.join(', ')}: e.g. \`dataset-version/demand/v3\``),
});

export const lineageQuery = z
  .object({
    direction: z.enum(['up', 'down', 'both']).default('up'),
    depth: z.coerce.number().int().min(1).max(25).default(10),
    format: z.enum(['json', 'mermaid']).default('json'),
  })
  .strict();

export const modelVersionPath = z.object({ name: z.string().min(1).max(63), v: semver });

export const modelLinkBody = z.union([
  z
    .object({
      dataset_version: z
        .object({ dataset: z.string().min(1).max(63), version: z.number().int().positive() })
        .strict(),
    })
    .strict(),
  z.object({ training_set: z.string().regex(/^ts_[A-Za-z0-9_-]{1,64}$/) }).strict(),
  z
    .object({ feature_version: z.object({ name: z.string().min(1).max(63), version: semver }).strict() })
    .strict(),
]);

// ---- connectors -----------------------------------------------------------------------------------

/** `PUT /datasets/{name}/connector`: the source, schedule and switches; secrets only by name. */
export const connectorBody = connectorSettingsSchema;

export const connectorRunPath = datasetPath.extend({
  runId: z.string().regex(CONNECTOR_RUN_ID, 'not a connector run id'),
});
