/**
 * `strata keys create`: API keys are stored (as their SHA-256) in the metadata table, which no HTTP route
 * writes — a key cannot mint keys. So this command talks to DynamoDB with the operator's own AWS
 * credentials: the deployed stack's table (`--table` or STRATA_METADATA_TABLE, default credential chain
 * and region), or, with neither, the running local cloud's table from its cloud.json.
 */
import { createApiKey } from '../app/api-keys.js';
import { InvalidInputError } from '../errors.js';
import { apiKeyStore, clock } from '../wiring.js';
import { readCloudFile } from './config.js';
import { CliError, EXIT } from './exit-codes.js';

export interface KeyTarget {
  table: string;
  region?: string | undefined;
  /** Local cloud only: DynamoDB Local's endpoint and its dummy credentials. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  source: 'aws' | 'local-cloud';
}

/** Where the key goes: an explicit table (AWS), else the running local cloud. */
export function resolveKeyTarget(
  options: { table?: string | undefined; region?: string | undefined },
  env: NodeJS.ProcessEnv,
  cloudFile: string,
): KeyTarget {
  const table = options.table ?? env.STRATA_METADATA_TABLE;
  if (table !== undefined && table !== '') {
    return { table, region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION, source: 'aws' };
  }
  const local = readCloudFile(cloudFile);
  const endpoints = local?.endpoints as { dynamodb?: string } | undefined;
  const credentials = local?.credentials as { accessKeyId: string; secretAccessKey: string } | undefined;
  if (local === undefined || typeof local.metadataTable !== 'string' || endpoints?.dynamodb === undefined) {
    throw new CliError(
      "no metadata table: pass --table (the stack's MetadataTableName output) or set STRATA_METADATA_TABLE, or start a local cloud",
      EXIT.USAGE,
    );
  }
  return {
    table: local.metadataTable,
    region: typeof local.region === 'string' ? local.region : 'us-east-1',
    endpoint: endpoints.dynamodb,
    ...(credentials && { credentials }),
    source: 'local-cloud',
  };
}

export async function createKey(target: KeyTarget, tenant: string, name: string): Promise<string> {
  const { store, destroy } = apiKeyStore(target);
  try {
    return await createApiKey({ apiKeys: store, clock }, tenant, name);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new CliError(error.message, EXIT.USAGE);
    const code = (error as { name?: string }).name ?? 'Error';
    const message = error instanceof Error ? error.message : String(error);
    // A wrong table or missing credentials is the operator's configuration; anything else is AWS's side.
    const usage = code === 'ResourceNotFoundException' || code === 'CredentialsProviderError';
    throw new CliError(`DynamoDB ${code}: ${message}`, usage ? EXIT.USAGE : EXIT.SERVER);
  } finally {
    destroy();
  }
}
