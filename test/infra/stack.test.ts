import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { StrataStack } from '../../infra/stack.js';
import { createStrataApp, formatNagViolations, nagReport } from '../../infra/strata-app.js';
import { TABLE_WRITER_LEASE_MS, TABLE_WRITER_WAIT_MS } from '../../shared/app/pipeline/version.js';
import { ROUTE_LIST } from '../../shared/http/routes.js';
import { actionsOf, allStatements, entriesGranted, type Statement, statementsOf } from './policies.js';

// Synthesizing once keeps the suite fast; every test reads the same template.
let template: Template;
let app: ReturnType<typeof createStrataApp>['app'];

beforeAll(() => {
  const synthesized = createStrataApp({ bundle: false, outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')) });
  app = synthesized.app;
  template = Template.fromStack(synthesized.stack);
});

type Retrier = {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds: number;
};

/** The state machine's definition (parsed JSON), its function ARNs (tokens in the template) as `arn:function`. */
function stateMachineDefinition() {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts: unknown[] = machine?.Properties.DefinitionString['Fn::Join'][1] ?? [];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'arn:function')).join(''));
}

describe('the strata stack', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    // Act
    const report = nagReport(app);

    // Assess
    expect(formatNagViolations(report)).toBe('');
    expect(report.success).toBe(true);
  });

  it('stays at or under 150 resources, well within CloudFormation’s 500 a stack', () => {
    // Prepare
    const count = Object.keys(template.toJSON().Resources).length;

    // Assess: the message carries the count, so a change that grows the stack shows by how much. 133 at the
    // time of writing: 29 functions with a role each (10 API areas, the authorizer, 12 pipeline functions,
    // trigger, sweeper, two schedulers, the connector pull, the bucket-notification handler) and 24 API
    // routes, one greedy route per area prefix (GATEWAY_ROUTES), so a new API route under an existing
    // prefix costs nothing; a new function costs two (function and role), a new area about four.
    expect(count, `${count} resources`).toBeLessThanOrEqual(150);
  });

  it('gives every acknowledged nag rule a reason', () => {
    // Prepare
    const acknowledgments = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      // Each entry is `{ [ruleId]: reason }`.
      .flatMap((m) => Object.entries(m.data as Record<string, string>));

    // Assess
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgments) expect(reason.length, id).toBeGreaterThan(20);
  });

  it('keeps the data bucket encrypted, private, TLS-only and versioned, with a rule for archived/', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data-bucket/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'archived/', Status: 'Enabled' })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('moves archived/ to Glacier Instant Retrieval after the set days and clears old delete markers', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'archived/',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
          }),
          Match.objectLike({
            ExpiredObjectDeleteMarker: true,
            NoncurrentVersionExpiration: Match.anyValue(),
          }),
        ]),
      },
    });
  });

  it('runs the lifecycle scheduler daily through an EventBridge rule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
  });

  it('starts due connectors every minute and lets the pull read only strata/ secrets', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function');
    const idOf = (entry: string) =>
      Object.keys(functions).find((id) => functions[id]?.Metadata?.[ENTRY_METADATA_KEY] === entry) ?? '';
    const pull = idOf('functions/connector-pull/handler.ts');
    const scheduler = idOf('functions/connector-scheduler/handler.ts');

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [scheduler, 'Arn'] } })],
    });
    expect(functions[pull]?.Properties).toMatchObject({
      Timeout: 900,
      Environment: { Variables: { SECRETS_PREFIX: 'strata/' } },
    });
    const secretStatements = allStatements(template).filter((st) =>
      JSON.stringify(st.Action).includes('secretsmanager'),
    );
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]?.Resource)).toContain(':secret:strata/*');
    expect(secretStatements[0]?.Action).toBe('secretsmanager:GetSecretValue');
  });

  it("ends a dataset's writer lease only after the version function's timeout, and waits for it within one", () => {
    // Prepare: a lease shorter than its holder's run could be taken by another file mid-commit
    const functions = template.findResources('AWS::Lambda::Function');
    const version = Object.values(functions).find(
      (fn) => fn.Metadata?.[ENTRY_METADATA_KEY] === 'functions/version/handler.ts',
    );
    const timeoutMs = Number(version?.Properties?.Timeout) * 1000;

    // Assess
    expect(timeoutMs).toBeGreaterThan(0);
    expect(TABLE_WRITER_LEASE_MS).toBeGreaterThan(timeoutMs);
    expect(TABLE_WRITER_WAIT_MS).toBeLessThan(timeoutMs / 2);
  });

  it('lets the pull only create objects under fresh/ and list keys there: no read, no delete', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function');
    const pull = Object.keys(functions).find(
      (id) => functions[id]?.Metadata?.[ENTRY_METADATA_KEY] === 'functions/connector-pull/handler.ts',
    );
    const statements = statementsOf(template, 'functions/connector-pull/handler.ts');
    const s3 = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));

    // Assess
    expect(s3.flatMap((st) => [st.Action].flat()).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:ListBucket',
      's3:PutObject',
    ]);
    for (const st of s3) {
      if ([st.Action].flat().includes('s3:ListBucket')) {
        expect(st.Condition).toEqual({ StringLike: { 's3:prefix': 'fresh/*' } });
      } else expect(JSON.stringify(st.Resource)).toContain('/fresh/*');
    }
    expect(functions[pull ?? '']?.Properties.Environment.Variables.DEPLOYMENT_BUCKETS).toBeDefined();
  });

  it('keeps a failed trigger event in a queue and retries throttled stages instead of quarantining', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function');
    const trigger = Object.keys(functions).find(
      (id) => functions[id]?.Metadata?.[ENTRY_METADATA_KEY] === 'functions/trigger/handler.ts',
    );
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    const definition = JSON.stringify(machine?.Properties.DefinitionString);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: trigger },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    // Every stage task and the quarantine task: 15 retriers of throttling (register, split, parse, scan,
    // settle, chunk, merge, validate on both paths, assess, profile, quality, drift, version, quarantine).
    expect(definition.match(/Lambda\.TooManyRequestsException/g)).toHaveLength(15);
    expect(definition).toContain('\\"JitterStrategy\\":\\"FULL\\"');
  });

  it('sweeps fresh/ for objects whose event was lost, listing versions only and writing only lineage/', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function');
    const sweeper = Object.keys(functions).find(
      (id) => functions[id]?.Metadata?.[ENTRY_METADATA_KEY] === 'functions/fresh-sweeper/handler.ts',
    );
    const statements = statementsOf(template, 'functions/fresh-sweeper/handler.ts');
    const s3 = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeper, 'Arn'] } })],
    });
    expect(s3).toEqual([
      expect.objectContaining({
        Action: 's3:ListBucketVersions',
        Condition: { StringLike: { 's3:prefix': 'fresh/*' } },
      }),
      // The FAIL event of a dead run it ends before retrying it (app/runs/retries.ts restartStalledRun).
      expect.objectContaining({
        Action: expect.arrayContaining(['s3:PutObject']),
        Resource: { 'Fn::Join': ['', [expect.anything(), '/lineage/*']] },
      }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': 'lineage/*' } },
      }),
    ]);
  });

  it('grants no function s3:DeleteObjectVersion or wildcard S3 actions, and lists only under a prefix', () => {
    // Prepare
    const statements = allStatements(template);
    const s3 = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    const deleters = entriesGranted(template, (st) => actionsOf(st).includes('s3:DeleteObject'));

    // Assess
    expect(s3.length).toBeGreaterThan(0);
    for (const st of s3) {
      for (const action of actionsOf(st)) {
        expect(action).not.toContain('*');
        expect(action).not.toBe('s3:DeleteObjectVersion');
        expect(action).not.toBe('s3:PutBucketVersioning');
      }
      if (actionsOf(st).some((a) => a === 's3:ListBucket' || a === 's3:ListBucketVersions')) {
        expect(st.Condition, JSON.stringify(st)).toMatchObject({
          StringLike: { 's3:prefix': expect.any(String) },
        });
      }
    }
    // Lifecycle moves and cleanup delete (a delete marker on the versioned bucket); nothing else does:
    // ApiLifecycle serves cleanup, ApiTrainingSets consuming a training set (a move), and the scheduler.
    expect(deleters).toEqual([
      'functions/api-lifecycle/handler.ts',
      'functions/api-training-sets/handler.ts',
      'functions/lifecycle-scheduler/handler.ts',
    ]);
  });

  it('lets only the vacuuming functions delete under tables/, and write there only their record in _strata/', () => {
    // Prepare
    const onTables = (st: Statement) => JSON.stringify(st.Resource).includes('/tables/*');
    const deleters = entriesGranted(
      template,
      (st) => onTables(st) && actionsOf(st).includes('s3:DeleteObject'),
    );
    const lifecycleWrites = [
      'functions/api-lifecycle/handler.ts',
      'functions/lifecycle-scheduler/handler.ts',
    ].flatMap((entry) =>
      statementsOf(template, entry).filter((st) => onTables(st) && actionsOf(st).includes('s3:PutObject')),
    );

    // Assess
    expect(deleters).toEqual([
      'functions/api-lifecycle/handler.ts',
      'functions/lifecycle-scheduler/handler.ts',
    ]);
    expect(lifecycleWrites.length).toBe(2);
    for (const st of lifecycleWrites) {
      expect(st.Resource).toEqual({ 'Fn::Join': ['', [expect.anything(), '/tables/*/_strata/*']] });
    }
  });

  it('lets functions write only tenant partitions of the metadata table, never API-key items', () => {
    // Prepare
    const metadataTable = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) =>
      id.startsWith('MetadataTable'),
    );
    const writesMetadata = (st: Statement) =>
      actionsOf(st).includes('dynamodb:PutItem') &&
      JSON.stringify(st.Resource).includes(`"${metadataTable}"`);
    const writes = allStatements(template).filter(writesMetadata);

    // Assess
    expect(writes.length).toBeGreaterThan(10);
    for (const st of writes) {
      expect(st.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] } });
    }
    const authorizerWrites = statementsOf(template, 'functions/authorizer/handler.ts').filter(writesMetadata);
    expect(authorizerWrites).toEqual([]);
  });

  it('grants Resource * only for the actions that support no resource-level permission (X-Ray, log delivery)', () => {
    // Prepare
    const starred = allStatements(template).filter((st) => JSON.stringify(st.Resource) === '"*"');
    const actions = new Set(starred.flatMap(actionsOf));

    // Assess: what the IAM5[Resource::*] acknowledgments say, and nothing else
    expect(starred.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(action, action).toMatch(
        /^(xray:|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))/,
      );
    }
  });

  it('reserves concurrency for the API and its authorizer, so a pipeline burst cannot starve them', () => {
    // Prepare
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const entry = (f: (typeof functions)[number]) => String(f.Metadata?.[ENTRY_METADATA_KEY]);
    const api = functions.filter((f) => entry(f).startsWith('functions/api-'));
    const authorizer = functions.find((f) => entry(f) === 'functions/authorizer/handler.ts');
    const parse = functions.find((f) => entry(f) === 'functions/parse/handler.ts');
    const areaEntries = [...new Set(ROUTE_LIST.map((spec) => `functions/${spec.handler}/handler.ts`))];

    // Assess: one function per area of the route registry, each with its own reservation
    expect(api).toHaveLength(10);
    expect(api.map(entry).sort()).toEqual(areaEntries.sort());
    for (const f of api) expect(f.Properties.ReservedConcurrentExecutions, entry(f)).toBe(5);
    expect(authorizer?.Properties.ReservedConcurrentExecutions).toBe(20);
    expect(parse?.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it("lets ApiFiles (serves the upload-URL routes) only put into fresh/, with the deployment's upload limit", () => {
    // Prepare
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')),
      postCliContext: { 'aws:cdk:bundling-stacks': [] },
      context: { 'strata:uploadMaxBytes': '1048576' },
    });
    const stack = new StrataStack(app, 'Limited');
    const limited = Template.fromStack(stack);
    const functions = limited.findResources('AWS::Lambda::Function');
    const upload = Object.entries(functions).find(
      ([, f]) => f.Metadata?.[ENTRY_METADATA_KEY] === 'functions/api-files/handler.ts',
    );
    const s3 = statementsOf(limited, 'functions/api-files/handler.ts').filter((st) =>
      actionsOf(st).some((a) => a.startsWith('s3:')),
    );

    // Assess
    expect(upload?.[1].Properties.Environment.Variables.UPLOAD_MAX_BYTES).toBe('1048576');
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
  });

  it('creates on-demand tables with point-in-time recovery and the listing indexes', () => {
    // metadata, versions, lineage, feature registry, online features
    template.resourceCountIs('AWS::DynamoDB::Table', 5);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1' }),
        Match.objectLike({ IndexName: 'gsi2' }),
      ],
    });
  });

  it('runs every strata function on Node 22 ARM64 with its source entry recorded', () => {
    // Prepare
    const functions = template.findResources('AWS::Lambda::Function', {
      Metadata: { [ENTRY_METADATA_KEY]: Match.anyValue() },
    });

    // Assess
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(6);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(fn.Metadata[ENTRY_METADATA_KEY]).toMatch(/^functions\/[a-z-]+\/handler\.ts$/);
    }
  });

  it('retries stages on TransientError and catches everything else into quarantine', () => {
    // Prepare
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));

    // Act
    const definition = stateMachineDefinition();

    // Assess
    expect(machines).toHaveLength(1);
    const register = definition.States['Stage: register'];
    expect(register.Retry).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ErrorEquals: ['TransientError'], MaxAttempts: 8, JitterStrategy: 'FULL' }),
      ]),
    );
    expect(register.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' }),
    ]);
    expect(definition.States['Quarantine file'].Next).toBe('Quarantined');
    expect(definition.States.Quarantined.Type).toBe('Fail');
  });

  it('lets a file wait its turn at a busy table for an hour or more before it is quarantined', () => {
    // Prepare: the version task's retrier of TableBusyError
    const definition = stateMachineDefinition();
    const busy = (definition.States['Stage: version']?.Retry as Retrier[] | undefined)?.find((r) =>
      r.ErrorEquals.includes('TableBusyError'),
    );
    const { IntervalSeconds = 0, BackoffRate = 1, MaxDelaySeconds = 0, MaxAttempts = 0 } = busy ?? {};

    // Act: the longest the retrier waits (full jitter draws each delay between 0 and that attempt's)
    let longest = 0;
    for (let attempt = 0; attempt < MaxAttempts; attempt++) {
      longest += Math.min(IntervalSeconds * BackoffRate ** attempt, MaxDelaySeconds);
    }

    // Assess: about half of it on average; no other stage waits on a table
    expect(busy).toBeDefined();
    expect(longest / 2).toBeGreaterThanOrEqual(3600);
    for (const [name, state] of Object.entries<{ Retry?: Retrier[] }>(definition.States)) {
      if (name !== 'Stage: version')
        expect(JSON.stringify(state.Retry ?? []), name).not.toContain('TableBusyError');
    }
  });

  it('chains the stages register → parse → validate → profile → quality → drift → version', () => {
    // Prepare
    const definition = stateMachineDefinition();

    // Act: follow Next from parse (register goes through the duplicate Choice first).
    const order: string[] = [];
    for (let state = 'Stage: parse'; state?.startsWith('Stage: '); state = definition.States[state].Next) {
      order.push(state.slice('Stage: '.length));
    }

    // Assess
    expect(order).toEqual(['parse', 'validate', 'profile', 'quality', 'drift', 'version']);
    expect(definition.States['Stage: version'].Next).toBe('Versioned');
  });

  it('runs a big file as chunks in a Distributed Map over the split stage’s list, then merges and rejoins', () => {
    // Prepare
    const definition = stateMachineDefinition();

    // Act: from the split's Choice, follow the text file's branch (scan, settle, then the Parquet one's),
    // through the Assess Map where the merge asks for it.
    const choice = definition.States['In chunks?'];
    const order: string[] = [];
    for (let state = choice.Choices[0].Next; state; ) {
      order.push(state);
      if (state === 'Stage: quality') break;
      const at = definition.States[state];
      state = at.Type === 'Choice' ? at.Choices[0].Next : at.Next;
    }
    const assessChoice = definition.States['Assess in chunks?'];

    // Assess
    expect(definition.States['Stage: split'].Next).toBe('In chunks?');
    expect(choice.Default).toBe('Stage: parse');
    expect(choice.Choices[1].Next).toBe('Chunks');
    expect(definition.States['Stage: settle'].ResultPath).toBe('$.split');
    expect(order).toEqual([
      'Scan chunks',
      'Stage: settle',
      'Chunks',
      'Stage: merge',
      'Merged parse',
      'Merged profile',
      'Stage: validate chunks',
      'Assess in chunks?',
      'Assess chunks',
      'Stage: quality',
    ]);
    // The Map runs only when the merge answers `assess: true`; otherwise quality follows validation.
    expect(assessChoice.Choices[0]).toEqual({
      And: [
        { Variable: '$.merge.assess', IsPresent: true },
        { Variable: '$.merge.assess', BooleanEquals: true },
      ],
      Next: 'Assess chunks',
    });
    expect(assessChoice.Default).toBe('Stage: quality');
    const map = definition.States.Chunks;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemReader).toMatchObject({
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.split.bucket', 'Key.$': '$.split.planKey' },
    });
    expect(map.ResultPath).toBeNull();
    expect(map.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'chunk failed' }),
    ]);
    // The quality Map reads the same list and names the merged profile in every item.
    const assess = definition.States['Assess chunks'];
    expect(assess.ItemReader).toEqual(map.ItemReader);
    expect(assess.ItemSelector.assess).toEqual({ 'profileKey.$': '$.profile.profileKey' });
    expect(assess.ItemProcessor.States['Stage: assess'].Parameters.state['assess.$']).toBe('$.assess');
  });

  it('starts ingestion from ObjectCreated events under fresh/ only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'fresh/' }] } },
            LambdaFunctionArn: Match.anyValue(),
          },
        ],
      },
    });
  });

  it('guards the API with the API-key authorizer except for the health route', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.x-api-key'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /health',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /datasets/{name}/{proxy+}',
      AuthorizationType: 'CUSTOM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});

describe('connector pulls in a VPC', () => {
  it('runs the pull function in the given subnets and lets connectors reach private addresses', () => {
    // Prepare
    const vpcApp = new App({
      outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')),
      postCliContext: { 'aws:cdk:bundling-stacks': [] },
      context: {
        'strata:connectorVpc': {
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['us-east-1a', 'us-east-1b'],
          privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb'],
          securityGroupIds: ['sg-0ccc'],
        },
      },
    });

    // Act
    const stack = new StrataStack(vpcApp, 'Strata');
    const vpcTemplate = Template.fromStack(stack);
    const report = nagReport(vpcApp);

    // Assess
    const functions = Object.values(vpcTemplate.findResources('AWS::Lambda::Function'));
    const pull = functions.find(
      (f) => f.Metadata?.[ENTRY_METADATA_KEY] === 'functions/connector-pull/handler.ts',
    );
    expect(pull?.Properties.VpcConfig).toEqual({
      SubnetIds: ['subnet-0aaa', 'subnet-0bbb'],
      SecurityGroupIds: ['sg-0ccc'],
    });
    expect(pull?.Properties.Environment.Variables.CONNECTOR_NETWORK_POLICY).toBe('private');
    expect(functions.filter((f) => f.Properties.VpcConfig !== undefined)).toHaveLength(1);
    expect(formatNagViolations(report)).toBe('');
  });
});

describe('a stack with an account and region, as a deploy synthesizes it', () => {
  it('has no unacknowledged cdk-nag finding when ARNs carry the literal region and account', () => {
    // Prepare: acknowledgment ids spell ARNs as nag does, which differs once the env is concrete
    const envApp = new App({
      outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')),
      postCliContext: { 'aws:cdk:bundling-stacks': [] },
    });

    // Act
    new StrataStack(envApp, 'Strata', { env: { account: '123456789012', region: 'eu-west-1' } });
    const report = nagReport(envApp);

    // Assess
    expect(formatNagViolations(report)).toBe('');
  });
});
