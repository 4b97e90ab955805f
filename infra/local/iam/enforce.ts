/**
 * Enforces a function's IAM policy inside its local execution environment: every AWS SDK call the
 * handler makes with the role's credentials is mapped to the IAM request(s) AWS would authorize and
 * evaluated against the policy from the synthesized template before anything is sent. A call the policy
 * does not allow fails as AWS fails it (AccessDenied, naming principal, action and resource), so an
 * integration test that drives a use case proves the function's grants cover it.
 *
 * The hook sits in the SDK's command resolution (`Command.resolveMiddlewareWithContext`) as a build-step
 * middleware, which every path runs through: `client.send`, lib-dynamodb's document commands (their
 * input is already marshalled there), lib-storage's uploads and s3-request-presigner's `getSignedUrl`.
 * `Client.send` is wrapped too, to refuse a command that would bypass that resolution.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { evaluate, type IamRequest, type PolicyStatement } from './policy.js';
import { type IamScope, iamRequests } from './requests.js';

export interface IamEnforcementOptions {
  /** The function's name, for the log. */
  functionName: string;
  /** Who AWS says is refused: `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  principal: string;
  policy: PolicyStatement[];
  scope: IamScope;
  /** Called for every denial, after it is logged and before the call fails. */
  onDenied?: (denial: IamDenial) => void;
  /** Where the denials are logged (the function's log). Default: stderr. */
  log?: (line: string) => void;
  /** Log every allowed request too (which grants a use case actually needs). */
  trace?: boolean;
}

export interface IamDenial {
  functionName: string;
  principal: string;
  service: string;
  operation: string;
  action: string;
  resource: string;
  /** What made the local check fail closed (unmapped call, unmodelled condition…), if that was it. */
  reason?: string;
  message: string;
}

/** The SDK's command and client classes, as exported by one copy of @smithy/core/client. */
interface SmithyClientModule {
  Command: { prototype: CommandPrototype };
  Client: { prototype: { send: (...args: unknown[]) => unknown } };
}

interface CommandPrototype {
  resolveMiddlewareWithContext: (
    this: SdkCommand,
    stack: unknown,
    configuration: SdkConfiguration,
    options: unknown,
    context: { clientName?: string; commandName?: string },
  ) => unknown;
}

interface SdkCommand {
  middlewareStack: {
    add: (middleware: unknown, options: Record<string, unknown>) => void;
  };
}

interface SdkConfiguration {
  credentials?: () => Promise<{ $source?: Record<string, unknown> } | undefined>;
}

const MIDDLEWARE_NAME = 'strataLocalIamCheck';

/** IAM's service prefixes of the SDK clients' names. */
const ACTION_PREFIX: Record<string, string> = {
  S3: 's3',
  DynamoDB: 'dynamodb',
  SFN: 'states',
  Lambda: 'lambda',
  SecretsManager: 'secretsmanager',
  Glue: 'glue',
};

/**
 * Every copy of the SDK's core client module the project's AWS SDK packages load: found from each
 * `@aws-sdk/*` dependency in package.json, so a client that resolves its own nested copy is covered too.
 */
export function smithyClientModules(root: string): SmithyClientModule[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const fromRoot = createRequire(join(root, 'package.json'));
  const packages = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) =>
    name.startsWith('@aws-sdk/'),
  );
  const found = new Map<unknown, SmithyClientModule>();
  for (const name of packages) {
    let entry: string;
    try {
      entry = fromRoot.resolve(name);
    } catch {
      continue; // types-only packages have no entry point
    }
    const fromPackage = createRequire(entry);
    // @smithy/core/client in current SDKs; @smithy/smithy-client in older ones.
    for (const id of ['@smithy/core/client', '@smithy/smithy-client']) {
      try {
        const module = fromPackage(id) as Partial<SmithyClientModule>;
        if (module.Command?.prototype && module.Client?.prototype)
          found.set(module.Command, module as SmithyClientModule);
      } catch {
        // not this layout
      }
    }
  }
  return [...found.values()];
}

/**
 * Installs the check into every copy of the SDK's client module under `root`. Returns a function that
 * removes it again (tests). Throws when no copy is found: enforcement that silently checks nothing would
 * be worse than none.
 */
export function installIamEnforcement(options: IamEnforcementOptions, root: string): () => void {
  const modules = smithyClientModules(root);
  if (modules.length === 0) {
    throw new Error(`no @smithy client module found from ${root}: the local IAM check cannot be installed`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const commandClasses = modules.map(
    (m) => m.Command as unknown as abstract new (...args: never[]) => unknown,
  );
  const restore: Array<() => void> = [];

  for (const { Command, Client } of modules) {
    const resolve = Command.prototype.resolveMiddlewareWithContext;
    Command.prototype.resolveMiddlewareWithContext = function (stack, configuration, sendOptions, context) {
      this.middlewareStack.add(checkMiddleware(options, log, configuration, context), {
        step: 'build',
        name: MIDDLEWARE_NAME,
        override: true,
        priority: 'high',
      });
      return resolve.call(this, stack, configuration, sendOptions, context);
    };
    const send = Client.prototype.send;
    Client.prototype.send = function (this: unknown, ...args: unknown[]) {
      const command = args[0] as { clientCommand?: unknown; constructor?: { name?: string } } | undefined;
      const inner = command?.clientCommand ?? command;
      if (!commandClasses.some((C) => inner instanceof C)) {
        const name = command?.constructor?.name ?? typeof command;
        const error = new Error(
          `${name} is not an AWS SDK command built on @smithy/core: the local IAM check cannot see it`,
        );
        const callback = args.find((a, i) => i > 0 && typeof a === 'function') as
          | ((e: Error) => void)
          | undefined;
        if (callback) return void callback(error);
        return Promise.reject(error);
      }
      return send.apply(this, args);
    };
    restore.push(() => {
      Command.prototype.resolveMiddlewareWithContext = resolve;
      Client.prototype.send = send;
    });
  }
  return () => {
    for (const undo of restore.splice(0)) undo();
  };
}

function checkMiddleware(
  options: IamEnforcementOptions,
  log: (line: string) => void,
  configuration: SdkConfiguration,
  context: { clientName?: string; commandName?: string },
) {
  const service = (context.clientName ?? '').replace(/Client$/, '');
  const operation = (context.commandName ?? '').replace(/Command$/, '');
  return (next: (args: unknown) => Promise<unknown>) => async (args: { input?: Record<string, unknown> }) => {
    // Credentials given in code are someone else's (a connector source's owner keys): that call is
    // authorized by their account, not by this role. Everything from the default chain is the role's.
    const identity = await configuration.credentials?.();
    if (identity?.$source?.CREDENTIALS_CODE !== undefined) return next(args);

    const prefix = ACTION_PREFIX[service] ?? service.toLowerCase();
    let requests: IamRequest[];
    try {
      requests = iamRequests(service, operation, args.input ?? {}, options.scope);
    } catch (error) {
      throw deny(options, log, service, operation, {
        action: `${prefix}:${operation}`,
        resource: '(not mapped)',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    for (const request of requests) {
      const decision = evaluate(options.policy, request);
      if (decision.allowed) {
        if (options.trace) {
          log(
            `[local IAM] allowed ${options.functionName} ${service}.${operation}: ${request.action} on ${request.resource}`,
          );
        }
        continue;
      }
      throw deny(options, log, service, operation, {
        action: request.action,
        resource: request.resource,
        explicit: decision.explicit,
        ...(decision.reasons.length > 0 && { reason: decision.reasons.join('; ') }),
      });
    }
    return next(args);
  };
}

/** What AWS answers for a denied call: S3's `AccessDenied` (403), the JSON services' `AccessDeniedException`. */
const STATUS: Record<string, { name: string; status: number }> = {
  S3: { name: 'AccessDenied', status: 403 },
  Lambda: { name: 'AccessDeniedException', status: 403 },
  DynamoDB: { name: 'AccessDeniedException', status: 400 },
  SFN: { name: 'AccessDeniedException', status: 400 },
  SecretsManager: { name: 'AccessDeniedException', status: 400 },
  Glue: { name: 'AccessDeniedException', status: 400 },
};

function deny(
  options: IamEnforcementOptions,
  log: (line: string) => void,
  service: string,
  operation: string,
  what: { action: string; resource: string; explicit?: boolean; reason?: string },
): Error {
  const because = what.explicit
    ? 'with an explicit deny in an identity-based policy'
    : `because no identity-based policy allows the ${what.action} action`;
  const message =
    `User: ${options.principal} is not authorized to perform: ${what.action} on resource: ${what.resource} ` +
    `${because}${what.reason ? ` (local IAM check: ${what.reason})` : ''}`;
  const denial: IamDenial = {
    functionName: options.functionName,
    principal: options.principal,
    service,
    operation,
    action: what.action,
    resource: what.resource,
    ...(what.reason && { reason: what.reason }),
    message,
  };
  log(`[local IAM] DENIED ${options.functionName} ${service}.${operation}: ${message}`);
  options.onDenied?.(denial);
  const shape = STATUS[service] ?? { name: 'AccessDeniedException', status: 403 };
  return Object.assign(new Error(message), {
    name: shape.name,
    Code: shape.name,
    $fault: 'client',
    $metadata: { httpStatusCode: shape.status, attempts: 1, totalRetryDelay: 0 },
    $localIamDenial: denial,
  });
}
