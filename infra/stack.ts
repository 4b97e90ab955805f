import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  type HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { CATALOG_DATABASE_PREFIX } from '../shared/domain/catalog.js';
import { RETRYABLE_ERROR_NAMES } from '../shared/errors.js';
import { GATEWAY_ROUTES, ROUTE_LIST, type Tag } from '../shared/http/routes.js';
import { InlinePolicyRole } from './constructs/inline-policy-role.js';
import { StrataFunction, type StrataFunctionProps } from './constructs/strata-function.js';

/** Functions write only tenant partitions of the metadata table; API-key items are the operators'. */
const TENANT_ITEMS = { writablePartitions: 'T#*' };

/**
 * Chunks of one file processed at once. Each is a 2 GB function for up to a few minutes; 40 keeps a big
 * file's burst well inside a default account's 1,000 concurrent executions while other files go on.
 */
const CHUNK_CONCURRENCY = 40;

/**
 * A TransientError is a dependency that is down or overloaded (a 5xx, a refused connection). Waiting out
 * a restart (up to ~5 minutes over 8 attempts) beats quarantining a good file for an outage; what is
 * still failing after that is quarantined with TransientError as its reason and can be retried.
 */
const TRANSIENT_RETRY = {
  errors: [...RETRYABLE_ERROR_NAMES],
  interval: Duration.seconds(2),
  maxAttempts: 8,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};

/**
 * A file whose dataset's table another file's version stage is writing waits its turn (TableBusyError):
 * a burst of N files into one dataset queues for N version stages (~1–2 s each). Short delays keep the
 * lease in use; 400 attempts of up to 20 s (full jitter: ~1 hour on average, ~2.2 hours at most) outwait
 * a burst of well over a thousand files without a function running between attempts.
 */
const TABLE_BUSY_RETRY = {
  errors: ['TableBusyError'],
  interval: Duration.seconds(1),
  maxAttempts: 400,
  backoffRate: 1.5,
  maxDelay: Duration.seconds(20),
  jitterStrategy: JitterType.FULL,
};

/**
 * A burst of files throttles the stage functions; that is load, not a bad file. CDK's default retry covers
 * Lambda's service errors but not throttling, so without this a burst would quarantine good files. Full
 * jitter spreads the retries of many executions throttled at the same moment.
 */
const THROTTLING_RETRY = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(1),
  maxAttempts: 12,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};

/**
 * `arn:<partition>:<service>:<region>:<account>` as cdk-nag spells it in a finding id: pseudo parameters
 * as `<AWS::Region>` while unresolved, the literal values when the stack has an env (a deploy does).
 */
function nagArnPrefix(stack: Stack, service: string): string {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  return `arn:${part(stack.partition, 'AWS::Partition')}:${service}:${part(stack.region, 'AWS::Region')}:${part(stack.account, 'AWS::AccountId')}`;
}

/** Connector secrets live in Secrets Manager as `<prefix><tenant>/<name>`. */
export const CONNECTOR_SECRETS_PREFIX = 'strata/';

export interface StrataStackProps extends StackProps {
  /**
   * Days after which an object under archived/ moves to Glacier Instant Retrieval (still readable at once,
   * so moves and training reads keep working). Else context `strata:archiveTransitionDays`, else 30.
   */
  readonly archiveTransitionDays?: number;
  /**
   * Days after which S3 itself expires objects under archived/. Off unless set (or context
   * `strata:archiveExpirationDays`): deletion is the retention policy's job, which keeps the records
   * right; set this only as a backstop longer than any tenant's `daysOld + graceDays`.
   */
  readonly archiveExpirationDays?: number;
  /**
   * An OpenLineage HTTP consumer (e.g. Marquez, `http://marquez:5000`) the pipeline POSTs its run events
   * to, beside `lineage/` in the data bucket. Else context `strata:openLineageUrl`, else none.
   */
  readonly openLineageUrl?: string;
  /**
   * Where connector pulls run: subnets of a VPC (to reach private databases; the VPC must reach S3,
   * DynamoDB and Secrets Manager through endpoints or NAT). Connectors may then reach private addresses,
   * never loopback or link-local ones. Else context `strata:connectorVpc` =
   * `{"vpcId", "availabilityZones", "privateSubnetIds", "securityGroupIds"}`, else no VPC and public
   * addresses only.
   */
  readonly connectorNetwork?: StrataFunctionProps['network'];
  /**
   * Concurrency reserved for each API function and for the authorizer, so a burst of one tenant's
   * pipeline (or of one route) cannot take the account's whole Lambda concurrency and starve every API
   * call. The reservation is also each one's cap. Else context `strata:apiConcurrency` /
   * `strata:authorizerConcurrency`, else 5 and 20; 0 reserves nothing (accounts whose concurrency quota
   * is too small to reserve: AWS keeps 100 unreserved).
   */
  readonly apiConcurrency?: number;
  /** Largest file a presigned upload accepts, in bytes. Else context `strata:uploadMaxBytes`, else 5 GiB. */
  readonly uploadMaxBytes?: number;
  readonly authorizerConcurrency?: number;
}

export class StrataStack extends Stack {
  constructor(scope: Construct, id: string, props?: StrataStackProps) {
    super(scope, id, props);
    const contextNumber = (key: string): number | undefined => {
      const value = this.node.tryGetContext(key);
      return value === undefined ? undefined : Number(value);
    };
    const archiveTransitionDays =
      props?.archiveTransitionDays ?? contextNumber('strata:archiveTransitionDays') ?? 30;
    const archiveExpirationDays =
      props?.archiveExpirationDays ?? contextNumber('strata:archiveExpirationDays');
    const apiConcurrency = props?.apiConcurrency ?? contextNumber('strata:apiConcurrency') ?? 5;
    const authorizerConcurrency =
      props?.authorizerConcurrency ?? contextNumber('strata:authorizerConcurrency') ?? 20;
    const uploadMaxBytes = props?.uploadMaxBytes ?? contextNumber('strata:uploadMaxBytes');
    const reserved = (n: number) => (n > 0 ? { reservedConcurrency: n } : {});
    const openLineageUrl: string | undefined =
      props?.openLineageUrl ?? this.node.tryGetContext('strata:openLineageUrl');

    // ---- storage -------------------------------------------------------------------------------
    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket; logging it into itself would loop.',
    });

    const dataBucket = new Bucket(this, 'DataBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'archived-to-cold-storage',
          prefix: 'archived/',
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(archiveTransitionDays),
            },
          ],
          ...(archiveExpirationDays !== undefined && { expiration: Duration.days(archiveExpirationDays) }),
        },
        {
          // Intermediate data between stages; every version keeps its own snapshot.
          id: 'expire-staging',
          prefix: 'staging/',
          expiration: Duration.days(7),
        },
        {
          // Versioning keeps overwritten and deleted objects recoverable; bound how long.
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(90),
          // Lifecycle moves and cleanup leave delete markers; once their old version expired they are noise.
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    const metadataTable = this.table('MetadataTable', ['gsi1', 'gsi2']);
    const versionsTable = this.table('VersionsTable', ['gsi1']);
    const lineageTable = this.table('LineageTable', ['gsi1']);
    const featuresTable = this.table('FeaturesTable', []);
    const onlineFeaturesTable = this.table('OnlineFeaturesTable', []);

    // One log group for every function: Lambda names each stream after its function.
    const functionLogs = new LogGroup(this, 'FunctionLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---- pipeline ------------------------------------------------------------------------------
    const register = new StrataFunction(this, 'Register', {
      logGroup: functionLogs,
      name: 'register',
      description: 'Pipeline stage 1: content hash, format, data type, dedupe; writes the file record',
      memorySize: 1024,
      timeout: Duration.minutes(5),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);

    const quarantine = new StrataFunction(this, 'Quarantine', {
      logGroup: functionLogs,
      name: 'quarantine',
      description: 'Catch of every stage: copies the file to quarantine/ and records stage + error',
      timeout: Duration.minutes(2),
    })
      // Reads the failed file and its validation report; writes only under quarantine/.
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'reports/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'quarantine/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);

    const quarantined = new LambdaInvoke(this, 'Quarantine file', {
      lambdaFunction: quarantine.fn,
      payload: runPayload('quarantine'),
      payloadResponseOnly: true,
      resultPath: '$.quarantine',
    })
      .addRetry(TRANSIENT_RETRY)
      .addRetry(THROTTLING_RETRY)
      .next(new Fail(this, 'Quarantined', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));

    const parse = new StrataFunction(this, 'Parse', {
      logGroup: functionLogs,
      name: 'parse',
      description: 'Pipeline stage 2: CSV/JSONL/JSON/Parquet → canonical Parquet in staging/ (+ its profile)',
      // Two vCPUs: the Parquet writer compresses a row group on a worker thread while the next is parsed,
      // and V8 collects garbage beside both; the rows' validation and profile are made here too.
      memorySize: 3008,
      timeout: Duration.minutes(15),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'staging/*')
      // The staged data's profile, made while writing it (the profile stage then publishes it).
      .bindBucket('DATA_BUCKET', dataBucket, 'put', 'reports/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    // A big file is parsed in chunks: split plans them (reads the source's footer, writes the chunk list to
    // staging/), one chunk function per chunk parses its part into staging/, merge sums and merges them.
    const split = new StrataFunction(this, 'Split', {
      logGroup: functionLogs,
      name: 'split',
      description: 'Pipeline stage 2: parse the file whole, or plan its chunks (a list in staging/)',
      // Usually a footer or a head read; a JSON array is re-cut into pieces here in one streaming pass,
      // holding up to two pieces of `chunkBytes` (256 MiB by default) while one uploads.
      memorySize: 1536,
      timeout: Duration.minutes(15),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'staging/*')
      // The dataset's config, and the run's attempt records.
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    const chunk = new StrataFunction(this, 'Chunk', {
      logGroup: functionLogs,
      name: 'chunk',
      description:
        'Pipeline stage 2, one chunk of a big file → staged Parquet + partial profile; later its quality state',
      memorySize: 2048,
      timeout: Duration.minutes(15),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'staging/*')
      // The merged profile a chunk's quality is assessed against (chunk-quality.ts).
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'reports/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    const settle = new StrataFunction(this, 'Settle', {
      logGroup: functionLogs,
      name: 'settle',
      description:
        'Pipeline stage 2, a text file in chunks: scans settled into the schema and the convert plan',
      memorySize: 1024,
      timeout: Duration.minutes(15),
    })
      // A chunk that guessed its first record wrong is scanned again here, from the source.
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'fresh/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'staging/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    const merge = new StrataFunction(this, 'Merge', {
      logGroup: functionLogs,
      name: 'merge',
      description: 'Pipeline stage 2, after the chunks: counts summed, partial profiles merged → reports/',
      // Dedup keys across chunks hold one key set for the whole file, as the parse stage does.
      memorySize: 2048,
      timeout: Duration.minutes(15),
    })
      // Dedup keys across chunks: the rows to drop are stored, then the chunks that lose rows rewritten.
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'staging/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'reports/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    // Validate and profile both scan the staged Parquet and write a report.
    const stagedScanner = (id: string, name: string, description: string, memorySize = 1024) =>
      new StrataFunction(this, id, {
        name,
        description,
        logGroup: functionLogs,
        memorySize,
        timeout: Duration.minutes(10),
      })
        .bindBucket('DATA_BUCKET', dataBucket, 'read', 'staging/*')
        .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'reports/*')
        .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    // Both are single-threaded scans bound by CPU: Lambda gives a function one full vCPU from 1,769 MB
    // (at 1 GB, 0.58 of one), so below that they take longer for about the same cost.
    const validate = stagedScanner(
      'Validate',
      'validate',
      'Pipeline stage 3: validation suite over the staged data',
      // A uniqueness check holds one set of 64-bit key hashes for the whole file (a chunked file's folded
      // from its chunks' states): ~21 bytes a row, so ~130M rows a check, as quality's row-hash set holds.
      3008,
    );
    const profile = stagedScanner(
      'Profile',
      'profile',
      'Pipeline stage 4: per-column profile of the staged data',
      1769,
    );
    const quality = stagedScanner(
      'Quality',
      'quality',
      'Pipeline stage 5: data quality (missing, outliers, stuck values, noise, duplicates) → reports/',
      // Duplicate rows are counted in one set of 64-bit row hashes for the whole file (a chunked file's
      // folded from its chunks' states), sized from the row count: 9 bytes a slot, 1.2 GB for up to 94M
      // rows, 2.4 GB for up to 188M, which 3 GB holds; a chunked file with more is counted one partition
      // of the hashes at a time (MAX_ROWS_PER_SET).
      3008,
    );
    // Holds both sides' numeric columns in memory (the reference up to 500 000 sampled rows, the file up to
    // 1M values a column, 8 bytes a value).
    const drift = new StrataFunction(this, 'Drift', {
      logGroup: functionLogs,
      name: 'drift',
      description:
        'Pipeline stage 6: staged file vs the reference version (KS, MWU, chi², PSI, JS) → reports/',
      memorySize: 3008,
      timeout: Duration.minutes(10),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'staging/*')
      // The reference: the dataset's Delta table (log and data files) at the reference version.
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'tables/*')
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'reports/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
      .bindTable('VERSIONS_TABLE', versionsTable, 'read')
      .bindTable('LINEAGE_TABLE', lineageTable, 'read');
    // Who commits to a dataset's Delta table registers it in the Glue Data Catalog (Athena: SELECT … FROM
    // strata_<tenant>.<dataset>): the account's catalog, strata's tenant databases and their tables only;
    // read, create and update, never delete.
    const registersTables = (fn: StrataFunction) => {
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'glue:GetDatabase',
            'glue:CreateDatabase',
            'glue:GetTable',
            'glue:CreateTable',
            'glue:UpdateTable',
          ],
          resources: [
            this.formatArn({ service: 'glue', resource: 'catalog' }),
            this.formatArn({
              service: 'glue',
              resource: 'database',
              resourceName: `${CATALOG_DATABASE_PREFIX}*`,
            }),
            this.formatArn({
              service: 'glue',
              resource: 'table',
              resourceName: `${CATALOG_DATABASE_PREFIX}*/*`,
            }),
          ],
        }),
      );
      Validations.of(fn).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'glue')}:database/${CATALOG_DATABASE_PREFIX}*]`,
          reason:
            'Tenants appear at run time, each with its own database strata_<tenant> that the first commit ' +
            'of its datasets creates; the grant covers databases with strata’s prefix only.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'glue')}:table/${CATALOG_DATABASE_PREFIX}*/*]`,
          reason:
            'Datasets appear at run time, each a table in its tenant’s strata_<tenant> database; the grant ' +
            'covers the tables of strata’s databases only.',
        },
      );
    };
    const version = new StrataFunction(this, 'Version', {
      logGroup: functionLogs,
      name: 'version',
      description:
        'Pipeline stage 7: gapless version number, gates, Delta commit in tables/ by write mode, lineage',
      timeout: Duration.minutes(5),
    })
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'staging/*')
      // The file's profile, merged into the table's (kept under the table's _strata/).
      .bindBucket('DATA_BUCKET', dataBucket, 'read', 'reports/*')
      // Data files (create-only copies) and the Delta log: commits and checkpoints, never a delete.
      .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'tables/*')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
      .bindTable('VERSIONS_TABLE', versionsTable, 'readWrite')
      .bindTable('LINEAGE_TABLE', lineageTable, 'readWrite');
    registersTables(version);
    // Where runs start and end, the run recorder writes their OpenLineage events (START at register,
    // COMPLETE at version or register for a duplicate, FAIL at quarantine) to lineage/ and, if set, POSTs
    // them to the OpenLineage endpoint. So does `GET /runs/{id}` for a run it ends (FAIL).
    const emitsRunLineage = (fn: StrataFunction) => {
      fn.bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'lineage/*');
      if (openLineageUrl) fn.fn.addEnvironment('OPENLINEAGE_URL', openLineageUrl);
    };
    for (const fn of [register, version, quarantine]) emitsRunLineage(fn);

    const assessed = this.stage('quality', quality.fn, quarantined)
      .next(this.stage('drift', drift.fn, quarantined))
      .next(this.stage('version', version.fn, quarantined).addRetry(TABLE_BUSY_RETRY))
      // The execution's output is the ingestion result: {dataset_id, status, version, rows_ingested, …}.
      .next(new Succeed(this, 'Versioned', { outputPath: '$.version' }));
    const whole = this.stage('parse', parse.fn, quarantined)
      .next(this.stage('validate', validate.fn, quarantined))
      .next(this.stage('profile', profile.fn, quarantined))
      .next(assessed);
    const chunked = this.chunks(chunk.fn, quarantined)
      .next(this.stage('merge', merge.fn, quarantined))
      // The merge answers the parse and profile results at once; the stages after it find them where the
      // whole file's path leaves them.
      .next(new Pass(this, 'Merged parse', { inputPath: '$.merge.parse', resultPath: '$.parse' }))
      .next(new Pass(this, 'Merged profile', { inputPath: '$.merge.profile', resultPath: '$.profile' }))
      .next(this.stage('validate', validate.fn, quarantined, 'Stage: validate chunks'))
      .next(
        // Each chunk's quality against the merged profile, in parallel, where the quality stage folds them
        // (the merge's `assess`); a file it assesses in one pass anyway skips the Map's invocations.
        new Choice(this, 'Assess in chunks?')
          .when(
            Condition.and(
              Condition.isPresent('$.merge.assess'),
              Condition.booleanEquals('$.merge.assess', true),
            ),
            this.chunks(chunk.fn, quarantined, 'assess').next(assessed),
          )
          .otherwise(assessed),
      );
    // A text file's chunks are scanned first; the settle's answer replaces the split's, so the convert Map
    // reads its plan where a Parquet file's split leaves one.
    const scanned = this.chunks(chunk.fn, quarantined, 'scan')
      .next(this.stage('settle', settle.fn, quarantined, 'Stage: settle', '$.split'))
      .next(chunked);
    const stages = this.stage('split', split.fn, quarantined).next(
      new Choice(this, 'In chunks?')
        .when(
          Condition.and(Condition.isPresent('$.split.scan'), Condition.booleanEquals('$.split.scan', true)),
          scanned,
        )
        .when(Condition.booleanEquals('$.split.chunked', true), chunked)
        .otherwise(whole),
    );
    const definition = this.stage('register', register.fn, quarantined).next(
      new Choice(this, 'Duplicate content?')
        .when(
          Condition.stringEquals('$.file.outcome', 'DUPLICATE'),
          new Succeed(this, 'Duplicate', { comment: 'The dataset already has this content; nothing to do.' }),
        )
        .otherwise(stages),
    );

    const stateMachineLogs = new LogGroup(this, 'IngestionLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The machine's grants (invoking the stages, log delivery, X-Ray) go inline into this role, which is
    // the machine's sibling, not its child: nag reports them on the role, so they are acknowledged there.
    const ingestionRole = new InlinePolicyRole(this, 'IngestionRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
    });
    const ingestion = new StateMachine(this, 'Ingestion', {
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: LogLevel.ALL, includeExecutionData: false },
      role: ingestionRole,
    });
    const ingestionId = Stack.of(this).resolve(
      (ingestion.node.defaultChild as import('aws-cdk-lib').CfnResource).logicalId,
    ) as string;
    // The Distributed Map reads the chunk lists the split stage writes, and nothing else of the bucket.
    ingestionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [dataBucket.arnForObjects('staging/*/chunks.json')],
      }),
    );
    Validations.of(ingestion).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'states')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${ingestionId}"}]}]}:*]`,
        reason:
          'A Distributed Map is watched through its executions: DescribeExecution/StopExecution on this ' +
          'machine’s executions (execution:<machine>:*), no other machine’s.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'states')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${ingestionId}"}]}]}/*:*]`,
        reason:
          'A Distributed Map runs each chunk as a child execution of this machine ' +
          '(execution:<machine>/<map run>:<child>); the grant covers those of this machine only.',
      },
    );
    Validations.of(ingestionRole).acknowledge(
      ...[
        register,
        split,
        parse,
        chunk,
        settle,
        merge,
        validate,
        profile,
        quality,
        drift,
        version,
        quarantine,
      ].map((stage) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((stage.fn.node.defaultChild as import('aws-cdk-lib').CfnResource).logicalId)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on function-arn:* covers versions and aliases of our own stage function.',
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'CloudWatch Logs delivery and X-Ray actions support no resource-level permissions.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::<DataBucketE3889A50.Arn>/staging/*/chunks.json]',
        reason:
          'The Distributed Map reads the chunk list of whichever file it splits: ' +
          'staging/<tenant>/<dataset>/<file>/chunks.json, and no other object.',
      },
    );

    // S3 invokes the trigger asynchronously: Lambda retries it twice, then hands the event to this queue
    // instead of dropping it (inspect or redrive it; the sweeper below restarts its object either way).
    const triggerFailures = new Queue(this, 'TriggerFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(triggerFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the trigger’s failed S3 events.',
    });
    const trigger = new StrataFunction(this, 'Trigger', {
      logGroup: functionLogs,
      name: 'trigger',
      description: 'S3 ObjectCreated under fresh/ → one ingestion execution per object (idempotent by name)',
      onFailure: new SqsDestination(triggerFailures),
    });
    trigger.fn.addEnvironment('STATE_MACHINE_ARN', ingestion.stateMachineArn);
    ingestion.grantStartExecution(trigger.fn);

    // The net under lost notifications: settled fresh/ objects without a file record get their pipeline.
    // A file whose execution died unfinished is retried (app/runs/retries.ts restartStalledRun): the sweeper reads
    // that execution, ends its run FAILED (with the FAIL event) and opens the retry's run.
    const sweeper = new StrataFunction(this, 'FreshSweeper', {
      logGroup: functionLogs,
      name: 'fresh-sweeper',
      description:
        'Every 10 minutes: start the pipeline of fresh/ objects without a record or left unfinished',
      timeout: Duration.minutes(5),
    })
      .bindBucketListing('DATA_BUCKET', dataBucket, 'fresh/')
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    sweeper.fn.addEnvironment('STATE_MACHINE_ARN', ingestion.stateMachineArn);
    ingestion.grantStartExecution(sweeper.fn);
    ingestion.grantExecution(sweeper.fn, 'states:DescribeExecution');
    Validations.of(sweeper).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'states')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).resolve((ingestion.node.defaultChild as import('aws-cdk-lib').CfnResource).logicalId)}"}]}]}:*]`,
      reason:
        'DescribeExecution needs execution ARNs: a file’s is any of the ingestion machine’s, no other’s.',
    });
    emitsRunLineage(sweeper);
    new Rule(this, 'FreshSweep', {
      description: 'Starts the pipeline of fresh/ objects whose S3 event was lost',
      schedule: Schedule.rate(Duration.minutes(10)),
      targets: [new LambdaFunction(sweeper.fn, { retryAttempts: 0 })],
    });
    dataBucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(trigger.fn), {
      prefix: 'fresh/',
    });
    this.suppressBucketNotificationsHandler();

    // ---- HTTP API ------------------------------------------------------------------------------
    const authorizerFn = new StrataFunction(this, 'Authorizer', {
      logGroup: functionLogs,
      name: 'authorizer',
      description: 'HTTP API authorizer: x-api-key → tenant',
      ...reserved(authorizerConcurrency),
    }).bindTable('METADATA_TABLE', metadataTable, 'read');
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFn.fn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.x-api-key'],
      resultsCacheTtl: Duration.minutes(5),
    });
    const api = new HttpApi(this, 'Api', {
      description: 'strata HTTP API',
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: ['*'],
        allowHeaders: ['content-type', 'x-api-key'],
        allowMethods: [CorsHttpMethod.ANY],
      },
    });
    const apiLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new HttpStage(this, 'ApiStage', {
      httpApi: api,
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
    const cfnStage = stage.node.defaultChild as import('aws-cdk-lib/aws-apigatewayv2').CfnStage;
    cfnStage.accessLogSettings = {
      destinationArn: apiLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        tenant: '$context.authorizer.tenant',
        latencyMs: '$context.responseLatency',
        error: '$context.error.message',
      }),
    };

    const readsMetadata = (fn: StrataFunction) => fn.bindTable('METADATA_TABLE', metadataTable, 'read');
    const readsVersions = (fn: StrataFunction) =>
      readsMetadata(fn)
        .bindTable('VERSIONS_TABLE', versionsTable, 'read')
        .bindTable('LINEAGE_TABLE', lineageTable, 'read');
    // Lifecycle moves copy between fresh/, used/ and archived/ and delete the source (a delete marker).
    const movesFiles = (fn: StrataFunction) =>
      fn
        .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
        .bindBucket('DATA_BUCKET', dataBucket, 'move', 'fresh/*')
        .bindBucket('DATA_BUCKET', dataBucket, 'move', 'used/*')
        .bindBucket('DATA_BUCKET', dataBucket, 'move', 'archived/*');

    // Vacuum reads a dataset table's log, records the oldest readable version in the table's `_strata/`
    // (the only key under tables/ it writes), and deletes the data files commits removed longer ago than
    // the tenant's table retention: a delete marker, the versioned bucket keeps the bytes until the
    // noncurrent-version rule. Deletes only under tables/; the log is never a candidate (domain/delta/vacuum.ts).
    const vacuumsTables = (fn: StrataFunction) => {
      fn.bindBucket('DATA_BUCKET', dataBucket, 'read', 'tables/*').bindBucket(
        'DATA_BUCKET',
        dataBucket,
        'readWrite',
        'tables/*/_strata/*',
      );
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: [dataBucket.arnForObjects('tables/*')],
        }),
      );
      return fn;
    };

    // ---- pull connectors -------------------------------------------------------------------------
    // One pull function for every connector: the scheduler (or the API) leases a due connector and starts
    // a run of it asynchronously. Connectors are tenants' data, created at run time: one rule per
    // connector would hit EventBridge's 300-rules-per-bus quota; one rule + a lease per connector does not.
    const connectorNetwork = props?.connectorNetwork ?? this.connectorNetworkFromContext();
    const connectorPull = new StrataFunction(this, 'ConnectorPull', {
      logGroup: functionLogs,
      name: 'connector-pull',
      description: 'One connector run: database / REST / S3 increment → Parquet in fresh/ → watermark',
      // npm run bench -- --case pull: 100 000-row batches of an 8-column table peak near 800 MB.
      memorySize: 2048,
      timeout: Duration.minutes(15),
      environment: {
        SECRETS_PREFIX: CONNECTOR_SECRETS_PREFIX,
        CONNECTOR_NETWORK_POLICY: connectorNetwork ? 'private' : 'public',
      },
      ...(connectorNetwork && { network: connectorNetwork }),
    })
      // Sources are read with the tenant's credentials (a secret), never with this role: it may only drop
      // files into fresh/, and cannot read any object.
      .bindBucketWriteOnly('DATA_BUCKET', dataBucket, 'fresh/')
      .nameBuckets('DEPLOYMENT_BUCKETS', [dataBucket, accessLogs])
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
    const connectorSecrets = this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${CONNECTOR_SECRETS_PREFIX}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    connectorPull.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [connectorSecrets] }),
    );
    Validations.of(connectorPull).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'secretsmanager')}:secret:${CONNECTOR_SECRETS_PREFIX}*]`,
      reason:
        'Connector secrets are created by tenants under strata/<tenant>/; the code reads only the ' +
        'calling tenant’s prefix, the policy bounds it to strata’s.',
    });
    const connectorScheduler = new StrataFunction(this, 'ConnectorScheduler', {
      logGroup: functionLogs,
      name: 'connector-scheduler',
      description: 'Every minute: lease each due connector and start its pull run',
      timeout: Duration.minutes(1),
    })
      .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
      .bindFunction('CONNECTOR_FUNCTION', connectorPull.fn);
    new Rule(this, 'ConnectorSchedule', {
      description: 'Starts due pull connectors',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed tick is made up by the next one; due connectors stay due until leased.
      targets: [new LambdaFunction(connectorScheduler.fn, { retryAttempts: 0 })],
    });

    // ---- lifecycle schedule ----------------------------------------------------------------------
    const lifecycleScheduler = new StrataFunction(this, 'LifecycleScheduler', {
      logGroup: functionLogs,
      name: 'lifecycle-scheduler',
      description:
        'Daily: finish interrupted lifecycle moves, apply each tenant’s retention policy, vacuum its tables',
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    vacuumsTables(movesFiles(lifecycleScheduler));
    new Rule(this, 'LifecycleSchedule', {
      description: 'Runs the lifecycle scheduler once a day',
      schedule: Schedule.rate(Duration.days(1)),
      targets: [new LambdaFunction(lifecycleScheduler.fn, { retryAttempts: 2 })],
    });

    // ---- HTTP API: one function per area of the route registry ----------------------------------
    // Each area function serves every registry entry tagged with its area (shared/lambda/http.ts) and holds
    // the union of what its routes' use cases need, nothing more. A new route is a registry entry and a
    // line in its area's handler: one Route resource here, no new function, role or log group.
    const areaGrants: Record<Tag, AreaSettings> = {
      // Liveness and the OpenAPI document: public on purpose, call no dependency, return no tenant data.
      meta: { bind: () => undefined },
      // Presigning needs PutObject on fresh/*: the URL carries the function's permission to the uploader,
      // and nothing more (the function reads no object).
      files: {
        bind: (fn) => {
          readsMetadata(fn).bindBucket('DATA_BUCKET', dataBucket, 'put', 'fresh/*');
          if (uploadMaxBytes !== undefined) fn.fn.addEnvironment('UPLOAD_MAX_BYTES', String(uploadMaxBytes));
        },
      },
      // Rows read the dataset's Delta table (tables/*: its log and data files); predictions write a new
      // file under fresh/ for the pipeline; drift settings read versions to refuse a pinned reference that
      // does not exist.
      datasets: {
        bind: (fn) =>
          readsVersions(fn)
            .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
            .bindBucket('DATA_BUCKET', dataBucket, 'read', 'tables/*')
            .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'fresh/*'),
      },
      // Reports and profiles are read from reports/; downloads read the version's Delta table (tables/*)
      // and keep the CSVs of its data files under downloads/; promotion makes a version current (metadata + versions)
      // and commits a held version's staged data file to the Delta table, whose files the files route
      // presigns (tables/*: read and commit, never delete); a promotion's commit registers the table in
      // the Glue Data Catalog as the version stage's does.
      versions: {
        bind: (fn) => {
          readsVersions(fn)
            .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
            .bindTable('VERSIONS_TABLE', versionsTable, 'readWrite')
            .bindBucket('DATA_BUCKET', dataBucket, 'read', 'reports/*')
            .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'downloads/*')
            .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'tables/*');
          registersTables(fn);
        },
      },
      // Reading a run ends it FAILED when its execution ended without a stage recording it (app/runs/reads.ts):
      // it reads this state machine's executions, writes the run and emits its FAIL event. A retry is a
      // new execution for the failed run's object, linked to it on both runs.
      runs: {
        bind: (fn) => {
          fn.bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS);
          fn.fn.addEnvironment('STATE_MACHINE_ARN', ingestion.stateMachineArn);
          ingestion.grantStartExecution(fn.fn);
          ingestion.grantExecution(fn.fn, 'states:DescribeExecution', 'states:GetExecutionHistory');
          Validations.of(fn).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${nagArnPrefix(this, 'states')}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${ingestionId}"}]}]}:*]`,
            reason:
              'DescribeExecution and GetExecutionHistory need execution ARNs: the run’s execution is any ' +
              'of the ingestion state machine’s (execution:<machine>:*), and no other machine’s.',
          });
          emitsRunLineage(fn);
        },
      },
      // Reads the datasets' Delta tables (tables/*: a table version's files from its log, data files for
      // the combined file), writes only under training-sets/, and the training set's lineage edges with its
      // record; consuming one moves its files through the lifecycle.
      'training-sets': {
        bind: (fn) =>
          movesFiles(fn)
            .bindTable('VERSIONS_TABLE', versionsTable, 'read')
            .bindTable('LINEAGE_TABLE', lineageTable, 'readWrite')
            .bindBucket('DATA_BUCKET', dataBucket, 'read', 'tables/*')
            .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'training-sets/*'),
      },
      // Deprecated files are USED or ARCHIVED ones: cleanup deletes only under used/ and archived/; vacuum
      // deletes the retired data files of dataset tables.
      lifecycle: {
        bind: (fn) =>
          vacuumsTables(
            fn
              .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
              .bindBucket('DATA_BUCKET', dataBucket, 'move', 'used/*')
              .bindBucket('DATA_BUCKET', dataBucket, 'move', 'archived/*'),
          ),
      },
      // Registration reads the source version's rows from the dataset's Delta table (tables/*: log and data
      // files) and writes offline Parquet + online items; a historical lookup joins entity rows against the
      // offline files in memory.
      features: {
        bind: (fn) =>
          readsVersions(fn)
            .bindTable('LINEAGE_TABLE', lineageTable, 'readWrite')
            .bindTable('FEATURES_TABLE', featuresTable, 'readWrite')
            .bindTable('ONLINE_FEATURES_TABLE', onlineFeaturesTable, 'readWrite')
            .bindBucket('DATA_BUCKET', dataBucket, 'read', 'tables/*')
            .bindBucket('DATA_BUCKET', dataBucket, 'readWrite', 'features/*'),
        sizing: { memorySize: 3008, timeout: Duration.seconds(30) },
      },
      // Linking a model version writes its record and `trained_on` edges after checking what it names.
      lineage: {
        bind: (fn) =>
          readsVersions(fn)
            .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
            .bindTable('LINEAGE_TABLE', lineageTable, 'readWrite')
            .bindTable('FEATURES_TABLE', featuresTable, 'read'),
      },
      connectors: {
        bind: (fn) =>
          fn
            .bindTable('METADATA_TABLE', metadataTable, 'readWrite', TENANT_ITEMS)
            .nameBuckets('DEPLOYMENT_BUCKETS', [dataBucket, accessLogs])
            .bindFunction('CONNECTOR_FUNCTION', connectorPull.fn),
      },
    };
    for (const [area, { bind, sizing }] of Object.entries(areaGrants) as [Tag, AreaSettings][]) {
      const specs = ROUTE_LIST.filter((spec) => spec.area === area);
      const fn = new StrataFunction(this, `Api${toPascal(area)}`, {
        name: `api-${area}`,
        description: `HTTP API, ${area}: ${specs.length} routes`,
        logGroup: functionLogs,
        ...reserved(apiConcurrency),
        ...sizing,
      });
      bind(fn);
      // One permission for the function (any route of this API), not one per route.
      const integration = new HttpLambdaIntegration(`Api${toPascal(area)}Integration`, fn.fn, {
        scopePermissionToRoute: false,
      });
      for (const gateway of GATEWAY_ROUTES.filter((r) => r.area === area)) {
        const [method = 'ANY', path = '/'] = gateway.key.split(' ');
        const [route] = api.addRoutes({
          path,
          methods: [method as HttpMethod],
          integration,
          ...(gateway.auth === 'none' && { authorizer: new HttpNoneAuthorizer() }),
        });
        if (route && gateway.auth === 'none') {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${gateway.key} is public on purpose: it calls no dependency and returns no tenant data.`,
          });
        }
      }
    }

    // The $default stage is served at the API endpoint itself.
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint });
    new CfnOutput(this, 'FeaturesTableName', { value: featuresTable.tableName });
    new CfnOutput(this, 'OnlineFeaturesTableName', { value: onlineFeaturesTable.tableName });
    new CfnOutput(this, 'DataBucketName', { value: dataBucket.bucketName });
    new CfnOutput(this, 'MetadataTableName', { value: metadataTable.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: ingestion.stateMachineArn });
    new CfnOutput(this, 'VersionsTableName', { value: versionsTable.tableName });
    new CfnOutput(this, 'LineageTableName', { value: lineageTable.tableName });
    new CfnOutput(this, 'LifecycleSchedulerName', { value: lifecycleScheduler.fn.functionName });
    new CfnOutput(this, 'ConnectorSchedulerName', { value: connectorScheduler.fn.functionName });
  }

  /** `strata:connectorVpc` context: an existing VPC by ids (no lookup, so synth stays offline). */
  private connectorNetworkFromContext(): StrataFunctionProps['network'] {
    const raw: unknown = this.node.tryGetContext('strata:connectorVpc');
    if (raw === undefined) return undefined;
    const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
      vpcId: string;
      availabilityZones: string[];
      privateSubnetIds: string[];
      securityGroupIds: string[];
    };
    const vpc = Vpc.fromVpcAttributes(this, 'ConnectorVpc', {
      vpcId: value.vpcId,
      availabilityZones: value.availabilityZones,
      privateSubnetIds: value.privateSubnetIds,
    });
    return {
      vpc,
      subnets: {
        subnets: value.privateSubnetIds.map((id, i) => Subnet.fromSubnetId(this, `ConnectorSubnet${i}`, id)),
      },
      securityGroups: value.securityGroupIds.map((id, i) =>
        SecurityGroup.fromSecurityGroupId(this, `ConnectorSecurityGroup${i}`, id),
      ),
    };
  }

  /**
   * The chunks of a big file, in parallel: a Distributed Map over the chunk list the split stage wrote
   * (S3 ItemReader), one child execution per chunk running the chunk function with the stages' retries.
   * Each item carries the file, its chunk and the parent run, so the attempt is recorded on the file's run
   * as `chunk-<index>`. Results stay in S3 (the merge reads them), not in the state. A chunk's bad input is
   * its result, not a failure (chunk.ts); a chunk that still fails after its retries fails the Map, and the
   * file is quarantined.
   */
  private chunks(
    fn: import('aws-cdk-lib/aws-lambda').IFunction,
    onError: import('aws-cdk-lib/aws-stepfunctions').IChainable,
    step: 'chunk' | 'scan' | 'assess' = 'chunk',
  ): DistributedMap {
    const name = { chunk: 'Chunks', scan: 'Scan chunks', assess: 'Assess chunks' }[step];
    // The quality Map's items also name the merged profile their rows are assessed against.
    const assess = step === 'assess' ? { assess: { 'profileKey.$': '$.profile.profileKey' } } : {};
    const map = new DistributedMap(this, name, {
      // By path, not by bucket: a bucket would grant s3:GetObject on all of it; the machine's role gets
      // the chunk lists only (below).
      itemReader: new S3JsonItemReader({
        bucketNamePath: JsonPath.stringAt('$.split.bucket'),
        key: JsonPath.stringAt('$.split.planKey'),
      }),
      itemSelector: {
        // The object names the run's tenant to the run recording, as every stage's state does.
        'object.$': '$.object',
        'file.$': '$.file',
        'chunk.$': '$$.Map.Item.Value',
        'chunkCount.$': '$.split.chunkCount',
        ...assess,
        run: {
          'id.$': '$$.Execution.Name',
          'arn.$': '$$.Execution.Id',
          'startedAt.$': '$$.Execution.StartTime',
        },
      },
      maxConcurrency: CHUNK_CONCURRENCY,
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
    });
    map.itemProcessor(
      new LambdaInvoke(this, `Stage: ${step}`, {
        lambdaFunction: fn,
        payload: TaskInput.fromObject({
          state: {
            'object.$': '$.object',
            'file.$': '$.file',
            'chunk.$': '$.chunk',
            'chunkCount.$': '$.chunkCount',
            ...(step === 'assess' && { 'assess.$': '$.assess' }),
          },
          run: {
            'id.$': '$.run.id',
            'arn.$': '$.run.arn',
            'startedAt.$': '$.run.startedAt',
            'stage.$': `States.Format('${step}-{}', $.chunk.index)`,
            attempt: JsonPath.stateRetryCount,
            enteredAt: JsonPath.stateEnteredTime,
          },
        }),
        payloadResponseOnly: true,
      })
        .addRetry(TRANSIENT_RETRY)
        .addRetry(THROTTLING_RETRY),
    );
    const failed = new Pass(this, `${step} failed`, {
      parameters: { 'object.$': '$.object', failedStage: step, 'error.$': '$.error' },
    });
    failed.next(onError);
    map.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
    return map;
  }

  /** A stage Lambda: retried on TransientError, any other error caught into quarantine. */
  private stage(
    name: string,
    fn: import('aws-cdk-lib/aws-lambda').IFunction,
    onError: import('aws-cdk-lib/aws-stepfunctions').IChainable,
    id = `Stage: ${name}`,
    resultPath = `$.${name === 'register' ? 'file' : name}`,
  ) {
    const failed = new Pass(this, `${id.slice('Stage: '.length)} failed`, {
      parameters: {
        'object.$': '$.object',
        failedStage: name,
        'error.$': '$.error',
      },
    });
    failed.next(onError);
    return new LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload: runPayload(name),
      payloadResponseOnly: true,
      resultPath,
    })
      .addRetry(TRANSIENT_RETRY)
      .addRetry(THROTTLING_RETRY)
      .addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  }

  private table(id: string, indexes: readonly string[]): Table {
    const table = new Table(this, id, {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: AttributeType.STRING },
        sortKey: { name: `${index}sk`, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  /** CDK's own singleton that applies bucket notifications. */
  private suppressBucketNotificationsHandler(): void {
    const handler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (!handler) return;
    // Its s3:PutBucketNotification grant names the data bucket (no wildcard), so only the managed policy
    // is a finding.
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'CDK-managed handler that applies bucket notifications; basic execution role only.',
    });
  }
}

/**
 * What every Lambda of the state machine receives: the state, and the run (execution) and attempt it is
 * part of, from the context object. The stage wiring (shared/run-recorder.ts) hands the handler the state
 * and records the attempt; `RetryCount` tells a Step Functions Retry's attempt from the first one.
 */
function runPayload(stage: string): TaskInput {
  return TaskInput.fromObject({
    state: JsonPath.entirePayload,
    run: {
      id: JsonPath.executionName,
      arn: JsonPath.executionId,
      startedAt: JsonPath.executionStartTime,
      stage,
      attempt: JsonPath.stateRetryCount,
      enteredAt: JsonPath.stateEnteredTime,
    },
  });
}

/** `training-sets` → `TrainingSets`: construct ids of the area functions. */
function toPascal(area: string): string {
  return area.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
}

/** What an area's function is granted (bind) and how it is sized, if not the default. */
interface AreaSettings {
  readonly bind: (fn: StrataFunction) => void;
  readonly sizing?: { memorySize?: number; timeout?: Duration };
}
