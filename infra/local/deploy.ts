/**
 * Applies a local plan (read from the synthesized template) to the local servers: buckets with their
 * versioning and notification in MinIO, tables with their keys and GSIs in DynamoDB Local, functions
 * and the state machine in LocalStack. Idempotent, so `npm start` on kept data redeploys in place.
 */

import { crc32 } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  CreateFunctionCommand,
  type LambdaClient,
  ResourceConflictException,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  type SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { LocalFunction } from './function-pool.js';
import type { LocalBucket, LocalNotification, LocalPlan, LocalStateMachine, LocalTable } from './plan.js';

export interface DeployClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  lambda: LambdaClient;
  sfn: SFNClient;
}

export interface DeployOptions {
  account: string;
  /** MinIO's ARN for the webhook target that reaches the lambda host. */
  notificationQueueArn: string;
}

export async function deployPlan(
  plan: LocalPlan,
  clients: DeployClients,
  options: DeployOptions,
): Promise<void> {
  await Promise.all([
    ...plan.buckets.map((b) => createBucket(clients.s3, b)),
    ...plan.tables.map((t) => createTable(clients.dynamodb, t)),
  ]);
  await Promise.all(plan.functions.map((fn) => createFunction(clients.lambda, fn, options.account)));
  for (const machine of plan.stateMachines) await createStateMachine(clients.sfn, machine, options.account);
  await applyNotifications(clients.s3, plan.notifications, options.notificationQueueArn);
}

async function createBucket(s3: S3Client, bucket: LocalBucket): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  if (bucket.versioned) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket.name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
}

async function createTable(dynamodb: DynamoDBClient, table: LocalTable): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        KeySchema: table.keySchema as never,
        AttributeDefinitions: table.attributeDefinitions as never,
        BillingMode: 'PAY_PER_REQUEST',
        ...(table.globalSecondaryIndexes.length > 0 && {
          GlobalSecondaryIndexes: table.globalSecondaryIndexes as never,
        }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // Kept data from an earlier run: the table must still have the indexes the template asks for.
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    const have = new Set((Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
    const missing = table.globalSecondaryIndexes
      .filter((g) => !have.has(g.IndexName))
      .map((g) => g.IndexName);
    if (missing.length > 0) {
      throw new Error(
        `table ${table.name} exists without GSIs ${missing.join(', ')}: delete .strata/local/data`,
      );
    }
  }
}

async function createFunction(lambda: LambdaClient, fn: LocalFunction, account: string): Promise<void> {
  const config = {
    FunctionName: fn.name,
    Environment: { Variables: fn.environment },
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memorySize,
  };
  try {
    await lambda.send(
      new CreateFunctionCommand({
        ...config,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${account}:role/strata-local`,
        // LocalStack only stores the code; our executor plugin forwards invocations to the lambda host,
        // which runs the handler from source. The zip names the entry for anyone who looks.
        Code: { ZipFile: storedZip('ENTRY', `${fn.entry}\n`) },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceConflictException)) throw error;
    await lambda.send(new UpdateFunctionConfigurationCommand(config));
  }
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: fn.name });
}

async function createStateMachine(
  sfn: SFNClient,
  machine: LocalStateMachine,
  account: string,
): Promise<void> {
  const roleArn = `arn:aws:iam::${account}:role/strata-local-states`;
  try {
    await sfn.send(
      new CreateStateMachineCommand({ name: machine.name, definition: machine.definition, roleArn }),
    );
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: machine.arn, definition: machine.definition }),
    );
  }
}

/**
 * S3 → Lambda notifications become MinIO webhook notifications with the same events and filters;
 * the lambda host maps them back to the function the template names.
 */
async function applyNotifications(s3: S3Client, notifications: LocalNotification[], queueArn: string) {
  const byBucket = new Map<string, LocalNotification[]>();
  for (const n of notifications) byBucket.set(n.bucket, [...(byBucket.get(n.bucket) ?? []), n]);
  for (const [bucket, list] of byBucket) {
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: list.map((n) => ({
            QueueArn: queueArn,
            Events: n.events as never,
            ...((n.prefix || n.suffix) && {
              Filter: {
                Key: {
                  FilterRules: [
                    ...(n.prefix ? [{ Name: 'prefix' as const, Value: n.prefix }] : []),
                    ...(n.suffix ? [{ Name: 'suffix' as const, Value: n.suffix }] : []),
                  ],
                },
              },
            }),
          })),
        },
      }),
    );
  }
}

/** A one-file zip archive, stored (no compression): all a Lambda CreateFunction needs here. */
export function storedZip(fileName: string, content: string): Uint8Array {
  const name = Buffer.from(fileName, 'utf8');
  const data = Buffer.from(content, 'utf8');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
