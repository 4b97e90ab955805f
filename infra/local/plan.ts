/**
 * Reads the synthesized CloudFormation template and decides what the local cloud must create: the
 * same buckets, tables, functions, state machine, bucket notification, API routes and schedules, with
 * physical names and ARNs of the local servers. Pure: no I/O, so it is tested on the real synthesized
 * template.
 */
import { ENTRY_METADATA_KEY } from '../constructs/strata-function.js';
import type { LocalFunction } from './function-pool.js';
import { normalizeStatement, type PolicyStatement } from './iam/policy.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json }>;
}

export interface PlanOptions {
  stackName: string;
  region: string;
  account: string;
  /** Base URL of the local host that serves the HTTP API. */
  apiEndpoint: string;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  keySchema: Array<{ AttributeName: string; KeyType: string }>;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  globalSecondaryIndexes: Array<{
    IndexName: string;
    KeySchema: Array<{ AttributeName: string; KeyType: string }>;
    Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
  }>;
}

export interface LocalBucket {
  logicalId: string;
  name: string;
  versioned: boolean;
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  definition: string;
}

export interface LocalNotification {
  bucket: string;
  events: string[];
  prefix?: string;
  suffix?: string;
  functionName: string;
}

export interface LocalAuthorizer {
  functionName: string;
  /** Header names from `$request.header.x`. */
  identityHeaders: string[];
  ttlSeconds: number;
  simpleResponses: boolean;
}

export interface LocalRoute {
  routeKey: string;
  functionName: string;
  authorizer?: LocalAuthorizer;
}

/** An EventBridge schedule rule: the host invokes its Lambda targets every `everyMs`. */
export interface LocalSchedule {
  logicalId: string;
  arn: string;
  expression: string;
  everyMs: number;
  /** `input` is the target's constant JSON input, sent instead of the scheduled event. */
  targets: Array<{ functionName: string; input?: string }>;
}

export interface LocalPlan {
  buckets: LocalBucket[];
  tables: LocalTable[];
  functions: LocalFunction[];
  stateMachines: LocalStateMachine[];
  notifications: LocalNotification[];
  routes: LocalRoute[];
  schedules: LocalSchedule[];
  outputs: Record<string, string>;
  /** Resource types present in the template that have no local counterpart, with why. */
  skipped: Array<{ logicalId: string; type: string }>;
}

/**
 * Types that only matter in AWS (logs go to files). Roles and policies are not created anywhere, but each
 * function's role is read into its `policy`, which the lambda host enforces on the function's AWS calls.
 */
const NOT_LOCAL = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
  'AWS::S3::BucketPolicy',
  'AWS::CDK::Metadata',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Stage',
  // The trigger's on-failure destination. Locally a notification the trigger fails is answered 502 to
  // MinIO, whose webhook queue keeps the event and delivers it again: nothing to send to a queue.
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::Lambda::EventInvokeConfig',
]);

export function planLocalDeployment(template: CfnTemplate, options: PlanOptions): LocalPlan {
  const resources = template.Resources;
  const names = physicalNames(resources, options);
  const resolve = resolver(resources, names, options);
  const plan: LocalPlan = {
    buckets: [],
    tables: [],
    functions: [],
    stateMachines: [],
    notifications: [],
    routes: [],
    schedules: [],
    outputs: {},
    skipped: [],
  };

  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        plan.buckets.push({
          logicalId,
          name: names.ref(logicalId),
          versioned: (props.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled',
        });
        break;
      case 'AWS::DynamoDB::Table':
        plan.tables.push({
          logicalId,
          name: names.ref(logicalId),
          keySchema: props.KeySchema as LocalTable['keySchema'],
          attributeDefinitions: props.AttributeDefinitions as LocalTable['attributeDefinitions'],
          globalSecondaryIndexes: (props.GlobalSecondaryIndexes ??
            []) as LocalTable['globalSecondaryIndexes'],
        });
        break;
      case 'AWS::Lambda::Function': {
        const entry = resource.Metadata?.[ENTRY_METADATA_KEY];
        // Functions without an entry are CDK's own (e.g. the bucket-notifications handler): their job is
        // done by this deployer directly.
        if (typeof entry !== 'string') {
          plan.skipped.push({ logicalId, type: resource.Type });
          break;
        }
        const variables =
          (props.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
        const role = functionRole(logicalId, props.Role ?? null, resources, resolve);
        plan.functions.push({
          logicalId,
          name: names.ref(logicalId),
          arn: names.attr(logicalId, 'Arn'),
          role: role.arn,
          policy: role.policy,
          entry,
          environment: Object.fromEntries(
            Object.entries(variables).map(([k, v]) => [
              k,
              String(resolve(v, `${logicalId}.Environment.${k}`)),
            ]),
          ),
          timeoutSeconds: Number(props.Timeout ?? 3),
          memorySize: Number(props.MemorySize ?? 128),
        });
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        plan.stateMachines.push({
          logicalId,
          name: names.name(logicalId),
          arn: names.ref(logicalId),
          definition: String(resolve(props.DefinitionString ?? '', `${logicalId}.DefinitionString`)),
        });
        break;
      case 'Custom::S3BucketNotifications':
        plan.notifications.push(...bucketNotifications(props, resolve, names));
        break;
      case 'AWS::ApiGatewayV2::Route':
        plan.routes.push(apiRoute(logicalId, props, resources, resolve, names));
        break;
      case 'AWS::Events::Rule':
        if (props.State === 'DISABLED') plan.skipped.push({ logicalId, type: resource.Type });
        else plan.schedules.push(scheduleRule(logicalId, props, resolve, names));
        break;
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Authorizer':
        // Read through the routes that use them.
        break;
      default:
        if (!NOT_LOCAL.has(resource.Type)) {
          throw new Error(`${logicalId}: resource type ${resource.Type} has no local counterpart yet`);
        }
        plan.skipped.push({ logicalId, type: resource.Type });
    }
  }
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    plan.outputs[key] = String(resolve(output.Value, `Outputs.${key}`));
  }
  return plan;
}

type Resolve = (value: Json, path: string) => Json;

interface Names {
  ref(logicalId: string): string;
  name(logicalId: string): string;
  attr(logicalId: string, attribute: string): string;
  functionNameFromArn(arn: string): string;
}

/**
 * Local physical names follow CloudFormation's habit of `<stack>-<logicalId>`: derived from the
 * template, never written down twice.
 */
function physicalNames(resources: Record<string, CfnResource>, o: PlanOptions): Names {
  const base = (logicalId: string) => `${o.stackName}-${logicalId}`;
  const name = (logicalId: string) => {
    const type = resources[logicalId]?.Type;
    if (type === 'AWS::S3::Bucket') return base(logicalId).toLowerCase().slice(0, 63);
    return base(logicalId).slice(0, 64);
  };
  const arn = (logicalId: string): string => {
    const n = name(logicalId);
    switch (resources[logicalId]?.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${n}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${o.region}:${o.account}:table/${n}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${o.region}:${o.account}:function:${n}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${o.region}:${o.account}:stateMachine:${n}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${o.account}:role/${n}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${o.region}:${o.account}:log-group:${n}:*`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${o.region}:${o.account}:rule/${n}`;
      default:
        return `arn:aws:local:${o.region}:${o.account}:${n}`;
    }
  };
  return {
    name,
    ref: (logicalId) => {
      const type = resources[logicalId]?.Type;
      if (type === 'AWS::StepFunctions::StateMachine') return arn(logicalId);
      if (type === 'AWS::ApiGatewayV2::Api') return 'local';
      return type === undefined ? logicalId : name(logicalId);
    },
    attr: (logicalId, attribute) => {
      if (attribute === 'Arn') return arn(logicalId);
      if (attribute === 'ApiEndpoint') return o.apiEndpoint;
      if (attribute === 'Name' || attribute === 'StreamArn') return name(logicalId);
      throw new Error(`${logicalId}.${attribute}: attribute has no local value`);
    },
    functionNameFromArn: (value) => value.slice(value.lastIndexOf(':') + 1),
  };
}

function resolver(resources: Record<string, CfnResource>, names: Names, o: PlanOptions): Resolve {
  const pseudo: Record<string, string> = {
    'AWS::Region': o.region,
    'AWS::AccountId': o.account,
    'AWS::Partition': 'aws',
    'AWS::StackName': o.stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve: Resolve = (value, path) => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v, i) => resolve(v, `${path}[${i}]`));
    const [fn, ...more] = Object.keys(value);
    const arg = fn === undefined ? undefined : value[fn];
    if (fn === undefined || more.length > 0 || (!fn.startsWith('Fn::') && fn !== 'Ref')) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, `${path}.${k}`)]));
    }
    switch (fn) {
      case 'Ref': {
        const id = String(arg);
        if (id in pseudo) return pseudo[id] as string;
        if (!(id in resources)) throw new Error(`${path}: Ref to unknown ${id}`);
        return names.ref(id);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as string[];
        if (!id || !attribute || !(id in resources))
          throw new Error(`${path}: bad Fn::GetAtt ${JSON.stringify(arg)}`);
        return names.attr(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, Json[]];
        return (resolve(parts, path) as Json[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, Json];
        return (resolve(list, path) as Json[])[Number(index)] ?? null;
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, Json];
        return String(resolve(source, path)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, Json>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return String(resolve(variables[name] ?? null, path));
          if (name in pseudo) return pseudo[name] as string;
          const [id, attribute] = name.split('.');
          if (!id || !(id in resources)) throw new Error(`${path}: Fn::Sub names unknown ${name}`);
          return attribute ? names.attr(id, attribute) : names.ref(id);
        });
      }
      default:
        throw new Error(`${path}: intrinsic ${fn} is not supported by the local deployer`);
    }
  };
  return resolve;
}

/**
 * Managed policies AWS defines, by the ARN's path after `:iam::aws:policy/`. Only what strata's roles
 * attach; any other managed policy grants nothing locally, so a grant that relies on it is denied and
 * shows up rather than passing unseen.
 */
const AWS_MANAGED_POLICIES: Record<string, PolicyStatement[]> = {
  'service-role/AWSLambdaBasicExecutionRole': [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: ['*'],
    },
  ],
};

/**
 * The role a function runs as and every statement that role holds, resolved to local names and ARNs: its
 * inline policies, the `AWS::IAM::Policy` resources attached to it (CDK's own constructs still make
 * those), and the AWS managed policies it lists that are modelled above.
 */
function functionRole(
  functionId: string,
  roleProperty: Json,
  resources: Record<string, CfnResource>,
  resolve: Resolve,
): { arn: string; policy: PolicyStatement[] } {
  const arn = String(resolve(roleProperty, `${functionId}.Role`));
  const getAtt = (roleProperty as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
  const roleId = getAtt?.[0];
  const role = roleId ? resources[roleId] : undefined;
  // A role from outside the template (an ARN string): its grants are unknown here, so none are assumed.
  if (!roleId || role?.Type !== 'AWS::IAM::Role') return { arn, policy: [] };
  const documents: Array<{ where: string; document: Json }> = [];
  const policies = (role.Properties?.Policies ?? []) as Array<{ PolicyName?: string; PolicyDocument: Json }>;
  for (const policy of policies) {
    documents.push({
      where: `${roleId}.Policies.${policy.PolicyName ?? '?'}`,
      document: policy.PolicyDocument,
    });
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.Roles ?? []) as Json[];
    if (roles.some((r) => (r as { Ref?: string } | null)?.Ref === roleId)) {
      documents.push({ where: id, document: resource.Properties?.PolicyDocument ?? null });
    }
  }
  const statements = documents.flatMap(({ where, document }) => {
    const resolved = resolve(document, `${where}.PolicyDocument`) as { Statement?: Json | Json[] } | null;
    return [resolved?.Statement ?? []]
      .flat()
      .map((s, i) => normalizeStatement(s, `${where}.Statement[${i}]`));
  });
  const managed = resolve(role.Properties?.ManagedPolicyArns ?? [], `${roleId}.ManagedPolicyArns`) as Json[];
  for (const policyArn of managed.map(String)) {
    const path = policyArn.split(':iam::aws:policy/')[1];
    statements.push(...((path && AWS_MANAGED_POLICIES[path]) || []));
  }
  return { arn, policy: statements };
}

function bucketNotifications(
  props: Record<string, Json>,
  resolve: Resolve,
  names: Names,
): LocalNotification[] {
  const bucket = String(resolve(props.BucketName ?? null, 'BucketName'));
  const config = resolve(props.NotificationConfiguration ?? {}, 'NotificationConfiguration') as {
    LambdaFunctionConfigurations?: Array<{
      Events: string[];
      LambdaFunctionArn: string;
      Filter?: { Key?: { FilterRules?: Array<{ Name: string; Value: string }> } };
    }>;
  };
  return (config.LambdaFunctionConfigurations ?? []).map((c) => {
    const rules = c.Filter?.Key?.FilterRules ?? [];
    return {
      bucket,
      events: c.Events,
      prefix: rules.find((r) => r.Name.toLowerCase() === 'prefix')?.Value,
      suffix: rules.find((r) => r.Name.toLowerCase() === 'suffix')?.Value,
      functionName: names.functionNameFromArn(c.LambdaFunctionArn),
    };
  });
}

function apiRoute(
  logicalId: string,
  props: Record<string, Json>,
  resources: Record<string, CfnResource>,
  resolve: Resolve,
  names: Names,
): LocalRoute {
  const target = String(resolve(props.Target ?? '', `${logicalId}.Target`));
  const integrationId = referencedId(props.Target ?? null, 'AWS::ApiGatewayV2::Integration', resources);
  const integration = integrationId ? resources[integrationId]?.Properties : undefined;
  if (!integration)
    throw new Error(`${logicalId}: route target ${target} is not an integration of this template`);
  const route: LocalRoute = {
    routeKey: String(props.RouteKey),
    functionName: names.functionNameFromArn(
      String(resolve(integration.IntegrationUri ?? '', `${logicalId}.Uri`)),
    ),
  };
  if (props.AuthorizationType === 'CUSTOM') {
    const authorizerId = referencedId(props.AuthorizerId ?? null, 'AWS::ApiGatewayV2::Authorizer', resources);
    const authorizer = authorizerId ? resources[authorizerId]?.Properties : undefined;
    if (!authorizer) throw new Error(`${logicalId}: CUSTOM route without an authorizer of this template`);
    // AuthorizerUri is `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<fn arn>/invocations`.
    const uri = String(resolve(authorizer.AuthorizerUri ?? '', `${authorizerId}.AuthorizerUri`));
    const functionArn = uri.split('/functions/')[1]?.replace(/\/invocations$/, '') ?? '';
    route.authorizer = {
      functionName: names.functionNameFromArn(functionArn),
      identityHeaders: ((authorizer.IdentitySource ?? []) as string[])
        .filter((s) => s.startsWith('$request.header.'))
        .map((s) => s.slice('$request.header.'.length).toLowerCase()),
      ttlSeconds: Number(authorizer.AuthorizerResultTtlInSeconds ?? 0),
      simpleResponses: authorizer.EnableSimpleResponses === true,
    };
  }
  return route;
}

function scheduleRule(
  logicalId: string,
  props: Record<string, Json>,
  resolve: Resolve,
  names: Names,
): LocalSchedule {
  if (typeof props.ScheduleExpression !== 'string') {
    throw new Error(
      `${logicalId}: only schedule rules run locally; event-pattern rules have no counterpart yet`,
    );
  }
  const expression = props.ScheduleExpression;
  const targets = (resolve(props.Targets ?? [], `${logicalId}.Targets`) as Array<Record<string, Json>>).map(
    (target) => {
      const arn = String(target.Arn);
      if (!arn.includes(':function:'))
        throw new Error(`${logicalId}: target ${arn} is not a Lambda function`);
      return {
        functionName: names.functionNameFromArn(arn),
        ...(typeof target.Input === 'string' && { input: target.Input }),
      };
    },
  );
  return {
    logicalId,
    arn: names.attr(logicalId, 'Arn'),
    expression,
    everyMs: parseRate(expression, logicalId),
    targets,
  };
}

const RATE_UNITS_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `rate(5 minutes)`, `rate(1 day)` → milliseconds. Cron expressions are refused: nothing here needs one. */
export function parseRate(expression: string, where = 'schedule'): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression.trim());
  const value = Number(match?.[1]);
  const unit = RATE_UNITS_MS[match?.[2] ?? ''];
  if (!match || unit === undefined || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `${where}: schedule "${expression}" is not supported locally (only rate(<n> minute|hour|day[s]))`,
    );
  }
  return value * unit;
}

/** The logical id a `Ref` (possibly inside a Join) points at, if it is of `type`. */
function referencedId(value: Json, type: string, resources: Record<string, CfnResource>): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (!Array.isArray(value) && typeof value.Ref === 'string') {
    return resources[value.Ref]?.Type === type ? value.Ref : undefined;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    const found = referencedId(child, type, resources);
    if (found) return found;
  }
  return undefined;
}
