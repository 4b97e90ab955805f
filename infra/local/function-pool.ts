import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InitMessage, InvokeMessage, WorkerIam, WorkerMessage } from './function-worker.js';
import type { IamDenial } from './iam/enforce.js';
import type { PolicyStatement } from './iam/policy.js';
import { REPO_ROOT } from './paths.js';

/** A function as the template defines it, resolved for the local cloud. */
export interface LocalFunction {
  name: string;
  arn: string;
  logicalId: string;
  /** Source entry relative to the repo root (template metadata `strata:entry`). */
  entry: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  /** The execution role's ARN (`Properties.Role`, resolved). */
  role?: string;
  /**
   * Every statement of the execution role, resolved to local names and ARNs. Absent only on functions a
   * test builds by hand; a host that enforces IAM then lets that function do nothing.
   */
  policy?: PolicyStatement[];
}

export type InvokeResult =
  | { ok: true; value: unknown }
  | { ok: false; error: { errorType: string; errorMessage: string; trace?: string[] } };

interface Worker {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<void>;
  pending?: { id: string; resolve: (result: InvokeResult) => void };
}

const WORKER_FILE = fileURLToPath(new URL('./function-worker.ts', import.meta.url));

export interface PoolIam {
  /** What the worker enforces; absent: the function's AWS calls are not checked. */
  enforce?: WorkerIam;
  /** Told of every call the policy refused. */
  onDenied?: (denial: IamDenial) => void;
}

/**
 * Execution environments for one function: warm workers reused across invocations, a new one forked
 * when all are busy (up to `maxConcurrency`, then callers queue), a worker killed on timeout.
 * Like Lambda, each environment serves one invocation at a time.
 */
export class FunctionPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Array<() => void> = [];
  private readonly log: WriteStream;
  private closed = false;

  constructor(
    readonly fn: LocalFunction,
    private readonly baseEnv: Record<string, string>,
    logDir: string,
    private readonly maxConcurrency = 4,
    private readonly iam: PoolIam = {},
  ) {
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(join(logDir, `${fn.name}.log`), { flags: 'a' });
  }

  async invoke(payload: unknown): Promise<InvokeResult> {
    const worker = await this.acquire();
    try {
      return await this.run(worker, payload);
    } finally {
      worker.busy = false;
      this.queue.shift()?.();
    }
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      if (this.closed) throw new Error(`function ${this.fn.name} is shut down`);
      const idle = this.workers.find((w) => !w.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.workers.length < this.maxConcurrency) {
        const worker = this.spawn();
        worker.busy = true;
        return worker;
      }
      await new Promise<void>((resolveTurn) => this.queue.push(resolveTurn));
    }
  }

  private spawn(): Worker {
    const child = fork(WORKER_FILE, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx', '--enable-source-maps'],
      // Only what Lambda would give the function: its template environment plus the runtime's own.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...this.baseEnv,
        ...this.fn.environment,
        AWS_LAMBDA_FUNCTION_NAME: this.fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.fn.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        STRATA_FUNCTION_ARN: this.fn.arn,
        STRATA_FUNCTION_ENTRY: this.fn.entry,
        STRATA_REPO_ROOT: REPO_ROOT,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    let markReady: () => void = () => undefined;
    const worker: Worker = { child, busy: false, ready: new Promise((r) => (markReady = r)) };
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'started') {
        const init: InitMessage = { type: 'init', ...(this.iam.enforce && { iam: this.iam.enforce }) };
        return void child.send(init);
      }
      if (message.type === 'ready') return markReady();
      if (message.type === 'iam-denied') return this.iam.onDenied?.(message.denial);
      if (worker.pending?.id === message.id) {
        const { resolve } = worker.pending;
        worker.pending = undefined;
        resolve(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
      }
    });
    child.on('exit', (code, signal) => {
      this.remove(worker);
      markReady();
      worker.pending?.resolve({
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `worker exited (${code ?? signal}) during the invocation`,
        },
      });
      worker.pending = undefined;
    });
    this.workers.push(worker);
    return worker;
  }

  private async run(worker: Worker, payload: unknown): Promise<InvokeResult> {
    await worker.ready;
    const id = randomUUID();
    const deadlineMs = Date.now() + this.fn.timeoutSeconds * 1000;
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda ends the environment of a timed-out invocation; so do we.
        worker.pending = undefined;
        worker.child.kill('SIGKILL');
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${this.fn.timeoutSeconds} seconds`,
          },
        });
      }, this.fn.timeoutSeconds * 1000);
      worker.pending = {
        id,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      const message: InvokeMessage = { type: 'invoke', id, payload, deadlineMs, requestId: randomUUID() };
      if (!worker.child.connected) {
        worker.pending.resolve({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: 'worker is gone' },
        });
        return;
      }
      worker.child.send(message);
    });
  }

  private remove(worker: Worker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    // A waiting caller can now fork a replacement.
    this.queue.shift()?.();
  }

  /** Ends every environment; used on redeploy (new environment values) and shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    const exits = this.workers.map(
      (w) =>
        new Promise<void>((resolveExit) =>
          w.child.exitCode !== null ? resolveExit() : w.child.once('exit', () => resolveExit()),
        ),
    );
    for (const w of this.workers) w.child.kill('SIGTERM');
    for (const wake of this.queue.splice(0)) wake();
    await Promise.all(exits);
    this.log.end();
  }
}
