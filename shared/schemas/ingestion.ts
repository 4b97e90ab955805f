/**
 * The messages that travel between the trigger and the pipeline stages. Only keys and small facts:
 * Step Functions state is capped at 256 KB, so data stays in S3 and records in DynamoDB.
 */
import { z } from 'zod';

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
