/**
 * The messages that travel between the trigger and the pipeline stages. Only keys and small facts:
 * Step Functions state is capped at 256 KB, so data stays in S3 and records in DynamoDB.
 */
import { z } from 'zod';
import { TEXT_ENCODINGS } from '../domain/parse/encoding.js';

export const objectRefSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  versionId: z.string().min(1).optional(),
  eTag: z.string().optional(),
});

/** What the trigger hands to the state machine for one S3 object. */
export const ingestionInputSchema = z.object({
  object: objectRefSchema,
  size: z.number().int().nonnegative().optional(),
  eventTime: z.string().optional(),
  /** Set by `POST /runs/{id}/retry`: the run this execution retries (the object is that run's). */
  retryOf: z.string().optional(),
});
export type IngestionInput = z.infer<typeof ingestionInputSchema>;

export const registerOutputSchema = z.object({
  fileId: z.string(),
  tenant: z.string(),
  dataset: z.string(),
  object: objectRefSchema,
  sha256: z.string(),
  size: z.number(),
  format: z.string(),
  dataType: z.string(),
  /** REGISTERED → continue; DUPLICATE → the state machine ends here. */
  outcome: z.enum(['REGISTERED', 'DUPLICATE']),
  /** Lineage the file declared in its metadata (model, input version). */
  links: z
    .object({
      model: z.object({ name: z.string(), version: z.string() }).optional(),
      input: z.object({ dataset: z.string(), version: z.number().int().positive() }).optional(),
    })
    .optional(),
});
export type RegisterOutput = z.infer<typeof registerOutputSchema>;

/**
 * The Catch of any stage, as the state machine's `<stage> failed` Pass state shapes it: the object,
 * the stage that failed, and Step Functions' `{Error, Cause}`.
 */
export const stageFailureSchema = z.object({
  object: objectRefSchema,
  failedStage: z.string().min(1),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});
export type StageFailure = z.infer<typeof stageFailureSchema>;

/**
 * The S3 event notification shape, as S3 sends it to Lambda (and MinIO to a webhook). Keys arrive
 * URL-encoded with `+` for spaces.
 */
export const s3EventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        eventTime: z.string().optional(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({
            key: z.string(),
            size: z.number().optional(),
            eTag: z.string().optional(),
            versionId: z.string().optional(),
            sequencer: z.string().optional(),
          }),
        }),
      }),
    )
    .min(1),
});
export type S3EventInput = z.infer<typeof s3EventSchema>;

export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

const columnSchemaSchema = z.object({
  name: z.string(),
  type: z.enum(['int', 'float', 'bool', 'string', 'timestamp']),
  nullable: z.boolean(),
});
export const tableSchemaSchema = z.object({ columns: z.array(columnSchemaSchema) });

/** What a parse counted (domain/parse/parsed-file.ts ParseMetrics): of a file, or of one of its chunks. */
const parseMetricsSchema = z.object({
  recordsRead: z.number(),
  recordsWritten: z.number(),
  recordsFailed: z.number(),
  duplicatesDropped: z.number(),
  bytesRead: z.number(),
  durationMs: z.number(),
  errorRate: z.number(),
});

/**
 * Output of the parse stage: where the canonical staged Parquet is and what it holds. Not the schema: a
 * file may have thousands of columns with long names, and the staged file's footer holds it anyway, which
 * every later stage opens (`openParquet(...).schema`).
 */
export const parseOutputSchema = z.object({
  stagedKey: z.string(),
  /**
   * A file parsed in chunks: its data is staged as chunk files 0..chunkCount-1 (`stagedChunkKey`), and
   * `stagedKey` is the first one's key. Absent: the one staged file at `stagedKey`.
   */
  chunkCount: z.number().int().positive().optional(),
  columnCount: z.number().int().nonnegative(),
  rowCount: z.number().int().nonnegative(),
  /** SHA-256 of the staged Parquet bytes: the version's content hash. */
  contentHash: z.string(),
  metrics: parseMetricsSchema,
  /** Text formats: what the bytes were decoded as. */
  encoding: z.object({ name: z.enum(TEXT_ENCODINGS), bom: z.boolean() }).optional(),
  /** Header names the parser changed (blank or repeated); the names themselves are on the file record. */
  renamedColumnCount: z.number().int().nonnegative().optional(),
  /**
   * The staged data's profile (reports/), made while it was written: the profile stage publishes it
   * instead of reading the staged file. Absent when the parse could not make it final (profileAlong).
   */
  profileKey: z.string().optional(),
  /**
   * The staged data's validation report (reports/), made while it was written, and whether its suite was
   * inferred from the schema: the validate stage judges it instead of reading the staged file. Absent
   * when the parse left the validation to that stage (validationAlong).
   */
  validation: z.object({ reportKey: z.string(), inferredSuite: z.boolean() }).optional(),
});
export type ParseOutput = z.infer<typeof parseOutputSchema>;

/**
 * The parse result as later stages accept it. An execution in flight when this code is deployed carries
 * the previous parse function's output: the whole `schema`, no `columnCount`. Both are accepted; the
 * stages read the schema from the staged file either way.
 */
const parseStateSchema = parseOutputSchema.extend({
  columnCount: z.number().int().nonnegative().optional(),
  schema: tableSchemaSchema.optional(),
});

export const validateOutputSchema = z.object({
  status: z.enum(['PASSED', 'WARNING']),
  reportKey: z.string(),
  errors: z.number(),
  warnings: z.number(),
  /** The suite came from the first version's inferred schema, not from the API. */
  inferredSuite: z.boolean(),
});
export type ValidateOutput = z.infer<typeof validateOutputSchema>;

export const profileOutputSchema = z.object({
  profileKey: z.string(),
  rowCount: z.number(),
});
export type ProfileOutput = z.infer<typeof profileOutputSchema>;

export const qualityOutputSchema = z.object({
  status: z.enum(['EXCELLENT', 'GOOD', 'FAIR', 'POOR', 'CRITICAL']),
  score: z.number(),
  issues: z.number().int().nonnegative(),
  reportKey: z.string(),
  htmlKey: z.string(),
});
export type QualityOutput = z.infer<typeof qualityOutputSchema>;

export const driftOutputSchema = z.object({
  status: z.enum(['COMPARED', 'NO_REFERENCE']),
  severity: z.enum(['NONE', 'LOW', 'MODERATE', 'HIGH', 'CRITICAL']),
  referenceVersion: z.number().int().positive().optional(),
  /** The Delta version of the dataset's table drift read as the reference (absent: a held reference's staged file). */
  referenceDeltaVersion: z.number().int().nonnegative().optional(),
  reportKey: z.string(),
  htmlKey: z.string(),
});
export type DriftOutput = z.infer<typeof driftOutputSchema>;

/** The state each stage receives: the trigger's input plus the results of the stages before it. */
export const afterRegisterSchema = ingestionInputSchema.extend({ file: registerOutputSchema });
export const afterParseSchema = afterRegisterSchema.extend({ parse: parseStateSchema });
export const afterValidateSchema = afterParseSchema.extend({ validate: validateOutputSchema });
export const afterProfileSchema = afterValidateSchema.extend({ profile: profileOutputSchema });
export const afterQualitySchema = afterProfileSchema.extend({ quality: qualityOutputSchema });
/**
 * What the version stage receives. Quality and drift are optional so that an execution started by the
 * previous state machine (profile → version) still completes when the new function code is deployed.
 */
export const afterDriftSchema = afterProfileSchema.extend({
  quality: qualityOutputSchema.optional(),
  drift: driftOutputSchema.optional(),
});

/**
 * The result of an ingestion, returned by the version stage: the execution's
 * output. Bounded like all state: `columns` holds the first column names only (`outputColumns` in
 * app/version-dataset.ts), `column_count` says how many there are and `columns_truncated` whether names
 * were left out; the whole schema is on the version (`GET /datasets/{name}/versions/{v}`) and in the
 * snapshot.
 */
export const versionOutputSchema = z.object({
  dataset_id: z.string(),
  status: z.enum(['VERSIONED', 'HELD']),
  version: z.number(),
  rows_ingested: z.number(),
  columns: z.array(z.string()),
  column_count: z.number().int().nonnegative(),
  columns_truncated: z.boolean(),
  /** The Delta version of the dataset's table that committed the file; null while it is held (staged). */
  table_version: z.number().int().nonnegative().nullable(),
  promoted: z.boolean(),
});
export type VersionOutput = z.infer<typeof versionOutputSchema>;

/**
 * Output of the split stage: whether the file is parsed whole (the parse stage) or in chunks (a
 * Distributed Map over the chunk list at `planKey`, then the merge stage). Only keys and counts: the chunk
 * list itself may be long, so it is an S3 object the Map reads.
 */
export const splitOutputSchema = z.object({
  chunked: z.boolean(),
  /** A text file: its chunks are scanned first (the first pass), then settled, then converted. */
  scan: z.boolean().optional(),
  chunkCount: z.number().int().nonnegative(),
  bucket: z.string().optional(),
  planKey: z.string().optional(),
});
export type SplitOutput = z.infer<typeof splitOutputSchema>;
export const afterSplitSchema = afterRegisterSchema.extend({ split: splitOutputSchema });

/**
 * One chunk of a file: Parquet row groups, or a byte range of a text file ([start, end): the records that
 * start in it; a scan's start is the raw cut, a convert's the chunk's settled first record).
 */
export const chunkSchema = z.object({
  index: z.number().int().nonnegative(),
  /** `scan`: a text chunk's first pass (inference); `convert` (default): its rows to staged Parquet. */
  step: z.enum(['scan', 'convert']).optional(),
  rowGroups: z.array(z.number().int().nonnegative()).optional(),
  start: z.number().int().nonnegative().optional(),
  end: z.number().int().nonnegative().optional(),
});
export type Chunk = z.infer<typeof chunkSchema>;

/** What a chunk's Lambda receives from the Map's ItemSelector: the file, its chunk and how many there are. */
export const chunkStateSchema = z.object({
  file: registerOutputSchema,
  chunk: chunkSchema,
  chunkCount: z.number().int().positive(),
  /**
   * Present in the quality Map after validation: assess the chunk's staged rows against the whole file's
   * profile (the merge's, at `profileKey`) instead of parsing it.
   */
  assess: z.object({ profileKey: z.string() }).optional(),
});

/**
 * What a chunk leaves for the merge (at chunkResultKey, not in the state: a Map of thousands of chunks
 * would outgrow it). A chunk whose input is bad records the typed error instead of failing, so that the
 * merge can fail the file with that error by its own name, as the single path would.
 */
export const chunkResultSchema = z.object({
  index: z.number().int().nonnegative(),
  rowCount: z.number().int().nonnegative(),
  columnCount: z.number().int().nonnegative(),
  contentHash: z.string(),
  metrics: parseMetricsSchema,
  error: z.object({ name: z.string(), message: z.string() }).optional(),
  /** The merge dropped this chunk's rows whose key an earlier row of the file holds (chunk-dedup.ts). */
  dedupApplied: z.boolean().optional(),
});
export type ChunkResult = z.infer<typeof chunkResultSchema>;

/**
 * The merge's answer: the parse output of the whole file (its chunks), the merged profile, and whether its
 * quality is assessed in the chunks (the Assess Map runs only then).
 */
export const mergeOutputSchema = z.object({
  parse: parseOutputSchema,
  profile: profileOutputSchema,
  assess: z.boolean(),
});
export type MergeOutput = z.infer<typeof mergeOutputSchema>;
