import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR } from './paths.js';
import { ensureDeltaRs } from './servers/delta-rs.js';
import { ensureDynamoDbLocal } from './servers/dynamodb-local.js';
import { ensureLocalStack } from './servers/localstack.js';
import { ensureMinio } from './servers/minio.js';
import { ensureMoto } from './servers/moto.js';

/** What `ensureServers` installed, by server: the path its start function runs. */
export interface InstalledServers {
  minio: string;
  dynamodbLocal: string;
  localstack: string;
  moto: string;
}

/**
 * Installs the local servers into CACHE_DIR, or checks they are there (about a second when they
 * are). From scratch this needs go, mvn + a JDK 17+, CPython 3.13 and the package registries, and takes
 * ~5 min, most of it MinIO's compile. Sequential: the machine has 2 cores and each step uses them all.
 */
export async function ensureServers(log: (msg: string) => void): Promise<InstalledServers> {
  log(`cache: ${CACHE_DIR}`);
  const minio = await timed('MinIO', log, () => ensureMinio(log));
  const dynamodbLocal = await timed('DynamoDB Local', log, () => ensureDynamoDbLocal(log));
  const localstack = await timed('LocalStack', log, () => ensureLocalStack(log));
  const moto = await timed('moto (Glue Data Catalog)', log, () => ensureMoto(log));
  await timed('delta-rs (conformance tests)', log, () => ensureDeltaRs(log));
  return { minio, dynamodbLocal, localstack, moto };
}

async function timed(name: string, log: (msg: string) => void, install: () => Promise<string>) {
  const started = Date.now();
  const path = await install();
  log(`${name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${path})`);
  return path;
}

function isMain(): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  ensureServers((msg) => console.log(`[install] ${msg}`)).catch((error: unknown) => {
    console.error(`[install] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
