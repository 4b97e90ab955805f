/**
 * The `strata` command: commander wiring, one action per command. Every action returns its exit code or
 * throws; `run` maps what it throws through `exitCodeFor` (exit-codes.ts), so no action decides a code
 * for an error on its own. Human output is tables on stdout; `--json` prints the API's JSON unchanged;
 * notes and progress go to stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { createFeatureStore, type FeatureSplit } from '../client/feature-store.js';
import { ApiError, type ClientConfig } from '../client/http.js';
import { type ConnectorSettingsBody, createStrataClient, type StrataClient } from '../client/strata.js';
import type { ConnectorRunRecord } from '../domain/connector-runs.js';
import { SEVERITIES, type Severity } from '../domain/drift/severity.js';
import { USER_METADATA_KEY } from '../domain/file-record.js';
import { type ApiConfig, cloudFilePath, resolveApiConfig, stateDir } from './config.js';
import {
  CliError,
  describeError,
  EXIT,
  EXIT_CODES_HELP,
  type ExitCode,
  exitCodeFor,
  UnreachableError,
  worstExit,
} from './exit-codes.js';
import {
  formatCleanup,
  formatConnector,
  formatConnectorRun,
  formatConnectorRuns,
  formatConsume,
  formatDatasets,
  formatDrift,
  formatFeatures,
  formatIngest,
  formatLineage,
  formatTrainingSet,
  formatVersions,
} from './format.js';
import { barProgress, ingestFiles, lineProgress } from './ingest.js';
import { createKey, resolveKeyTarget } from './keys.js';
import { down, up } from './local-cloud.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Progress bars only on a terminal. */
  stderrStream?: NodeJS.WriteStream;
  /** Called on Ctrl-C before the process exits 130 (stops progress bars). */
  onInterrupt?: (cleanup: () => void) => void;
  /** All of stdin (`connector set --file -`); default: the process's. */
  readStdin?: () => Promise<string>;
}

const DATA_TYPES = ['sample', 'red_team', 'combined', 'custom', 'model_specific'] as const;
const FORMATS = ['csv', 'jsonl', 'json', 'parquet'] as const;
/** Per HTTP request; the API itself gives up after 30 s. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How often `connector run` asks for its run's record. */
const CONNECTOR_POLL_MS = 500;
/** `connector run --timeout` default: the pull function's own limit (15 minutes). */
const CONNECTOR_TIMEOUT_S = 900;

const CONNECTOR_SETTINGS_HELP = `
The settings file is the body of PUT /datasets/{name}/connector (see README "Pull connectors"):
  {
    "source": { "type": "rest", "url": "https://api.example.com/orders",
                "pagination": { "style": "page", "sizeParam": "per_page", "pageSize": 100 },
                "recordsPath": "$.data", "incrementalField": "updated_at",
                "auth": { "header": "Authorization", "secretName": "orders-api" } },
    "scheduleMinutes": 15,
    "enabled": true,
    "resetWatermark": false
  }
Sources: database (engine, secretName, table or query), rest, s3 (bucket, prefix, endpoint). Secrets are
named, never written here: Secrets Manager strata/<tenant>/<name> (locally STRATA_SECRET_<NAME>).`;

const ENV_HELP = `Configuration:
  STRATA_API_URL   the API's base URL (the stack's ApiUrl output, or the local cloud's)
  STRATA_API_KEY   an API key (x-api-key); the key decides the tenant
  With neither set, the local cloud that \`strata up\` (or \`npm start\`) runs is used, from
  .strata/cloud.json of this checkout (STRATA_STATE_DIR overrides the folder); stderr says so.`;

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/**
 * `--meta key=value`, repeatable: collected into the upload's metadata. The key's form is checked here (the
 * same pattern the API takes); the bounds and reserved keys are the API's to refuse, with its typed error.
 */
export function metaPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  const key = eq > 0 ? value.slice(0, eq) : '';
  if (!USER_METADATA_KEY.test(key)) {
    throw new InvalidArgumentError(`--meta takes key=value, a key of lower-case letters, digits and -`);
  }
  if (key in previous) throw new InvalidArgumentError(`--meta ${key} given twice`);
  return { ...previous, [key]: value.slice(eq + 1) };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
    return n;
  };
}

export function severityArg(value: string): Severity {
  const upper = value.toUpperCase();
  const allowed = SEVERITIES.filter((s) => s !== 'NONE');
  if (!(allowed as string[]).includes(upper)) {
    throw new InvalidArgumentError(`a severity: ${allowed.join(', ')}`);
  }
  return upper as Severity;
}

/** `--since`: an ISO 8601 instant, or a duration back from now (`90m`, `36h`, `7d`, `2w`). */
export function parseSince(value: string, now = Date.now()): string {
  const relative = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      relative[2] as 'm' | 'h' | 'd' | 'w'
    ];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at)) {
    throw new InvalidArgumentError(
      '--since takes an ISO 8601 time (2026-11-01T00:00:00Z) or 90m, 36h, 7d, 2w',
    );
  }
  return new Date(at).toISOString();
}

/** The platform's way to open a file in the default browser; `BROWSER` (a command) wins. */
export function openerFor(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): { command: string; args: string[] } {
  const browser = env.BROWSER?.trim();
  if (browser) {
    const [command, ...args] = browser.split(/\s+/);
    return { command: command as string, args };
  }
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

function openFile(file: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const { command, args } = openerFor(process.platform, env);
  return new Promise((resolveOpen) => {
    const child = spawn(command, [...args, file], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolveOpen(false));
    child.once('spawn', () => {
      child.unref();
      resolveOpen(true);
    });
  });
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** `connector set --file`: a JSON object from a file or (`-`) stdin; what is wrong with it is a usage error. */
export async function readSettings(
  file: string,
  readStdin: () => Promise<string> = readProcessStdin,
): Promise<ConnectorSettingsBody> {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${name}: ${(error as Error).message}`, EXIT.USAGE);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not JSON: ${(error as Error).message}`, EXIT.USAGE);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `${name} must hold a JSON object {source, scheduleMinutes?, enabled?, resetWatermark?}`,
      EXIT.USAGE,
    );
  }
  return parsed as ConnectorSettingsBody;
}

/**
 * Polls a connector run every `pollMs` until it ends. The record is 404 until the pull function has
 * written it (just after the start), so 404 means "not yet"; a few server blips do not end the wait, a
 * refusal does. At the timeout: `finished: false` with the last record seen, if any.
 */
export async function waitForConnectorRun(
  api: Pick<StrataClient, 'getConnectorRun'>,
  dataset: string,
  runId: string,
  options: { timeoutMs: number; pollMs?: number },
): Promise<{ finished: boolean; run: ConnectorRunRecord | undefined }> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? CONNECTOR_POLL_MS;
  let run: ConnectorRunRecord | undefined;
  let failures = 0;
  for (;;) {
    try {
      run = await api.getConnectorRun(dataset, runId);
      failures = 0;
    } catch (error) {
      const notYet = error instanceof ApiError && error.status === 404;
      const transient = exitCodeFor(error) === EXIT.SERVER && ++failures <= 5;
      if (!notYet && !transient) throw error;
    }
    if (run && run.status !== 'RUNNING') return { finished: true, run };
    if (Date.now() >= deadline) return { finished: false, run };
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}

/** fetch with a timeout, and "could not reach" as its own error (exit 4) instead of a bare TypeError. */
function cliFetch(config: ApiConfig): typeof fetch {
  return async (input, init) => {
    try {
      return await fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      const err = error as Error & { cause?: { code?: string; message?: string } };
      const reason =
        err.name === 'TimeoutError'
          ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
      const hint = config.source === 'local-cloud' ? ' (is the local cloud still running? strata up)' : '';
      throw new UnreachableError(`cannot reach the API at ${config.apiUrl}: ${reason}${hint}`);
    }
  };
}

export function createProgram(io: Io, setExit: (code: ExitCode) => void): Command {
  let configCache: ApiConfig | undefined;
  const apiConfig = (): ApiConfig => {
    if (configCache) return configCache;
    const config = resolveApiConfig(io.env, cloudFilePath(stateDir(io.env)));
    if (config.source === 'local-cloud') {
      io.stderr(`strata: using the local cloud at ${config.apiUrl} (demo tenant) from ${config.cloudFile}\n`);
    }
    configCache = config;
    return config;
  };
  const clientConfig = (): ClientConfig => {
    const config = apiConfig();
    return { apiUrl: config.apiUrl, apiKey: config.apiKey, fetch: cliFetch(config) };
  };
  const client = (): StrataClient => createStrataClient(clientConfig());
  const print = (json: boolean, value: unknown, human: () => string) => {
    io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  };
  const more = (cursor: string | undefined) => {
    if (cursor) io.stderr(`more: --cursor ${cursor}\n`);
  };

  const program = new Command('strata')
    .description('strata: versioned, validated, profiled datasets, from the command line')
    .version(pkg.version)
    // Program options only before the command: `drift --version 2` is the command's, not `strata --version`.
    .enablePositionalOptions()
    .showHelpAfterError('(strata --help, or strata <command> --help, for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText('after', `\n${ENV_HELP}\n\n${EXIT_CODES_HELP}\n`);

  const command = (spec: string, description: string) =>
    program.command(spec).description(description).option('--json', "print the API's JSON (for scripts)");

  // ---- local cloud ------------------------------------------------------------------------------------

  program
    .command('up')
    .description(
      'start the local cloud (as npm start) and stay in the foreground; Ctrl-C or strata down stops it',
    )
    .option('--json', 'log to stderr; print the endpoints as JSON on stdout once up')
    .option('--state-dir <dir>', 'folder for cloud.json and the data (default .strata/ of this checkout)')
    .option('--free-ports', 'listen on free ports instead of the fixed ones (a second cloud, tests)')
    .action(async (opts: { json?: boolean; stateDir?: string; freePorts?: boolean }) => {
      await up({
        stateDir: opts.stateDir ? resolve(opts.stateDir) : stateDir(io.env),
        freePorts: opts.freePorts ?? false,
        json: opts.json ?? false,
        env: io.env,
        stdout: io.stdout,
        stderr: io.stderr,
      });
      setExit(EXIT.OK);
    });

  program
    .command('down')
    .description('stop the local cloud that strata up or npm start runs (exit 1 if none is running)')
    .option('--json', 'print the result as JSON')
    .option('--state-dir <dir>', 'the state folder the cloud was started with')
    .option('--timeout <seconds>', 'wait this long for it to stop', positiveInt('--timeout'), 60)
    .action(async (opts: { json?: boolean; stateDir?: string; timeout: number }) => {
      const result = await down({
        stateDir: opts.stateDir ? resolve(opts.stateDir) : stateDir(io.env),
        timeoutMs: opts.timeout * 1000,
      });
      print(
        opts.json ?? false,
        result,
        () => `stopped the local cloud (pid ${result.pid}) in ${result.seconds.toFixed(1)} s`,
      );
      setExit(EXIT.OK);
    });

  // ---- data -------------------------------------------------------------------------------------------

  command('ingest <files...>', 'upload files into a dataset and wait for each pipeline run')
    .requiredOption('-d, --dataset <name>', 'the dataset to add the files to')
    .addOption(new Option('-t, --type <type>', 'data type of the files').choices(DATA_TYPES))
    .addOption(
      new Option('-f, --format <format>', 'file format (default: from the extension)').choices(FORMATS),
    )
    .option('--timeout <seconds>', 'stop waiting for a run after this long', positiveInt('--timeout'), 600)
    .option('--no-wait', 'upload only; print the file and run ids')
    .option(
      '--meta <key=value>',
      'metadata recorded on each file (repeatable): GET /files/{id}, GET /files?metadata=key:value',
      metaPair,
    )
    .addHelpText(
      'after',
      '\nPer file: the version made (HELD and the reasons when a gate held it), or the stage and error that\nquarantined it. Exit 1 when any file was quarantined, held or timed out.',
    )
    .action(
      async (
        files: string[],
        opts: {
          json?: boolean;
          dataset: string;
          type?: (typeof DATA_TYPES)[number];
          format?: (typeof FORMATS)[number];
          timeout: number;
          wait: boolean;
          meta?: Record<string, string>;
        },
      ) => {
        const api = client();
        const stream = io.stderrStream;
        const progress = stream?.isTTY
          ? barProgress(stream, files)
          : lineProgress((line) => io.stderr(`${line}\n`));
        io.onInterrupt?.(() => progress.stop());
        let outcomes: Awaited<ReturnType<typeof ingestFiles>>;
        try {
          outcomes = await ingestFiles(
            api,
            files,
            {
              dataset: opts.dataset,
              ...(opts.type && { type: opts.type }),
              ...(opts.format && { format: opts.format }),
              ...(opts.meta && { metadata: opts.meta }),
              timeoutMs: opts.timeout * 1000,
              wait: opts.wait,
            },
            progress,
          );
        } finally {
          progress.stop();
        }
        const results = outcomes.map((o) => o.result);
        print(opts.json ?? false, results, () => formatIngest(results));
        setExit(worstExit(outcomes.map((o) => o.exitCode)));
      },
    );

  command('datasets', "list the tenant's datasets")
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--cursor <cursor>', 'the next page (from the previous answer)')
    .action(async (opts: { json?: boolean; limit: number; cursor?: string }) => {
      const answer = await client().listDatasets({
        limit: opts.limit,
        ...(opts.cursor && { cursor: opts.cursor }),
      });
      print(opts.json ?? false, answer, () => formatDatasets(answer.datasets));
      if (!opts.json) more(answer.nextCursor);
      setExit(EXIT.OK);
    });

  command('versions <dataset>', "list a dataset's versions, newest first (* marks the current one)")
    .option('--tag <tag>', 'only versions carrying this tag')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--cursor <cursor>', 'the next page (from the previous answer)')
    .action(
      async (dataset: string, opts: { json?: boolean; tag?: string; limit: number; cursor?: string }) => {
        const answer = await client().listVersions(dataset, {
          limit: opts.limit,
          ...(opts.tag && { tag: opts.tag }),
          ...(opts.cursor && { cursor: opts.cursor }),
        });
        print(opts.json ?? false, answer, () => formatVersions(answer));
        if (!opts.json) more(answer.nextCursor);
        setExit(EXIT.OK);
      },
    );

  command('drift <dataset>', "a version's drift against its reference: one row per column")
    .option(
      '-v, --version <n>',
      'the version (default: the newest, HELD ones included)',
      positiveInt('--version'),
    )
    .option('--open', 'also save the HTML report to a temporary file and open it in the browser')
    .option(
      '--fail-on <severity>',
      'exit 1 when the drift severity is at least LOW|MODERATE|HIGH|CRITICAL',
      severityArg,
    )
    .action(
      async (
        dataset: string,
        opts: { json?: boolean; version?: number; open?: boolean; failOn?: Severity },
      ) => {
        const api = client();
        let version = opts.version;
        if (version === undefined) {
          const newest = await api.listVersions(dataset, { limit: 1 });
          version = newest.versions[0]?.version;
          if (version === undefined) throw new CliError(`dataset ${dataset} has no versions yet`, EXIT.API);
        }
        const doc = await api.drift(dataset, version);
        print(opts.json ?? false, doc, () => formatDrift(doc));
        if (opts.open) {
          const html = await api.driftHtml(dataset, version);
          const file = join(
            mkdtempSync(join(tmpdir(), 'strata-drift-')),
            `${dataset}-v${version}-drift.html`,
          );
          writeFileSync(file, html);
          const opened = await openFile(file, io.env);
          const line = `drift report: ${file}${opened ? '' : ' (could not start a browser: open it yourself)'}\n`;
          if (opts.json) io.stderr(line);
          else io.stdout(line);
        }
        const failed =
          opts.failOn !== undefined &&
          SEVERITIES.indexOf(doc.report.severity) >= SEVERITIES.indexOf(opts.failOn);
        if (failed)
          io.stderr(`strata: drift ${doc.report.severity} is at or above --fail-on ${opts.failOn}\n`);
        setExit(failed ? EXIT.NEGATIVE : EXIT.OK);
      },
    );

  // ---- training sets ----------------------------------------------------------------------------------

  command('select', 'select a training set: the newest fresh files with a READY version, within the budgets')
    .option('-d, --dataset <name>', 'only this dataset')
    .addOption(new Option('-t, --type <type>', 'only this data type').choices(DATA_TYPES))
    .option('--since <when>', 'only files uploaded since (ISO 8601, or 90m, 36h, 7d, 2w ago)', (v) =>
      parseSince(v),
    )
    .option('--max-rows <n>', 'row budget', positiveInt('--max-rows'))
    .option('--max-bytes <n>', 'byte budget', positiveInt('--max-bytes'))
    .addOption(
      new Option('--combine <format>', 'also write the rows as one file').choices(['parquet', 'jsonl']),
    )
    .addHelpText('after', '\nExit 1 when no file fits (the API answers EmptySelectionError).')
    .action(
      async (opts: {
        json?: boolean;
        dataset?: string;
        type?: (typeof DATA_TYPES)[number];
        since?: string;
        maxRows?: number;
        maxBytes?: number;
        combine?: 'parquet' | 'jsonl';
      }) => {
        const { json, ...criteria } = opts;
        const set = await client().createTrainingSet(criteria);
        print(json ?? false, set, () => formatTrainingSet(set));
        setExit(EXIT.OK);
      },
    );

  command(
    'consume <trainingSetId>',
    'record that a training job used a training set (files move FRESH → USED → …)',
  )
    .requiredOption('--job <id>', 'the training job (a second call for the same job counts nothing again)')
    .action(async (id: string, opts: { json?: boolean; job: string }) => {
      const answer = await client().consumeTrainingSet(id, opts.job);
      print(opts.json ?? false, answer, () => formatConsume(answer));
      setExit(EXIT.OK);
    });

  // ---- lineage, lifecycle, features -------------------------------------------------------------------

  command('lineage <node>', 'walk the lineage graph from a node (dataset-version/<name>/v<N>, file/<id>, …)')
    .addHelpText(
      'after',
      '\nNodes: dataset-version/<dataset>/v<N>, file/<file id>, feature-version/<name>@<semver>,\ntraining-set/<id>, model-version/<name>@<semver>. Edges point downstream (from what a node was made of).',
    )
    .addOption(
      new Option('--direction <dir>', 'up (sources), down (uses) or both')
        .choices(['up', 'down', 'both'])
        .default('up'),
    )
    .option('--depth <n>', 'how many edges to follow', positiveInt('--depth'), 10)
    .option('--mermaid', 'print the graph as a Mermaid flowchart')
    .action(
      async (
        node: string,
        opts: { json?: boolean; direction: 'up' | 'down' | 'both'; depth: number; mermaid?: boolean },
      ) => {
        const api = client();
        const query = { direction: opts.direction, depth: opts.depth };
        if (opts.mermaid) io.stdout(`${(await api.lineageMermaid(node, query)).trimEnd()}\n`);
        else {
          const graph = await api.lineage(node, query);
          print(opts.json ?? false, graph, () => formatLineage(graph));
        }
        setExit(EXIT.OK);
      },
    );

  command(
    'cleanup',
    'apply the retention policy: deprecate old used files, delete deprecated ones after the grace period',
  )
    .option(
      '--days <n>',
      "days_old for this run (default: the tenant's stored policy)",
      nonNegativeInt('--days'),
    )
    .option('--dry-run', 'only say what would happen (the default)')
    .option('--apply', 'really deprecate and delete')
    .action(async (opts: { json?: boolean; days?: number; dryRun?: boolean; apply?: boolean }) => {
      if (opts.apply && opts.dryRun)
        throw new CliError('--apply and --dry-run contradict each other', EXIT.USAGE);
      const result = await client().cleanup({
        ...(opts.days !== undefined && { daysOld: opts.days }),
        dryRun: !opts.apply,
      });
      print(opts.json ?? false, result, () => formatCleanup(result));
      setExit(EXIT.OK);
    });

  const features = program.command('features').description('the feature store');
  features
    .command('get <name>')
    .description("a page of a feature version's rows")
    .option('--json', "print the API's JSON (for scripts)")
    .option('--version <semver>', 'the version (default: the latest)')
    .addOption(new Option('--split <split>', 'one split').choices(['train', 'validation', 'test', 'all']))
    .option('--limit <n>', 'rows per page', positiveInt('--limit'), 20)
    .option('--cursor <cursor>', 'the next page (from the previous answer)')
    .action(
      async (
        name: string,
        opts: { json?: boolean; version?: string; split?: FeatureSplit; limit: number; cursor?: string },
      ) => {
        const store = createFeatureStore(clientConfig());
        const page = await store.get(name, {
          limit: opts.limit,
          ...(opts.version && { version: opts.version }),
          ...(opts.split && { split: opts.split }),
          ...(opts.cursor && { cursor: opts.cursor }),
        });
        print(opts.json ?? false, page, () => formatFeatures(page));
        setExit(EXIT.OK);
      },
    );

  // ---- API keys ---------------------------------------------------------------------------------------

  const keys = program
    .command('keys')
    .description(
      'API keys: written to the metadata table with your AWS credentials (no API route mints keys)',
    );
  keys
    .command('create <tenant>')
    .description('issue an API key for a tenant; the key is printed once and stored only as its SHA-256')
    .option('--json', 'print {tenant, name, apiKey, table} (for scripts)')
    .option('--name <label>', 'what the key is for (kept with it)', 'strata cli')
    .option(
      '--table <name>',
      "the stack's MetadataTableName output (or STRATA_METADATA_TABLE); default: the local cloud's",
    )
    .option('--region <region>', "the table's region (default AWS_REGION)")
    .action(
      async (tenant: string, opts: { json?: boolean; name: string; table?: string; region?: string }) => {
        const target = resolveKeyTarget(opts, io.env, cloudFilePath(stateDir(io.env)));
        const apiKey = await createKey(target, tenant, opts.name);
        const answer = { tenant, name: opts.name, apiKey, table: target.table };
        print(opts.json ?? false, answer, () =>
          [
            `API key for tenant "${tenant}" (${opts.name}), in ${target.table}${target.source === 'local-cloud' ? ' (local cloud)' : ''}:`,
            '',
            `  ${apiKey}`,
            '',
            'It is shown only now; strata keeps its SHA-256.',
          ].join('\n'),
        );
        setExit(EXIT.OK);
      },
    );

  // ---- connectors -------------------------------------------------------------------------------------

  const connector = program
    .command('connector')
    .description("a dataset's pull connector: a database, REST API or bucket pulled into it on a schedule");
  const connectorCommand = (spec: string, description: string) =>
    connector.command(spec).description(description).option('--json', "print the API's JSON (for scripts)");

  connectorCommand('set <dataset>', "create or replace the dataset's connector from a settings file")
    .requiredOption('-f, --file <settings.json>', 'the settings as JSON (- reads stdin)')
    .addHelpText('after', CONNECTOR_SETTINGS_HELP)
    .action(async (dataset: string, opts: { json?: boolean; file: string }) => {
      const settings = await readSettings(opts.file, io.readStdin);
      const view = await client().putConnector(dataset, settings);
      print(opts.json ?? false, view, () => `stored the connector of ${dataset}\n${formatConnector(view)}`);
      setExit(EXIT.OK);
    });

  connectorCommand(
    'show <dataset>',
    "the connector's settings and state: watermark, next run, the run in progress, the last run",
  ).action(async (dataset: string, opts: { json?: boolean }) => {
    const view = await client().getConnector(dataset);
    print(opts.json ?? false, view, () => formatConnector(view));
    setExit(EXIT.OK);
  });

  connectorCommand('run <dataset>', 'pull now, whatever the schedule says, and wait for the run to end')
    .option(
      '--timeout <seconds>',
      'stop waiting after this long (the run goes on)',
      positiveInt('--timeout'),
      CONNECTOR_TIMEOUT_S,
    )
    .option('--no-wait', 'start the run only; print its id')
    .addHelpText(
      'after',
      '\nPrints the run: status, records read / written / failed / skipped, bytes and files written, duration,\n' +
        'error rate, the watermark before → after, the error. Exit 1 when the run FAILED or is still running at\n' +
        '--timeout; exit 3 when the API refuses (409 while another run of the connector is going).\n' +
        'Ctrl-C stops waiting, not the run.',
    )
    .action(async (dataset: string, opts: { json?: boolean; timeout: number; wait: boolean }) => {
      const api = client();
      const started = await api.startConnectorRun(dataset);
      if (!opts.wait) {
        print(
          opts.json ?? false,
          started,
          () =>
            `started connector run ${started.runId} of ${dataset} (not waited for: strata connector runs ${dataset})`,
        );
        setExit(EXIT.OK);
        return;
      }
      io.stderr(`strata: connector run ${started.runId} of ${dataset} started; waiting for it to end\n`);
      const { finished, run } = await waitForConnectorRun(api, dataset, started.runId, {
        timeoutMs: opts.timeout * 1000,
      });
      if (!finished || run === undefined) {
        print(opts.json ?? false, run ?? started, () =>
          run ? formatConnectorRun(run) : `connector run ${started.runId} of ${dataset}: no record yet`,
        );
        io.stderr(
          `strata: connector run ${started.runId} still running after --timeout ${opts.timeout} s (strata connector runs ${dataset})\n`,
        );
        setExit(EXIT.NEGATIVE);
        return;
      }
      print(opts.json ?? false, run, () => formatConnectorRun(run));
      if (run.status !== 'SUCCEEDED' && opts.json) {
        io.stderr(
          `strata: connector run ${run.runId} ${run.status}${run.error ? `: ${run.error.name}: ${run.error.message}` : ''}\n`,
        );
      }
      setExit(run.status === 'SUCCEEDED' ? EXIT.OK : EXIT.NEGATIVE);
    });

  connectorCommand('runs <dataset>', "the connector's runs, newest first")
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 20)
    .option('--cursor <cursor>', 'the next page (from the previous answer)')
    .action(async (dataset: string, opts: { json?: boolean; limit: number; cursor?: string }) => {
      const answer = await client().listConnectorRuns(dataset, {
        limit: opts.limit,
        ...(opts.cursor && { cursor: opts.cursor }),
      });
      print(opts.json ?? false, answer, () => formatConnectorRuns(dataset, answer));
      if (!opts.json) more(answer.cursor);
      setExit(EXIT.OK);
    });

  connectorCommand(
    'delete <dataset>',
    'remove the connector (its runs stay listed; a run in progress stops at its next batch)',
  ).action(async (dataset: string, opts: { json?: boolean }) => {
    const answer = await client().deleteConnector(dataset);
    print(
      opts.json ?? false,
      answer,
      () => `deleted the connector of ${dataset} (its runs stay listed: strata connector runs ${dataset})`,
    );
    setExit(EXIT.OK);
  });

  return program;
}

/** Runs one command line; resolves with the exit code (never exits the process itself). */
export async function run(argv: string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    const exit = exitCodeFor(error);
    // Commander has already printed its own message (usage errors, --help, --version).
    if (!(error as { code?: string }).code?.startsWith?.('commander.')) {
      io.stderr(`strata: ${describeError(error)}\n`);
      if (io.env.STRATA_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    }
    return exit;
  }
}
