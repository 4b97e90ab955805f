/**
 * The environment, validated once at cold start. Each function names the variables it needs; a missing
 * or malformed one fails the cold start with every problem listed, instead of failing a request later.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** S3's largest single PUT, so the most a presigned upload URL can ever take. */
export const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;

const fields = {
  /** Set by Lambda; locally by the host. */
  AWS_REGION: z.string().min(1),
  DATA_BUCKET: z.string().min(3),
  METADATA_TABLE: z.string().min(1),
  VERSIONS_TABLE: z.string().min(1),
  LINEAGE_TABLE: z.string().min(1),
  FEATURES_TABLE: z.string().min(1),
  ONLINE_FEATURES_TABLE: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** Optional: an OpenLineage HTTP consumer (Marquez); run events are POSTed to `<url>/api/v1/lineage`. */
  OPENLINEAGE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The connector pull function, started asynchronously by the scheduler and the API. */
  CONNECTOR_FUNCTION: z.string().min(1),
  /** What connector hosts may be: `public` addresses only, or also `private` ones (a pull function in a VPC). */
  CONNECTOR_NETWORK_POLICY: z.enum(['public', 'private']),
  /**
   * The deployment's own buckets, comma-separated: names only, no access. Connectors may not name them
   * as a source (a copy would bypass the per-tenant scoping of every other path to their objects).
   */
  DEPLOYMENT_BUCKETS: z
    .string()
    .min(3)
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== ''),
    ),
  /**
   * Optional: the largest upload (bytes) a presigned URL is handed out for; the size is signed into the URL.
   * Default and ceiling: S3's single-PUT maximum.
   */
  UPLOAD_MAX_BYTES: z
    .string()
    .regex(/^[0-9]+$/, 'a whole number of bytes')
    .transform(Number)
    .pipe(z.number().int().min(1).max(S3_MAX_PUT_BYTES))
    .default(S3_MAX_PUT_BYTES),
  /** Connector secrets are `<prefix><tenant>/<name>` in Secrets Manager; the pull function may read only those. */
  SECRETS_PREFIX: z.string().min(1).endsWith('/'),
  /**
   * Endpoint overrides: absent in AWS, set by the local host (MinIO, DynamoDB Local, LocalStack).
   * The only place an endpoint enters the code is wiring.ts.
   */
  STRATA_S3_ENDPOINT: z.url().optional(),
  STRATA_DYNAMODB_ENDPOINT: z.url().optional(),
  STRATA_SFN_ENDPOINT: z.url().optional(),
  STRATA_LAMBDA_ENDPOINT: z.url().optional(),
  /** The Glue Data Catalog datasets' tables are registered in: the local cloud's Glue server (moto). */
  STRATA_GLUE_ENDPOINT: z.url().optional(),
  /** Local cloud only: the lambda host refuses Invoke API calls without its per-start token. */
  STRATA_LAMBDA_HOST_TOKEN: z.string().min(32).optional(),
  /**
   * Local cloud only: connector secrets come from `STRATA_SECRET_<NAME>` variables and this dotenv file
   * instead of Secrets Manager.
   */
  STRATA_SECRETS_FILE: z.string().min(1).optional(),
  /** Local cloud only: `any` lets connectors reach 127.0.0.1, where test sources listen. */
  STRATA_CONNECTOR_NETWORK: z.literal('any').optional(),
  /**
   * Local cloud only: connector secrets as `STRATA_SECRET_<NAME>` variables (collected from the
   * environment, not one variable), read before STRATA_SECRETS_FILE.
   */
  STRATA_LOCAL_SECRETS: z.record(z.string().regex(/^STRATA_SECRET_[A-Z0-9_]+$/), z.string()).optional(),
} as const;

/** The variables that make up STRATA_LOCAL_SECRETS. */
const LOCAL_SECRET_PREFIX = 'STRATA_SECRET_';

type Fields = typeof fields;
export type ConfigKey = Exclude<keyof Fields, 'AWS_REGION' | `STRATA_${string}`>;
type Always = Pick<
  Fields,
  | 'AWS_REGION'
  | 'STRATA_S3_ENDPOINT'
  | 'STRATA_DYNAMODB_ENDPOINT'
  | 'STRATA_SFN_ENDPOINT'
  | 'STRATA_LAMBDA_ENDPOINT'
  | 'STRATA_GLUE_ENDPOINT'
  | 'STRATA_LAMBDA_HOST_TOKEN'
  | 'STRATA_SECRETS_FILE'
  | 'STRATA_CONNECTOR_NETWORK'
  | 'STRATA_LOCAL_SECRETS'
>;

export type Config<K extends ConfigKey = never> = z.infer<z.ZodObject<Always & Pick<Fields, K>>>;

export function loadConfig<K extends ConfigKey>(
  required: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Config<K> {
  const shape: Record<string, z.ZodType> = {
    AWS_REGION: fields.AWS_REGION,
    STRATA_S3_ENDPOINT: fields.STRATA_S3_ENDPOINT,
    STRATA_DYNAMODB_ENDPOINT: fields.STRATA_DYNAMODB_ENDPOINT,
    STRATA_SFN_ENDPOINT: fields.STRATA_SFN_ENDPOINT,
    STRATA_LAMBDA_ENDPOINT: fields.STRATA_LAMBDA_ENDPOINT,
    STRATA_GLUE_ENDPOINT: fields.STRATA_GLUE_ENDPOINT,
    STRATA_LAMBDA_HOST_TOKEN: fields.STRATA_LAMBDA_HOST_TOKEN,
    STRATA_SECRETS_FILE: fields.STRATA_SECRETS_FILE,
    STRATA_CONNECTOR_NETWORK: fields.STRATA_CONNECTOR_NETWORK,
    STRATA_LOCAL_SECRETS: fields.STRATA_LOCAL_SECRETS,
  };
  for (const key of required) shape[key] = fields[key];
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) picked[key] = env[key] === '' ? undefined : env[key];
  const secrets = Object.entries(env).filter(([key, value]) => key.startsWith(LOCAL_SECRET_PREFIX) && value);
  if (secrets.length > 0) picked.STRATA_LOCAL_SECRETS = Object.fromEntries(secrets);
  // strict(): only the variables named above are read, so a typo in the list fails here, not in AWS.
  const result = z.object(shape).strict().safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`, { cause: result.error });
  }
  return result.data as Config<K>;
}
