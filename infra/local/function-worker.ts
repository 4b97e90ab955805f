/**
 * One warm "execution environment" of a local Lambda function: a child process with exactly the
 * environment the template gives the function. The host's first message says whether to enforce the
 * function's IAM policy; the check is installed then, before the handler (and the AWS SDK it uses) is
 * imported. It imports the handler once (the cold start) and then serves invocations one at a time over
 * IPC, as Lambda does.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type IamDenial, installIamEnforcement } from './iam/enforce.js';
import type { PolicyStatement } from './iam/policy.js';
import type { IamScope } from './iam/requests.js';

/** What the worker needs to enforce the function's role: sent by the host in the init message. */
export interface WorkerIam {
  principal: string;
  policy: PolicyStatement[];
  scope: IamScope;
  /** Log allowed requests as well as denials. */
  trace?: boolean;
}

/**
 * The host's answer to the worker's `started` (sent once the worker listens, so nothing is lost); the
 * worker answers `ready` once it is applied.
 */
export interface InitMessage {
  type: 'init';
  /** Absent: IAM is not enforced for this function (the host's switch is off). */
  iam?: WorkerIam;
}

/** A call the function's policy refused, reported to the host (which keeps a list of them). */
export interface IamDeniedMessage {
  type: 'iam-denied';
  denial: IamDenial;
}

export interface InvokeMessage {
  type: 'invoke';
  id: string;
  payload: unknown;
  deadlineMs: number;
  requestId: string;
}

export type WorkerMessage =
  | ResultMessage
  | IamDeniedMessage
  | { type: 'started' }
  | { type: 'ready'; id: string };

export type ResultMessage =
  | { type: 'result'; id: string; ok: true; value: unknown }
  | {
      type: 'result';
      id: string;
      ok: false;
      error: { errorType: string; errorMessage: string; trace: string[] };
    };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const entry = process.env.STRATA_FUNCTION_ENTRY;
const root = process.env.STRATA_REPO_ROOT ?? process.cwd();
if (!entry || !process.send) {
  throw new Error('function-worker must be forked by the lambda host with STRATA_FUNCTION_ENTRY set');
}

let handlerPromise: Promise<Handler> | undefined;

function loadHandler(): Promise<Handler> {
  handlerPromise ??= import(pathToFileURL(resolve(root, entry as string)).href).then((module) => {
    if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler`);
    return module.handler as Handler;
  });
  return handlerPromise;
}

function contextFor(message: InvokeMessage) {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
  return {
    awsRequestId: message.requestId,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: process.env.STRATA_FUNCTION_ARN ?? name,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function toError(error: unknown) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name || 'Error', errorMessage: e.message, trace: (e.stack ?? '').split('\n') };
}

function init(message: InitMessage): void {
  if (message.iam) {
    installIamEnforcement(
      {
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
        ...message.iam,
        onDenied: (denial) => process.send?.({ type: 'iam-denied', denial } satisfies IamDeniedMessage),
      },
      root,
    );
  }
  process.send?.({ type: 'ready', id: randomUUID() });
}

process.on('message', async (message: InvokeMessage | InitMessage) => {
  if (message?.type === 'init') return init(message);
  if (message?.type !== 'invoke') return;
  let reply: ResultMessage;
  try {
    const handler = await loadHandler();
    const value = await handler(message.payload, contextFor(message));
    reply = { type: 'result', id: message.id, ok: true, value: value ?? null };
  } catch (error) {
    reply = { type: 'result', id: message.id, ok: false, error: toError(error) };
  }
  process.send?.(reply);
});

process.send({ type: 'started' });
