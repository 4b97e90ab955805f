import { join } from 'node:path';
import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  type IDestination,
  type IFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InlinePolicyRole } from './inline-policy-role.js';

/** Template metadata key naming a function's source entry; the local host runs that file. */
export const ENTRY_METADATA_KEY = 'strata:entry';

export interface StrataFunctionProps {
  /** The folder under functions/ that holds handler.ts. */
  readonly name: string;
  readonly description: string;
  /**
   * Shared by the deployment's functions: Lambda names each stream after its function, and every log line
   * carries the function's name and request id (Powertools' context), so one group costs no clarity and
   * saves a resource per function.
   */
  readonly logGroup: ILogGroup;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /** Reserved (and so also maximum) concurrent executions; absent: the account's unreserved pool. */
  readonly reservedConcurrency?: number;
  /** Where an asynchronous invocation's event goes after Lambda's own retries failed (kept, not dropped). */
  readonly onFailure?: IDestination;
  /** Runs the function in these subnets (e.g. to reach private databases); absent: no VPC. */
  readonly network?: {
    readonly vpc: IVpc;
    readonly subnets: SubnetSelection;
    readonly securityGroups: ISecurityGroup[];
  };
}

export type Access = 'read' | 'readWrite';

/**
 * `put` only creates (presigned uploads), `readWrite` also reads, and only `move` (lifecycle moves,
 * cleanup) may delete.
 */
export type BucketAccess = 'put' | 'read' | 'readWrite' | 'move';

const BUCKET_ACTIONS: Record<BucketAccess, string[]> = {
  put: ['s3:PutObject'],
  // GetObjectVersion: the pipeline reads the exact version an S3 event named.
  read: ['s3:GetObject', 's3:GetObjectVersion'],
  readWrite: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:AbortMultipartUpload'],
  move: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
};

const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Every strata Lambda: Node 22 on ARM64, ESM bundle (minified, source maps), the shared log group, its
 * own role with the grants inline, X-Ray tracing, and Powertools settings. `bind*` sets the env var and
 * the grant in one call, so a function can never be given a name without the permission or the other way
 * round.
 */
export class StrataFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly entry: string;

  constructor(scope: Construct, id: string, props: StrataFunctionProps) {
    super(scope, id);
    this.entry = `functions/${props.name}/handler.ts`;
    const role = new InlinePolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
        ...(props.network
          ? [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')]
          : []),
      ],
    });
    this.fn = new NodejsFunction(this, 'Fn', {
      entry: join(REPO_ROOT, this.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role,
      logGroup: props.logGroup,
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.subnets,
        securityGroups: props.network.securityGroups,
      }),
      ...(props.onFailure && { onFailure: props.onFailure, retryAttempts: 2 }),
      ...(props.reservedConcurrency !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrency,
      }),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'strata',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        // ESM bundles of CommonJS dependencies still call require(); give them one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    (this.fn.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA_KEY, this.entry);
    if (props.network) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS managed policy a function in a VPC needs for its network interfaces; nothing else.',
      });
    }

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'AWSLambdaBasicExecutionRole only allows writing logs; it is the AWS default for functions.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'Node 22 is the runtime the local host and CI run the handlers on; 24 follows with them.',
      },
    );
  }

  /**
   * Names the bucket (env var) and grants exactly what `access` needs on the objects under `prefix`
   * (a pattern ending in `*`), plus listing of that prefix only, so a missing key answers 404 rather than
   * 403. Never s3:DeleteObjectVersion: bucket versioning is the safety net, and no function may empty it.
   */
  bindBucket(envName: string, bucket: IBucket, access: BucketAccess, objectsKeyPattern: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: BUCKET_ACTIONS[access],
        resources: [bucket.arnForObjects(objectsKeyPattern)],
      }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': objectsKeyPattern } },
      }),
    );
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${objectsKeyPattern}]`,
      reason:
        'Object-level S3 actions need object ARNs; the grant is limited to the prefix the function uses.',
    });
    return this;
  }

  /**
   * Reads and, with `readWrite`, writes the table's items. Writes to the metadata table are limited to
   * tenant partitions (`T#…`): API-key items (`KEY#…`) are issued by operators, and a function that only
   * checks keys (the authorizer) reads them.
   */
  bindTable(
    envName: string,
    table: ITable,
    access: Access,
    options: { writablePartitions?: string } = {},
  ): this {
    this.fn.addEnvironment(envName, table.tableName);
    table.grantReadData(this.fn);
    if (access === 'readWrite') {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: TABLE_WRITE_ACTIONS,
          resources: [table.tableArn],
          ...(options.writablePartitions && {
            conditions: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [options.writablePartitions] },
            },
          }),
        }),
      );
    }
    // CDK adds table-arn/index/* to the grant only for a table with indexes; a table without has no finding.
    if (hasIndexes(table)) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(table)}.Arn>/index/*]`,
        reason: 'Covers the table’s own GSIs (table-arn/index/*), nothing outside the table.',
      });
    }
    return this;
  }

  /**
   * Create-only writes under `prefix` (PutObject, and aborting its own multipart uploads) and listing keys
   * under it, nothing else: no read, no delete, no list elsewhere. For a function that drops files and
   * must never read what others dropped.
   */
  bindBucketWriteOnly(envName: string, bucket: IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    // Listing tells whether a key exists without reading it (HeadObject needs GetObject).
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${prefix}*` } },
      }),
    );
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${prefix}*]`,
      reason: 'PutObject needs object ARNs; the grant is limited to the prefix the function writes.',
    });
    return this;
  }

  /** Lists the current object versions under `prefix` (ListBucketVersions, prefix-conditioned); no read. */
  bindBucketListing(envName: string, bucket: IBucket, prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucketVersions'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${prefix}*` } },
      }),
    );
    return this;
  }

  /** Names buckets (env var, comma-separated) without granting anything on them. */
  nameBuckets(envName: string, buckets: readonly IBucket[]): this {
    this.fn.addEnvironment(
      envName,
      Fn.join(
        ',',
        buckets.map((b) => b.bucketName),
      ),
    );
    return this;
  }

  /** Names another function (env var) and allows invoking it, asynchronously or not. */
  bindFunction(envName: string, target: IFunction): this {
    this.fn.addEnvironment(envName, target.functionName);
    target.grantInvoke(this.fn);
    const child = target.node.defaultChild as import('aws-cdk-lib').CfnResource;
    const id = Stack.of(target).resolve(child.logicalId) as string;
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
      reason: 'CDK grantInvoke also covers the versions/aliases of that one function (arn:*).',
    });
    return this;
  }
}

/**
 * Whether the table declares secondary indexes by now. Indexes are declared with the table, before any
 * function binds it; one added later would surface as an unacknowledged finding, never hide one.
 */
function hasIndexes(table: ITable): boolean {
  const cfn = table.node.defaultChild as CfnTable | undefined;
  if (!cfn) return false;
  const stack = Stack.of(table);
  const count = (indexes: unknown) => {
    const resolved = stack.resolve(indexes) as unknown[] | undefined;
    return resolved?.length ?? 0;
  };
  return count(cfn.globalSecondaryIndexes) + count(cfn.localSecondaryIndexes) > 0;
}

/** The logical id nag uses in its finding ids, e.g. `DataBucketE3889A50`. */
function logicalIdOf(construct: IBucket | ITable): string {
  const child = construct.node.defaultChild as import('aws-cdk-lib').CfnResource;
  return Stack.of(construct).resolve(child.logicalId) as string;
}
