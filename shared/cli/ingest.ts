/**
 * `strata ingest <files…>`: for each file a presigned upload URL, a streamed PUT of the bytes (create-only:
 * `if-none-match: *`), then the pipeline run that the upload started, polled until it ends. The run id is
 * the execution name the trigger derives from the object (bucket, key, S3 version), so the CLI knows it
 * as soon as the PUT answers.
 */
import { createReadStream, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { ApiError } from '../client/http.js';
import { waitForRun } from '../client/runs.js';
import type { StrataClient, UploadUrl, UploadUrlRequest } from '../client/strata.js';
import { executionNameFor, fileIdFor, type ObjectRef, PIPELINE_STAGES } from '../domain/file-record.js';
import type { DataType } from '../domain/object-key.js';
import type { RunView } from '../domain/run.js';
import { CliError, describeError, EXIT, type ExitCode, exitCodeFor, UnreachableError } from './exit-codes.js';

export type IngestOutcome =
  | 'VERSIONED'
  | 'HELD'
  | 'DUPLICATE'
  | 'QUARANTINED'
  | 'UPLOADED'
  | 'TIMEOUT'
  | 'ERROR';

export interface IngestResult {
  /** The path as given on the command line. */
  file: string;
  dataset: string;
  outcome: IngestOutcome;
  key?: string;
  fileId?: string;
  runId?: string;
  version?: number;
  rows?: number;
  driftSeverity?: string;
  qualityStatus?: string;
  holdReasons?: string[];
  duplicateOf?: string;
  /** Why the run failed: the stage whose error was caught, the error's name and message. */
  failure?: { stage: string; name: string; message: string; reportKey?: string };
  /** An upload or API error (outcome ERROR). */
  error?: string;
}

export interface IngestOptions {
  dataset: string;
  type?: DataType;
  format?: UploadUrlRequest['format'];
  /** `--meta key=value`: recorded on each file's record. */
  metadata?: Record<string, string>;
  /** Give up waiting for a run after this long (the run goes on). */
  timeoutMs: number;
  wait: boolean;
  concurrency?: number;
  /** Poll interval bounds; tests shorten them. */
  pollMs?: { min: number; max: number };
}

/** Upload (1 step) + the pipeline stages. */
const STEPS = 1 + PIPELINE_STAGES.length;

/** Outcome → exit code: anything that did not give the data a usable version is negative. */
export function exitCodeForOutcome(result: IngestResult, error?: unknown): ExitCode {
  switch (result.outcome) {
    case 'VERSIONED':
    case 'DUPLICATE':
    case 'UPLOADED':
      return EXIT.OK;
    case 'HELD':
    case 'QUARANTINED':
    case 'TIMEOUT':
      return EXIT.NEGATIVE;
    case 'ERROR':
      return error === undefined ? EXIT.NEGATIVE : exitCodeFor(error);
  }
}

/** How far a run has got: 1 (uploaded) + its succeeded stages, and the stage it is in. */
export function runProgress(run: RunView | undefined): { value: number; phase: string } {
  if (!run) return { value: 1, phase: 'queued' };
  const done = new Set(run.stages.filter((s) => s.status === 'SUCCEEDED').map((s) => s.stage));
  const value = 1 + PIPELINE_STAGES.filter((s) => done.has(s)).length;
  return { value: Math.min(value, STEPS), phase: run.currentStage ?? 'starting' };
}

export interface PutResult {
  status: number;
  /** Bytes sent (the file's size when the PUT started). */
  size: number;
  versionId?: string;
  eTag?: string;
  body: string;
}

/** A streamed PUT with a Content-Length (S3 refuses a presigned PUT without one). */
export function putFile(
  url: string,
  headers: Record<string, string>,
  path: string,
  onProgress: (sent: number, total: number) => void,
): Promise<PutResult> {
  const size = statSync(path).size;
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePut, reject) => {
    const req = send(
      target,
      { method: 'PUT', headers: { ...headers, 'content-length': String(size) } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePut({
            status: res.statusCode ?? 0,
            size,
            ...(typeof res.headers['x-amz-version-id'] === 'string' && {
              versionId: res.headers['x-amz-version-id'],
            }),
            ...(typeof res.headers.etag === 'string' && { eTag: res.headers.etag }),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('upload timed out (no progress for 120 s)')));
    req.on('error', (error) =>
      reject(new UnreachableError(`upload to ${target.host} failed: ${error.message}`)),
    );
    let sent = 0;
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      sent += chunk.length;
      onProgress(sent, size);
    });
    stream.on('error', (error) => req.destroy(error));
    stream.pipe(req);
  });
}

/** Why a PUT was refused, in words. */
function putError(put: PutResult, upload: UploadUrl): Error {
  const code = /<Code>([^<]+)<\/Code>/.exec(put.body)?.[1];
  const message = /<Message>([^<]+)<\/Message>/.exec(put.body)?.[1];
  if (put.status === 412) {
    return new ApiError(
      412,
      'PreconditionFailed',
      `${upload.key} already exists: uploads never overwrite a file (rename it, or upload it again once the earlier one has moved out of fresh/)`,
      put.body,
    );
  }
  if (put.status === 403 && put.size !== upload.size) {
    // The URL is signed for the declared length; S3 says only that the signature does not match.
    return new ApiError(
      403,
      code ?? 'HTTP403',
      `${upload.fileName} changed while it was being uploaded: ${upload.size} bytes declared, ${put.size} sent (the upload URL takes exactly the declared size)`,
      put.body,
    );
  }
  return new ApiError(
    put.status,
    code ?? `HTTP${put.status}`,
    `upload of ${upload.fileName} answered ${put.status}${message ? `: ${message}` : ''}`,
    put.body,
  );
}

// ---- progress on stderr ------------------------------------------------------------------------------

export interface IngestProgress {
  start(file: string): void;
  update(file: string, value: number, phase: string): void;
  done(result: IngestResult): void;
  stop(): void;
}

/** One bar per file while stderr is a terminal. */
export function barProgress(stream: NodeJS.WriteStream, files: string[]): IngestProgress {
  const width = Math.min(40, Math.max(...files.map((f) => basename(f).length)));
  const multibar = new MultiBar(
    {
      stream,
      format: '{name} {bar} {percentage}% | {phase}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  const name = (file: string) => basename(file).slice(0, width).padEnd(width);
  return {
    start(file) {
      bars.set(file, multibar.create(STEPS, 0, { name: name(file), phase: 'uploading' }));
    },
    update(file, value, phase) {
      bars.get(file)?.update(value, { phase });
    },
    done(result) {
      const label = result.version === undefined ? result.outcome : `${result.outcome} v${result.version}`;
      bars.get(result.file)?.update(STEPS, { phase: label });
    },
    stop() {
      multibar.stop();
    },
  };
}

/** Plain lines (stderr not a terminal: CI logs, pipes): one when the upload is done, one at the end. */
export function lineProgress(write: (line: string) => void): IngestProgress {
  const uploaded = new Set<string>();
  return {
    start() {},
    update(file, _value, phase) {
      if (phase !== 'uploading' && !uploaded.has(file)) {
        uploaded.add(file);
        write(`${basename(file)}: uploaded, waiting for the pipeline`);
      }
    },
    done(result) {
      const version = result.version === undefined ? '' : ` v${result.version}`;
      write(`${basename(result.file)}: ${result.outcome}${version}`);
    },
    stop() {},
  };
}

// ---- the command -------------------------------------------------------------------------------------

export async function ingestFiles(
  client: StrataClient,
  files: string[],
  options: IngestOptions,
  progress: IngestProgress,
): Promise<Array<{ result: IngestResult; exitCode: ExitCode }>> {
  for (const file of files) {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new CliError(`${file}: no such file`, EXIT.USAGE);
    }
    if (!isFile) throw new CliError(`${file}: not a file`, EXIT.USAGE);
  }
  const out: Array<{ result: IngestResult; exitCode: ExitCode }> = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const file = files[index] as string;
      progress.start(file);
      const base: IngestResult = { file, dataset: options.dataset, outcome: 'ERROR' };
      let outcome: { result: IngestResult; exitCode: ExitCode };
      try {
        const result = await ingestOne(client, file, options, progress, base);
        outcome = { result, exitCode: exitCodeForOutcome(result) };
      } catch (error) {
        const result = { ...base, outcome: 'ERROR' as const, error: describeError(error) };
        outcome = { result, exitCode: exitCodeForOutcome(result, error) };
      }
      progress.done(outcome.result);
      out[index] = outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, files.length) }, worker));
  return out;
}

async function ingestOne(
  client: StrataClient,
  file: string,
  options: IngestOptions,
  progress: IngestProgress,
  result: IngestResult,
): Promise<IngestResult> {
  const upload = await client.createUploadUrl({
    dataset: options.dataset,
    fileName: basename(file),
    size: statSync(file).size,
    ...(options.type && { dataType: options.type }),
    ...(options.format && { format: options.format }),
    ...(options.metadata && { metadata: options.metadata }),
  });
  result.key = upload.key;
  const put = await putFile(upload.url, upload.headers, file, (sent, total) =>
    progress.update(file, total === 0 ? 1 : sent / total, 'uploading'),
  );
  if (put.status < 200 || put.status >= 300) throw putError(put, upload);
  const ref: ObjectRef = {
    bucket: upload.bucket,
    key: upload.key,
    versionId: put.versionId,
    eTag: put.eTag,
  };
  result.fileId = fileIdFor(ref);
  result.runId = executionNameFor(ref);
  progress.update(file, 1, 'queued');
  if (!options.wait) return { ...result, outcome: 'UPLOADED' };

  const deadline = Date.now() + options.timeoutMs;
  const poll = options.pollMs ?? { min: 250, max: 2000 };
  const run = await waitForRun(client, result.runId, deadline, poll, (r) => {
    const { value, phase } = runProgress(r);
    progress.update(file, value, phase);
  });
  if (!run) return { ...result, outcome: 'TIMEOUT' };
  return describeRun(client, run, result);
}

async function describeRun(client: StrataClient, run: RunView, result: IngestResult): Promise<IngestResult> {
  if (run.status === 'FAILED') {
    const file = await client.getFile(run.fileId).catch(() => undefined);
    const failure = run.failure ?? {
      stage: file?.failure?.stage ?? 'unknown',
      name: file?.failure?.errorName ?? 'UnknownError',
      message: file?.failure?.message ?? '',
    };
    return {
      ...result,
      outcome: 'QUARANTINED',
      failure: {
        stage: failure.stage,
        name: failure.name,
        message: failure.message,
        ...(file?.failure?.reportKey && { reportKey: file.failure.reportKey }),
      },
    };
  }
  if (run.outcome === 'DUPLICATE') {
    const file = await client.getFile(run.fileId).catch(() => undefined);
    return { ...result, outcome: 'DUPLICATE', ...(file?.duplicateOf && { duplicateOf: file.duplicateOf }) };
  }
  const version = run.version;
  if (version === undefined) return { ...result, outcome: run.outcome === 'HELD' ? 'HELD' : 'VERSIONED' };
  const record = await client.getVersion(run.dataset, version);
  return {
    ...result,
    outcome: record.status === 'HELD' ? 'HELD' : 'VERSIONED',
    version,
    rows: record.rowCount,
    ...(record.drift && { driftSeverity: record.drift.severity }),
    ...(record.quality && { qualityStatus: record.quality.status }),
    ...(record.hold && { holdReasons: record.hold.reasons }),
  };
}
