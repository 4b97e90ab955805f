import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  ConnectorLease,
  ConnectorRecord,
  ConnectorRunRecord,
  ConnectorRunSummary,
  ConnectorSettings,
  PendingWrite,
  WatermarkState,
} from '../../domain/connector-runs.js';
import { ConflictError } from '../../errors.js';
import type { ConnectorStore, Page } from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { decodeCursor, ENTITY, encodeCursor } from './items.js';
import { connectorKeys } from './keys.js';

const DUE_INDEX = 'gsi1';

/**
 * Connectors and their runs in the metadata table (keys.ts); enabled ones are listed by next run in gsi1.
 */
export class DynamoConnectorStore implements ConnectorStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(tenant: string, dataset: string) {
    return { pk: connectorKeys.pk(tenant, dataset), sk: connectorKeys.header };
  }

  async putConnector(
    tenant: string,
    dataset: string,
    settings: ConnectorSettings,
    options: { at: string; resetWatermark: boolean; existing?: ConnectorRecord | undefined },
  ): Promise<ConnectorRecord> {
    const existing = 'existing' in options ? options.existing : await this.getConnector(tenant, dataset);
    if (
      options.resetWatermark &&
      existing?.lease !== undefined &&
      Date.parse(existing.lease.until) > Date.parse(options.at)
    ) {
      throw new ConflictError('a run is in progress; reset the watermark once it has finished');
    }
    // A connector keeps its place in the schedule (a past place is due at once); a new one is due now.
    const nextRunAt = settings.enabled ? (existing?.nextRunAt ?? options.at) : undefined;
    const names: Record<string, string> = {
      '#settings': 'settings',
      '#updatedAt': 'updatedAt',
      '#createdAt': 'createdAt',
      '#tenant': 'tenant',
      '#dataset': 'dataset',
      '#entity': ENTITY,
      '#failures': 'consecutiveFailures',
      '#g1pk': 'gsi1pk',
      '#g1sk': 'gsi1sk',
    };
    const values: Record<string, unknown> = {
      ':settings': settings,
      ':at': options.at,
      ':tenant': tenant,
      ':dataset': dataset,
      ':entity': 'connector',
      ':zero': 0,
    };
    const set = [
      '#settings = :settings',
      '#updatedAt = :at',
      '#createdAt = if_not_exists(#createdAt, :at)',
      '#tenant = :tenant',
      '#dataset = :dataset',
      '#entity = :entity',
      '#failures = if_not_exists(#failures, :zero)',
    ];
    const remove: string[] = [];
    if (nextRunAt !== undefined) {
      names['#next'] = 'nextRunAt';
      set.push('#next = :next', '#g1pk = :due', '#g1sk = :dueSort');
      values[':next'] = nextRunAt;
      values[':due'] = connectorKeys.due;
      values[':dueSort'] = connectorKeys.dueSort(nextRunAt, tenant, dataset);
    } else {
      // Out of the due index; the schedule's next time stays for when it is enabled again.
      remove.push('#g1pk', '#g1sk');
    }
    if (options.resetWatermark) {
      names['#wm'] = 'watermark';
      names['#pending'] = 'pending';
      remove.push('#wm', '#pending');
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(tenant, dataset),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toConnector(out.Attributes ?? {});
    } catch (error) {
      return rethrowSdkError('UpdateItem', error);
    }
  }

  async getConnector(tenant: string, dataset: string): Promise<ConnectorRecord | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: this.key(tenant, dataset), ConsistentRead: true }),
      );
      return out.Item ? toConnector(out.Item) : undefined;
    } catch (error) {
      return rethrowSdkError('GetItem', error);
    }
  }

  async deleteConnector(tenant: string, dataset: string): Promise<boolean> {
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(tenant, dataset),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes !== undefined;
    } catch (error) {
      return rethrowSdkError('DeleteItem', error);
    }
  }

  async listDue(
    now: string,
    limit: number,
  ): Promise<Array<{ tenant: string; dataset: string; nextRunAt: string }>> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :bound',
          ExpressionAttributeValues: { ':due': connectorKeys.due, ':bound': `${now}#\uffff` },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((i) => ({
        tenant: String(i.tenant),
        dataset: String(i.dataset),
        nextRunAt: String(i.nextRunAt),
      }));
    } catch (error) {
      return rethrowSdkError('Query', error);
    }
  }

  async acquireLease(
    tenant: string,
    dataset: string,
    lease: ConnectorLease,
    now: string,
    dueAt?: string,
  ): Promise<ConnectorRecord | undefined> {
    const values: Record<string, unknown> = {
      ':none': {},
      ':lease': lease,
      ':now': now,
      ':next': lease.until,
      ':dueSort': connectorKeys.dueSort(lease.until, tenant, dataset),
    };
    let condition = 'attribute_exists(pk) AND (attribute_not_exists(lease) OR lease.#until <= :now)';
    if (dueAt !== undefined) {
      condition += ' AND nextRunAt = :dueAt AND settings.enabled = :yes';
      values[':dueAt'] = dueAt;
      values[':yes'] = true;
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(tenant, dataset),
          // While the run holds the lease the scheduler sees the connector due only when the lease ends, so
          // a run that dies is picked up again then.
          // The lease it replaces (an expired one, if any) stays readable, so the new run can close the
          // record of a run that died holding it.
          UpdateExpression:
            'SET previousLease = if_not_exists(lease, :none), lease = :lease, nextRunAt = :next, gsi1sk = :dueSort',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const record = toConnector(out.Attributes ?? {});
      // gsi1sk was written for every connector; one that is disabled has no gsi1pk, so it stays unlisted.
      return record;
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return undefined;
      return rethrowSdkError('UpdateItem', error);
    }
  }

  async setPending(tenant: string, dataset: string, pending: PendingWrite, leaseUntil: string) {
    await this.leased(tenant, dataset, pending.runId, 'SET pending = :p, lease.#until = :u', {
      ':p': pending,
      ':u': leaseUntil,
    });
  }

  async commitWatermark(
    tenant: string,
    dataset: string,
    runId: string,
    watermark: WatermarkState | undefined,
    leaseUntil: string,
  ) {
    if (watermark === undefined) {
      await this.leased(tenant, dataset, runId, 'SET lease.#until = :u REMOVE pending', { ':u': leaseUntil });
    } else {
      await this.leased(tenant, dataset, runId, 'SET watermark = :w, lease.#until = :u REMOVE pending', {
        ':w': watermark,
        ':u': leaseUntil,
      });
    }
  }

  async clearPending(tenant: string, dataset: string, runId: string) {
    await this.leased(tenant, dataset, runId, 'REMOVE pending', {});
  }

  async finishRun(
    tenant: string,
    dataset: string,
    runId: string,
    outcome: { nextRunAt: string; consecutiveFailures: number; lastRun: ConnectorRunSummary },
  ): Promise<boolean> {
    let record: ConnectorRecord;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(tenant, dataset),
          UpdateExpression:
            'SET nextRunAt = :next, gsi1sk = :dueSort, consecutiveFailures = :f, lastRun = :last REMOVE lease',
          ConditionExpression: 'lease.runId = :run',
          ExpressionAttributeValues: {
            ':next': outcome.nextRunAt,
            ':dueSort': connectorKeys.dueSort(outcome.nextRunAt, tenant, dataset),
            ':f': outcome.consecutiveFailures,
            ':last': outcome.lastRun,
            ':run': runId,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      record = toConnector(out.Attributes ?? {});
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return false;
      return rethrowSdkError('UpdateItem', error);
    }
    // Disabled while the run was going: it must not come back into the due index.
    if (!record.settings.enabled) {
      await this.doc
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.key(tenant, dataset),
            UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
            ConditionExpression: 'settings.enabled = :no',
            ExpressionAttributeValues: { ':no': false },
          }),
        )
        .catch((error: unknown) => {
          if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
        });
    }
    return true;
  }

  async putRun(run: ConnectorRunRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: connectorKeys.pk(run.tenant, run.dataset),
            sk: connectorKeys.run(run.runId),
            [ENTITY]: 'connector-run',
            ...run,
          },
        }),
      );
    } catch (error) {
      rethrowSdkError('PutItem', error);
    }
  }

  async getRun(tenant: string, dataset: string, runId: string): Promise<ConnectorRunRecord | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: connectorKeys.pk(tenant, dataset), sk: connectorKeys.run(runId) },
          ConsistentRead: true,
        }),
      );
      return out.Item ? toRun(out.Item) : undefined;
    } catch (error) {
      return rethrowSdkError('GetItem', error);
    }
  }

  async listRuns(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ConnectorRunRecord>> {
    const pk = connectorKeys.pk(tenant, dataset);
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': pk, ':run': connectorKeys.run('') },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, pk),
        }),
      );
      return { items: (out.Items ?? []).map(toRun), cursor: encodeCursor(out.LastEvaluatedKey) };
    } catch (error) {
      return rethrowSdkError('Query', error);
    }
  }

  /** An update that only the run holding the lease may make. */
  private async leased(
    tenant: string,
    dataset: string,
    runId: string,
    update: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(tenant, dataset),
          UpdateExpression: update,
          ConditionExpression: 'lease.runId = :run',
          ...(update.includes('#until') && { ExpressionAttributeNames: { '#until': 'until' } }),
          ExpressionAttributeValues: { ...values, ':run': runId },
        }),
      );
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') {
        throw new ConflictError(`run ${runId} no longer holds the connector's lease`, { cause: error });
      }
      rethrowSdkError('UpdateItem', error);
    }
  }
}

function toConnector(item: Record<string, unknown>): ConnectorRecord {
  return {
    tenant: item.tenant as string,
    dataset: item.dataset as string,
    settings: item.settings as ConnectorSettings,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    watermark: item.watermark as WatermarkState | undefined,
    pending: item.pending as PendingWrite | undefined,
    lease: item.lease as ConnectorLease | undefined,
    previousLease:
      (item.previousLease as ConnectorLease | undefined)?.runId === undefined
        ? undefined
        : (item.previousLease as ConnectorLease),
    nextRunAt: item.nextRunAt as string | undefined,
    consecutiveFailures: Number(item.consecutiveFailures ?? 0),
    lastRun: item.lastRun as ConnectorRunSummary | undefined,
  };
}

function toRun(item: Record<string, unknown>): ConnectorRunRecord {
  const { pk: _pk, sk: _sk, [ENTITY]: _e, ...rest } = item;
  return rest as unknown as ConnectorRunRecord;
}
