/** Test-side access to the local cloud: plain SDK clients and the API, as any user would have. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect, inject } from 'vitest';
import { awsClients, type LocalCloudInfo } from '../../infra/local/cloud.js';
import { DynamoMetadataStore } from '../../shared/adapters/dynamo/metadata-store.js';
import { createApiKey } from '../../shared/app/api-keys.js';
import { executionNameFor, type ObjectRef } from '../../shared/domain/file-record.js';
import { systemClock } from '../../shared/ports.js';

/** The cloud the global setup provides, or one a test file started itself (the fault tests). */
export function cloudContext(info: LocalCloudInfo = inject('cloud')) {
  const clients = awsClients(info.endpoints);
  const doc = DynamoDBDocumentClient.from(clients.dynamodb);
  return { info, ...clients, doc, metadata: new DynamoMetadataStore(doc, info.metadataTable) };
}

/** A tenant of its own per test file: a reused `npm start` cloud holds other data too. */
export async function newTenant(ctx: ReturnType<typeof cloudContext>, label: string) {
  const tenant = `${label}-${randomBytes(4).toString('hex')}`;
  const apiKey = await createApiKey({ apiKeys: ctx.metadata, clock: systemClock }, tenant, `test ${label}`);
  return { tenant, apiKey };
}

export function executionArnFor(info: LocalCloudInfo, ref: ObjectRef): string {
  return `${info.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionNameFor(ref)}`;
}

/**
 * Polls until the execution for an object exists and has finished. The trigger starts it shortly after
 * the S3 event, so "does not exist yet" is expected at first.
 */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 60_000,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExecutionDoesNotExist') throw error;
    }
    await sleep(250);
  }
  throw new Error(`execution ${executionArn} did not finish within ${timeoutMs} ms`);
}

export async function api(info: LocalCloudInfo, path: string, init: RequestInit & { apiKey?: string } = {}) {
  const { apiKey, ...rest } = init;
  const response = await fetch(`${info.apiUrl}${path}`, {
    ...rest,
    headers: { ...(apiKey && { 'x-api-key': apiKey }), ...(rest.headers as Record<string, string>) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/**
 * A request to the lambda host's own paths (the Lambda Invoke API, `/_strata/…`): they answer only with
 * the host's per-start token, which LocalStack's executor plugin and MinIO's webhook send the same way.
 */
export function hostFetch(info: LocalCloudInfo, path: string, init: RequestInit = {}) {
  return fetch(`${info.hostUrl}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${info.hostToken}` },
  });
}

/** `PUT /datasets/{name}/config` with the tenant's key, failing the test unless it is accepted. */
export async function configureDataset(
  info: LocalCloudInfo,
  apiKey: string,
  dataset: string,
  config: Record<string, unknown>,
): Promise<void> {
  const response = await api(info, `/datasets/${dataset}/config`, {
    apiKey,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
}
