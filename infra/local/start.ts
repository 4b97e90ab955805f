/**
 * `npm start`: installs what is missing, starts the local cloud on 127.0.0.1, deploys the app into it
 * and stays up until Ctrl-C. Data persists in .strata/local between runs (delete it for a clean slate).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalCloud, startLocalCloud } from './cloud.js';
import { STATE_DIR } from './paths.js';

const CLOUD_FILE = join(STATE_DIR, 'cloud.json');
const started = Date.now();
const log = (message: string) => process.stdout.write(`[strata] ${message}\n`);

let cloud: LocalCloud | undefined;
let stopping = false;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping the local cloud…`);
  rmSync(CLOUD_FILE, { force: true });
  await cloud?.stop();
  log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  cloud = await startLocalCloud({ dataDir: join(STATE_DIR, 'local'), log });
} catch (error) {
  log(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
const { info } = cloud;
// Tests and tools that find this file reuse the running cloud instead of starting their own.
writeFileSync(CLOUD_FILE, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });

const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(`
strata local cloud is up (${seconds} s)

  API URL        ${info.apiUrl}
  demo API key   ${info.demoApiKey}   (tenant "${info.demoTenant}")
  S3 (MinIO)     ${info.endpoints.s3}   bucket ${info.dataBucket}
  DynamoDB       ${info.endpoints.dynamodb}
  Step Functions ${info.endpoints.stepfunctions}
  credentials    ${info.credentials.accessKeyId} / ${info.credentials.secretAccessKey}   (local dummies)
  logs           ${join(STATE_DIR, 'local', 'logs')}

Try:
  curl -s ${info.apiUrl}/health
  # upload through a presigned URL (the S3 event runs the pipeline)
  curl -s -X POST -H 'x-api-key: ${info.demoApiKey}' -H 'content-type: application/json' \\
    -d '{"dataset":"customers","fileName":"customers.csv"}' ${info.apiUrl}/files/upload-url
  curl -X PUT -H 'if-none-match: *' -T events/data/customers.csv '<url from the answer>'
  # or drop a file with any S3 client
  AWS_ACCESS_KEY_ID=${info.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${info.credentials.secretAccessKey} \\
    aws --endpoint-url ${info.endpoints.s3} s3 cp events/data/customers.csv s3://${info.dataBucket}/fresh/${info.demoTenant}/customers/customers.csv
  curl -s -H 'x-api-key: ${info.demoApiKey}' ${info.apiUrl}/datasets/customers/versions

Ctrl-C stops everything.
`);
