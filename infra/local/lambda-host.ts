/**
 * The local stand-in for the Lambda service, API Gateway and S3's Lambda notifications: one HTTP
 * server on 127.0.0.1 that
 * - serves the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`), which LocalStack's
 *   Step Functions reaches through our runtime-executor plugin;
 * - receives MinIO's bucket-notification webhook and invokes the function the template's bucket
 *   notification names, with an S3-shaped event;
 * - serves the HTTP API routes of the template as API Gateway v2 (payload 2.0) events, through the
 *   route's Lambda authorizer;
 * - runs the template's EventBridge schedule rules (`rate(...)` only) against their Lambda targets.
 * Every invocation runs in a worker with the environment the template gives that function and, when
 * `enforceIam` is on, under the function's IAM policy: each AWS call it makes is checked against its
 * role's statements (infra/local/iam/), and a refused one fails with AccessDenied and is recorded here.
 *
 * Listening on 127.0.0.1 keeps other machines out, not other local processes or a web page in the
 * developer's browser (which can POST to any loopback port, and reach it under its own origin through DNS
 * rebinding). So every request must name the host as 127.0.0.1 or localhost in its Host header, and
 * everything but the HTTP API routes (which have the API-key authorizer, as in AWS) must carry the
 * per-start token the host hands to MinIO, LocalStack's executor plugin and the functions.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { matchPathTemplate, pathSegments } from '../../shared/http/route.js';
import { FunctionPool, type InvokeResult, type LocalFunction, type PoolIam } from './function-pool.js';
import type { IamDenial } from './iam/enforce.js';
import type { TableKeys } from './iam/requests.js';
import type { LocalNotification, LocalPlan, LocalRoute, LocalSchedule } from './plan.js';

export interface LambdaHostOptions {
  logDir: string;
  region: string;
  account: string;
  /**
   * The waits before the retries of an asynchronous invocation that failed: Lambda retries a function
   * error twice, one minute and then two minutes later (the default here too). Fault tests shorten them.
   */
  asyncRetryDelaysMs?: readonly number[];
  /**
   * Check every AWS call a function makes against its role's policy (`LocalFunction.policy`; a function
   * without one may do nothing). Off unless asked: the local cloud turns it on.
   */
  enforceIam?: boolean;
  /** With enforcement on, log every allowed AWS call to the function's log too. */
  traceIam?: boolean;
}

/** A refused call, with when and by which invocation's function. */
export type RecordedDenial = IamDenial & { at: string };

interface AuthCacheEntry {
  expiresAt: number;
  authorized: boolean;
  context: Record<string, unknown>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
export const S3_WEBHOOK_PATH = '/_strata/s3-events';
export const HEALTH_PATH = '/_strata/health';
/** GET: the calls refused by the functions' IAM policies since the host started (JSON list). */
export const IAM_DENIALS_PATH = '/_strata/iam-denials';
/**
 * A fault to inject: `POST {keyPrefix}` makes S3 notifications of keys under that prefix get lost, as a
 * delivery S3 gives up on would be (acknowledged, nothing invoked); `DELETE` with the same body ends it.
 * The sweeper's tests need objects in the real data bucket whose event never arrived.
 */
export const LOST_S3_EVENTS_PATH = '/_strata/faults/lost-s3-events';
/**
 * Carries the host token on calls whose Authorization header is taken: the AWS SDK's Lambda client signs
 * with SigV4 there. MinIO's webhook and LocalStack's executor send `Authorization: Bearer <token>`.
 */
export const HOST_TOKEN_HEADER = 'x-strata-host-token';
/** Paths only the local cloud's own parts call: the Lambda Invoke API and the host's `/_strata/` ones. */
const INTERNAL_PATH = /^\/(2015-03-31|_strata)(\/|$)/;
/** S3 retries a failed asynchronous invocation twice, as Lambda does for async invokes. */
const ASYNC_ATTEMPTS = 3;
/** Lambda's waits before its two retries of a failed asynchronous invocation. */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;
/** setTimeout's largest delay (~24.8 days); longer rates wait in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LambdaHost {
  private server: Server | undefined;
  private pools = new Map<string, FunctionPool>();
  private routes: LocalRoute[] = [];
  private notifications: LocalNotification[] = [];
  /** Key prefixes whose S3 notifications are dropped (LOST_S3_EVENTS_PATH). */
  private readonly lostEventPrefixes = new Set<string>();
  private readonly authCache = new Map<string, AuthCacheEntry>();
  private readonly inflight = new Set<Promise<unknown>>();
  private timers = new Set<NodeJS.Timeout>();
  /** Aborted by close(): retries still waiting are dropped, as a stopped Lambda service would drop them. */
  private readonly closing = new AbortController();
  private allowedHosts = new Set<string>();
  private readonly denials: RecordedDenial[] = [];
  url = '';
  /**
   * New at every start, so a token seen in an old log or cloud file is worth nothing once the cloud
   * restarts. Base64url: it goes into environment variables and headers unescaped.
   */
  readonly token = randomBytes(32).toString('base64url');
  private readonly tokenDigest = digest(this.token);

  constructor(private readonly options: LambdaHostOptions) {}

  async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        process.stderr.write(`lambda host: ${String(error)}\n`);
        if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      });
    });
    // Each worker keeps a connection or two; the default limit of listeners is not a concern here.
    await new Promise<void>((resolveListen, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolveListen());
    });
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
    this.allowedHosts = new Set([`127.0.0.1:${address.port}`, `localhost:${address.port}`]);
    return this.url;
  }

  /**
   * Installs (or replaces, on redeploy) the functions, routes and notifications of a plan. `baseEnv` is
   * what every function gets besides its own variables: region, dummy credentials, local endpoints.
   */
  async load(plan: LocalPlan, baseEnv: Record<string, string>): Promise<void> {
    const old = [...this.pools.values()];
    const tables = tableKeys(plan);
    this.pools = new Map(
      plan.functions.map((fn) => [
        fn.name,
        new FunctionPool(fn, baseEnv, this.options.logDir, undefined, this.iamFor(fn, tables)),
      ]),
    );
    this.routes = plan.routes;
    this.notifications = plan.notifications;
    this.authCache.clear();
    this.clearTimers();
    // Like EventBridge, a rate schedule first fires one period after it is created, not at once.
    for (const schedule of plan.schedules) this.arm(schedule, Date.now() + schedule.everyMs);
    await Promise.all(old.map((pool) => pool.close()));
  }

  /** Every call a function's policy refused since the host started, oldest first. */
  get iamDenials(): readonly RecordedDenial[] {
    return this.denials;
  }

  private iamFor(fn: LocalFunction, tables: Record<string, TableKeys>): PoolIam {
    if (!this.options.enforceIam) return {};
    const { region, account } = this.options;
    const roleName = fn.role?.split(':role/')[1]?.split('/').at(-1) ?? `${fn.name}-role`;
    return {
      enforce: {
        principal: `arn:aws:sts::${account}:assumed-role/${roleName}/${fn.name}`,
        policy: fn.policy ?? [],
        scope: { region, account, tables },
        ...(this.options.traceIam && { trace: true }),
      },
      onDenied: (denial) => {
        const recorded = { ...denial, at: new Date().toISOString() };
        this.denials.push(recorded);
        // One file for the whole cloud: a run's denials in one place, whichever function hit them.
        mkdirSync(this.options.logDir, { recursive: true });
        appendFileSync(join(this.options.logDir, 'iam-denials.log'), `${JSON.stringify(recorded)}\n`);
      },
    };
  }

  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    // Callers may pass a name, a full ARN, or a URL-encoded ARN (LocalStack's internal calls do).
    const name = decodeURIComponent(functionName).split(':').at(-1) ?? functionName;
    const pool = this.pools.get(name) ?? [...this.pools.values()].find((p) => p.fn.logicalId === name);
    if (!pool) {
      return {
        ok: false,
        error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${name}` },
      };
    }
    return pool.invoke(payload);
  }

  async close(): Promise<void> {
    this.clearTimers();
    this.closing.abort();
    await Promise.allSettled([...this.inflight]);
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    await new Promise<void>((resolveClose) =>
      this.server ? this.server.close(() => resolveClose()) : resolveClose(),
    );
    this.server?.closeAllConnections();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(host)) {
      return refuse(
        res,
        `the lambda host answers only Host ${[...this.allowedHosts].join(' or ')}, not "${host}"`,
      );
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (INTERNAL_PATH.test(url.pathname) && !this.carriesToken(req)) {
      return refuse(
        res,
        `${url.pathname} needs the lambda host's per-start token (Authorization: Bearer <token>, or ` +
          `${HOST_TOKEN_HEADER}: <token>), given to the local cloud's servers at start and written to ` +
          'cloud.json as hostToken',
      );
    }
    const body = await readBody(req);
    const invoke = INVOKE_PATH.exec(url.pathname);
    if (invoke && req.method === 'POST')
      return this.handleInvoke(decodeURIComponent(invoke[1] ?? ''), req, body, res);
    if (url.pathname === S3_WEBHOOK_PATH && req.method === 'POST') return this.handleS3Webhook(body, res);
    if (url.pathname === IAM_DENIALS_PATH && req.method === 'GET') return send(res, 200, this.denials);
    if (url.pathname === LOST_S3_EVENTS_PATH && (req.method === 'POST' || req.method === 'DELETE')) {
      const { keyPrefix } = JSON.parse(body.toString('utf8') || '{}') as { keyPrefix?: unknown };
      if (typeof keyPrefix !== 'string' || keyPrefix === '') return send(res, 400, { error: 'keyPrefix' });
      if (req.method === 'POST') this.lostEventPrefixes.add(keyPrefix);
      else this.lostEventPrefixes.delete(keyPrefix);
      return send(res, 200, { lost: [...this.lostEventPrefixes] });
    }
    if (url.pathname === HEALTH_PATH) {
      return send(res, 200, {
        status: 'ok',
        functions: [...this.pools.keys()],
        routes: this.routes.map((r) => r.routeKey),
      });
    }
    return this.handleApi(req, url, body, res);
  }

  private carriesToken(req: IncomingMessage): boolean {
    const header = req.headers[HOST_TOKEN_HEADER];
    const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const offered = typeof header === 'string' ? header : bearer;
    // Digests have equal lengths, so the comparison takes the same time whatever was offered.
    return offered !== undefined && timingSafeEqual(digest(offered), this.tokenDigest);
  }

  private async handleInvoke(name: string, req: IncomingMessage, body: Buffer, res: ServerResponse) {
    const payload = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    // LocalStack's executor sends the request id it reports to the caller; keep it for log correlation.
    const runtimeId = req.headers['lambda-runtime-aws-request-id'];
    const requestId = typeof runtimeId === 'string' ? runtimeId : randomUUID();
    if (req.headers['x-amz-invocation-type'] === 'Event') {
      this.track(this.invokeAsync(name, payload));
      return send(res, 202, '', { 'x-amzn-RequestId': requestId });
    }
    const result = await this.invoke(name, payload);
    if (result.ok) return send(res, 200, result.value, { 'x-amzn-RequestId': requestId });
    if (result.error.errorType === 'ResourceNotFoundException') {
      return send(
        res,
        404,
        { Type: 'User', message: result.error.errorMessage },
        { 'x-amzn-RequestId': requestId },
      );
    }
    // Lambda answers 200 with X-Amz-Function-Error for errors raised by the function itself.
    return send(res, 200, result.error, {
      'x-amzn-RequestId': requestId,
      'X-Amz-Function-Error': 'Unhandled',
    });
  }

  /** MinIO's webhook body carries S3-format `Records` (keys URL-encoded, `awsRegion` empty). */
  private async handleS3Webhook(body: Buffer, res: ServerResponse) {
    const event = JSON.parse(body.toString('utf8')) as { Records?: Array<Record<string, unknown>> };
    const deliveries: Promise<InvokeResult>[] = [];
    for (const raw of event.Records ?? []) {
      const record = normalizeS3Record(raw, this.options.region);
      const s3 = record.s3 as { bucket: { name: string }; object: { key: string } };
      const key = decodeURIComponent(s3.object.key.replace(/\+/g, ' '));
      if ([...this.lostEventPrefixes].some((prefix) => key.startsWith(prefix))) continue;
      for (const target of this.notifications) {
        if (!matchesNotification(target, s3.bucket.name, key, String(record.eventName))) continue;
        deliveries.push(this.invokeWithRetries(target.functionName, { Records: [record] }));
      }
    }
    const results = await Promise.all(deliveries);
    const failed = results.filter((r) => !r.ok);
    // A non-2xx makes MinIO keep the event in its queue and deliver it again: at-least-once, as in AWS.
    if (failed.length > 0) return send(res, 502, { failed: failed.length });
    return send(res, 200, { delivered: results.length });
  }

  /**
   * An asynchronous invocation (`InvocationType: Event`), as Lambda runs one: a function error is retried
   * with the same event after each of the retry waits. A function that failed on an outage (a connector
   * pull that could not write its run's end, so its lease stays taken) gets its second chance, as in AWS.
   */
  private async invokeAsync(functionName: string, payload: unknown): Promise<void> {
    let result = await this.invoke(functionName, payload);
    for (const delay of this.options.asyncRetryDelaysMs ?? ASYNC_RETRY_DELAYS_MS) {
      if (result.ok || result.error.errorType === 'ResourceNotFoundException') return;
      try {
        await sleep(delay, undefined, { signal: this.closing.signal, ref: false });
      } catch {
        return; // the host is closing
      }
      result = await this.invoke(functionName, payload);
    }
    if (!result.ok) {
      process.stderr.write(
        `lambda host: asynchronous ${functionName} failed after its retries: ` +
          `${result.error.errorType}: ${result.error.errorMessage}\n`,
      );
    }
  }

  private async invokeWithRetries(functionName: string, payload: unknown): Promise<InvokeResult> {
    let result: InvokeResult = { ok: false, error: { errorType: 'NotInvoked', errorMessage: '' } };
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      result = await this.invoke(functionName, payload);
      if (result.ok) return result;
    }
    return result;
  }

  private async handleApi(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const match = matchRoute(this.routes, method, url.pathname);
    if (!match) return send(res, 404, { message: 'Not Found' });
    const { route, pathParameters } = match;
    const headers = lowerHeaders(req);
    const requestId = randomUUID();
    const now = new Date();
    const requestContext = {
      accountId: this.options.account,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    };
    const queryStringParameters = queryParameters(url);
    const common = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(queryStringParameters && { queryStringParameters }),
      ...(pathParameters && { pathParameters }),
    };

    let authorizer: Record<string, unknown> | undefined;
    if (route.authorizer) {
      const decision = await this.authorize(route, common, requestContext, headers);
      if (decision.status !== 200) return send(res, decision.status, { message: decision.message });
      authorizer = { lambda: decision.context };
    }

    const text = isTextual(headers['content-type']);
    const event = {
      ...common,
      ...(headers.cookie && { cookies: headers.cookie.split(/;\s*/) }),
      requestContext: { ...requestContext, ...(authorizer && { authorizer }) },
      ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
      isBase64Encoded: body.length > 0 && !text,
    };
    const result = await this.invoke(route.functionName, event);
    if (!result.ok)
      return send(res, 500, { message: 'Internal Server Error' }, { 'apigw-requestid': requestId });
    return sendProxyResult(res, result.value, requestId);
  }

  private async authorize(
    route: LocalRoute,
    common: Record<string, unknown>,
    requestContext: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<{ status: number; message?: string; context?: Record<string, unknown> }> {
    const spec = route.authorizer;
    if (!spec) return { status: 200, context: {} };
    const identity = spec.identityHeaders.map((h) => headers[h]);
    // API Gateway rejects a request missing an identity source without calling the authorizer.
    if (identity.some((v) => v === undefined || v === '')) return { status: 401, message: 'Unauthorized' };
    const cacheKey = `${spec.functionName}\0${identity.join('\0')}`;
    const cached = this.authCache.get(cacheKey);
    let entry: AuthCacheEntry;
    if (cached && cached.expiresAt > Date.now()) {
      entry = cached;
    } else {
      const result = await this.invoke(spec.functionName, {
        ...common,
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:${this.options.region}:${this.options.account}:local/$default/${route.routeKey.replace(' ', '')}`,
        identitySource: identity,
        requestContext,
      });
      if (!result.ok) return { status: 500, message: 'Internal Server Error' };
      const value = (result.value ?? {}) as { isAuthorized?: boolean; context?: Record<string, unknown> };
      if (!spec.simpleResponses)
        throw new Error('IAM-policy authorizer responses are not supported locally yet');
      entry = {
        authorized: value.isAuthorized === true,
        context: value.context ?? {},
        expiresAt: Date.now() + spec.ttlSeconds * 1000,
      };
      if (spec.ttlSeconds > 0) this.authCache.set(cacheKey, entry);
    }
    return entry.authorized ? { status: 200, context: entry.context } : { status: 403, message: 'Forbidden' };
  }

  private arm(schedule: LocalSchedule, dueAt: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (Date.now() < dueAt) return this.arm(schedule, dueAt);
        for (const target of schedule.targets) this.track(this.runScheduled(schedule, target));
        this.arm(schedule, dueAt + schedule.everyMs);
      },
      Math.min(Math.max(dueAt - Date.now(), 0), MAX_TIMER_MS),
    );
    // Schedules never keep the process alive on their own.
    timer.unref();
    this.timers.add(timer);
  }

  private async runScheduled(schedule: LocalSchedule, target: LocalSchedule['targets'][number]) {
    const event =
      target.input === undefined
        ? {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: this.options.account,
            time: new Date().toISOString(),
            region: this.options.region,
            resources: [schedule.arn],
            detail: {},
          }
        : JSON.parse(target.input);
    const result = await this.invoke(target.functionName, event);
    if (!result.ok) {
      process.stderr.write(
        `lambda host: scheduled ${target.functionName} (${schedule.expression}) failed: ` +
          `${result.error.errorType}: ${result.error.errorMessage}\n`,
      );
    }
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = new Set();
  }

  private track(promise: Promise<unknown>): void {
    this.inflight.add(promise);
    promise.finally(() => this.inflight.delete(promise)).catch(() => undefined);
  }
}

/** Each table's partition key and its indexes' (`dynamodb:LeadingKeys`), by physical name. */
function tableKeys(plan: LocalPlan): Record<string, TableKeys> {
  const hash = (schema: Array<{ AttributeName: string; KeyType: string }>) =>
    schema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
  return Object.fromEntries(
    plan.tables.map((t) => [
      t.name,
      {
        hashKey: hash(t.keySchema),
        indexes: Object.fromEntries(t.globalSecondaryIndexes.map((g) => [g.IndexName, hash(g.KeySchema)])),
      },
    ]),
  );
}

function matchesNotification(
  target: LocalNotification,
  bucket: string,
  key: string,
  eventName: string,
): boolean {
  if (target.bucket !== bucket) return false;
  if (target.prefix && !key.startsWith(target.prefix)) return false;
  if (target.suffix && !key.endsWith(target.suffix)) return false;
  const name = eventName.startsWith('s3:') ? eventName : `s3:${eventName}`;
  return target.events.some((pattern) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

/** AWS puts `ObjectCreated:Put` (no `s3:` prefix) and a region in each record; MinIO does not. */
function normalizeS3Record(raw: Record<string, unknown>, region: string): Record<string, unknown> {
  const eventName = String(raw.eventName ?? '').replace(/^s3:/, '');
  return { ...raw, eventName, awsRegion: raw.awsRegion || region };
}

/** The stack route API Gateway would pick for a request: the most specific, `$default` last. */
export function matchRoute(
  routes: readonly LocalRoute[],
  method: string,
  path: string,
): { route: LocalRoute; pathParameters?: Record<string, string> } | undefined {
  const segments = pathSegments(path);
  // Most specific: a literal segment before a {param}, before {proxy+}; then the method itself before ANY.
  let best: { route: LocalRoute; score: number; params: Record<string, string> } | undefined;
  for (const route of routes) {
    let candidate: typeof best;
    if (route.routeKey === '$default') {
      candidate = { route, score: -1, params: {} };
    } else {
      const [routeMethod, template = ''] = route.routeKey.split(' ');
      if (routeMethod !== 'ANY' && routeMethod !== method) continue;
      const match = matchPathTemplate(template, segments);
      if (!match) continue;
      const score = (2 * match.literal + match.single) * 10 + (routeMethod === method ? 1 : 0);
      candidate = { route, score, params: match.params };
    }
    if (!best || candidate.score > best.score) best = candidate;
  }
  if (!best) return undefined;
  return Object.keys(best.params).length > 0
    ? { route: best.route, pathParameters: best.params }
    : { route: best.route };
}

function queryParameters(url: URL): Record<string, string> | undefined {
  if (!url.search) return undefined;
  const out: Record<string, string> = {};
  // Payload 2.0 joins repeated parameters with commas.
  for (const [k, v] of url.searchParams) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))|\+json/.test(contentType);
}

/** Payload 2.0 response rules: a `statusCode` means a structured response; anything else is 200 JSON. */
function sendProxyResult(res: ServerResponse, value: unknown, requestId: string): void {
  const structured =
    typeof value === 'object' && value !== null && 'statusCode' in value
      ? (value as {
          statusCode: number;
          headers?: Record<string, string>;
          body?: string;
          isBase64Encoded?: boolean;
          cookies?: string[];
        })
      : undefined;
  if (!structured) {
    send(res, 200, value, { 'apigw-requestid': requestId });
    return;
  }
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId, ...structured.headers };
  if (structured.cookies) headers['set-cookie'] = structured.cookies;
  res.writeHead(structured.statusCode, headers);
  const body = structured.body ?? '';
  res.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** 403 before the body is read; the error type is what the AWS SDK names the error after. */
function refuse(res: ServerResponse, reason: string): void {
  send(
    res,
    403,
    { Type: 'User', message: `Forbidden: ${reason}` },
    {
      'x-amzn-ErrorType': 'AccessDeniedException',
      // The unread body would otherwise have to be drained before the connection could be reused.
      connection: 'close',
    },
  );
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
