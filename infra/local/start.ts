/**
 * `npm start` and `strata up`: installs what is missing, starts the local cloud on 127.0.0.1, deploys the
 * app into it and stays up until Ctrl-C (or SIGTERM, which `strata down` sends). Data persists in
 * .strata/local between runs (delete it for a clean slate).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalCloud, type LocalCloudInfo, type Ports, startLocalCloud } from './cloud.js';
import { REPO_ROOT, STATE_DIR } from './paths.js';

export interface RunLocalCloudOptions {
  /** Holds cloud.json and (in local/) the servers' data. Default: the checkout's .strata/. */
  stateDir?: string;
  /** Ports to listen on (0 = a free one). Default: the fixed ones, so the printed URLs stay the same. */
  ports?: Partial<Ports>;
  /** Started by `strata up` (the banner then shows `strata …` without the alias line). */
  fromCli?: boolean;
  /** Where the log and the banner go (default stdout; `strata up --json` keeps stdout for its JSON). */
  output?: NodeJS.WritableStream;
  /** Called once the cloud is up and the cloud file written. */
  onReady?: (info: LocalCloudInfo) => void;
}

/** What the cloud file holds: the cloud's endpoints, and the pid that `strata down` signals. */
export type CloudFileContent = LocalCloudInfo & { pid: number };

/**
 * Starts the local cloud in this process and keeps it up: writes `<stateDir>/cloud.json` (tests and the
 * CLI find the running cloud there), prints how to use it, and on SIGINT or SIGTERM stops every server,
 * removes the file and exits 0. A failed start exits 1.
 */
export async function runLocalCloud(options: RunLocalCloudOptions = {}): Promise<LocalCloud> {
  const stateDir = options.stateDir ?? STATE_DIR;
  const cloudFile = join(stateDir, 'cloud.json');
  const started = Date.now();
  const out = options.output ?? process.stdout;
  const log = (message: string) => out.write(`[strata] ${message}\n`);

  let cloud: LocalCloud | undefined;
  let stopping = false;

  async function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the local cloud…`);
    rmSync(cloudFile, { force: true });
    await cloud?.stop();
    log('stopped');
    process.exit(0);
  }
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    cloud = await startLocalCloud({
      dataDir: join(stateDir, 'local'),
      ...(options.ports && { ports: options.ports }),
      log,
    });
  } catch (error) {
    log(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  }
  const { info } = cloud;
  // Tests and tools that find this file reuse the running cloud instead of starting their own.
  const content: CloudFileContent = { ...info, pid: process.pid };
  writeFileSync(cloudFile, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  // The CLI's bundle (npm ci builds it); `npm link` would put it on the PATH for good.
  const bundle = join(REPO_ROOT, 'dist', 'strata.mjs');
  const build = existsSync(bundle) ? '' : 'npm run build:cli && ';
  const cli = options.fromCli ? '' : `  ${build}alias strata='node ${bundle}'   # or once: npm link\n`;
  out.write(`
strata local cloud is up (${seconds} s)

  API URL        ${info.apiUrl}
  demo API key   ${info.demoApiKey}   (tenant "${info.demoTenant}")
  S3 (MinIO)     ${info.endpoints.s3}   bucket ${info.dataBucket}
  DynamoDB       ${info.endpoints.dynamodb}
  Step Functions ${info.endpoints.stepfunctions}
  Glue catalog   ${info.endpoints.glue}   (datasets' tables: database strata_<tenant>)
  credentials    ${info.credentials.accessKeyId} / ${info.credentials.secretAccessKey}   (local dummies)
  logs           ${join(stateDir, 'local', 'logs')}
  secrets        ${info.secretsFile}   (connector secrets: STRATA_SECRET_<NAME>=value lines)

Try the CLI (it finds this cloud through ${cloudFile}; elsewhere export the two variables):
${cli}  export STRATA_API_URL=${info.apiUrl} STRATA_API_KEY=${info.demoApiKey}
  strata ingest events/data/customers.csv events/data/ragged.csv --dataset customers
  strata datasets
  strata versions customers
  strata drift customers            # --open shows the HTML report
  strata select --dataset customers --combine parquet
  strata consume <training set id> --job first-job
  strata lineage dataset-version/customers/v1 --direction down --mermaid
  strata cleanup --days 30          # a dry run; --apply deletes
  strata --help

Or the API directly:
  curl -s ${info.apiUrl}/health
  # upload through a presigned URL (the S3 event runs the pipeline)
  curl -s -X POST -H 'x-api-key: ${info.demoApiKey}' -H 'content-type: application/json' \\
    -d '{"dataset":"customers","fileName":"customers.csv","size":'"$(wc -c < events/data/customers.csv)"'}' \\
    ${info.apiUrl}/files/upload-url
  # the URL takes exactly the declared size (curl -T sends the file's length as content-length)
  curl -X PUT -H 'if-none-match: *' -T events/data/customers.csv '<url from the answer>'
  # or drop a file with any S3 client
  AWS_ACCESS_KEY_ID=${info.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${info.credentials.secretAccessKey} \\
    aws --endpoint-url ${info.endpoints.s3} s3 cp events/data/customers.csv s3://${info.dataBucket}/fresh/${info.demoTenant}/customers/customers.csv
  curl -s -H 'x-api-key: ${info.demoApiKey}' ${info.apiUrl}/datasets/customers/versions

Ctrl-C (or \`strata down\` in another terminal) stops everything.
`);
  options.onReady?.(info);
  return cloud;
}

// `npm start` runs this file; `strata up` imports it and calls runLocalCloud itself.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runLocalCloud();
