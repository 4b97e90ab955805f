import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { FileRecord, FileStatus } from '../../domain/file-record.js';
import { CONSUMABLE_STATUSES, type ConsumptionResult, type MoveMarker } from '../../domain/lifecycle.js';
import type { FileFacts } from '../../domain/statistics.js';
import { ConflictError } from '../../errors.js';
import type {
  BeginMoveOutcome,
  CompleteMoveOutcome,
  ConsumptionClaim,
  FileFilter,
  LifecycleStore,
  StoredRetentionPolicy,
  UsageOutcome,
} from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { ENTITY, releaseClaim, toFileRecord, withoutKeys } from './items.js';
import { keys, lifecycleKeys } from './keys.js';
import { cancellationReasons } from './transactions.js';

const CONFLICT_ATTEMPTS = 8;
const PAGE = 200;

/**
 * The lifecycle's items in the metadata table (keys.ts): move markers, retention policies, consumption
 * and key claims, and the file records' use counts and status changes.
 */
export class DynamoLifecycleStore implements LifecycleStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getFileConsistent(tenant: string, fileId: string): Promise<FileRecord | undefined> {
    const item = await this.get(keys.tenant(tenant), keys.file(fileId));
    return item ? toFileRecord(item) : undefined;
  }

  async recordUsage(
    tenant: string,
    fileId: string,
    usage: { jobId: string; trainingSetId?: string | undefined; at: string },
  ): Promise<UsageOutcome> {
    try {
      const result = await this.retryConflicts(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
            // One request decides and counts: two workers (or a retry) cannot both pass the condition.
            UpdateExpression:
              'SET lastUsedAt = :at, usageHistory = list_append(if_not_exists(usageHistory, :none), :use), ' +
              'trainingJobs = list_append(if_not_exists(trainingJobs, :none), :jobs) ADD usageCount :one',
            ConditionExpression:
              'attribute_exists(pk) AND #status IN (:s0, :s1, :s2) AND NOT contains(trainingJobs, :job)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':at': usage.at,
              ':none': [],
              ':use': [
                {
                  jobId: usage.jobId,
                  ...(usage.trainingSetId !== undefined && { trainingSetId: usage.trainingSetId }),
                  at: usage.at,
                },
              ],
              ':jobs': [usage.jobId],
              ':job': usage.jobId,
              ':one': 1,
              ...Object.fromEntries(CONSUMABLE_STATUSES.map((s, i) => [`:s${i}`, s])),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { outcome: 'counted', record: toFileRecord(result.Attributes ?? {}) };
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
    }
    const record = await this.getFileConsistent(tenant, fileId);
    if (!record) return { outcome: 'missing' };
    if (record.trainingJobs?.includes(usage.jobId)) return { outcome: 'already-counted', record };
    return { outcome: 'not-consumable', record };
  }

  async beginMove(marker: MoveMarker): Promise<BeginMoveOutcome> {
    for (;;) {
      try {
        await this.transact({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: defined({
                  pk: keys.tenant(marker.tenant),
                  sk: lifecycleKeys.move(marker.fileId),
                  [ENTITY]: 'move',
                  gsi1pk: lifecycleKeys.movesIndex,
                  gsi1sk: lifecycleKeys.moveSort(marker.createdAt, marker.tenant, marker.fileId),
                  ...marker,
                }),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              // With the marker in the same transaction: a cleanup that deprecates the file (which checks
              // for a marker) and a move that starts cannot both succeed.
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: keys.tenant(marker.tenant), sk: keys.file(marker.fileId) },
                ConditionExpression:
                  '#status = :from AND #key = :fromKey AND attribute_not_exists(deletedAt)',
                ExpressionAttributeNames: { '#status': 'status', '#key': 'key' },
                ExpressionAttributeValues: { ':from': marker.from, ':fromKey': marker.fromKey },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: keys.tenant(marker.tenant),
                  sk: lifecycleKeys.object(marker.toKey),
                  [ENTITY]: 'object-claim',
                  key: marker.toKey,
                  fileId: marker.fileId,
                  claimedAt: marker.createdAt,
                },
                ConditionExpression: 'attribute_not_exists(pk) OR fileId = :fileId',
                ExpressionAttributeValues: { ':fileId': marker.fileId },
              },
            },
          ],
        });
        return { outcome: 'started' };
      } catch (error) {
        const [markerReason, fileReason, keyReason] = cancellationReasons(error);
        if (markerReason === 'ConditionalCheckFailed') {
          const existing = await this.getMove(marker.tenant, marker.fileId);
          // Cleared between our write and our read: the other move is done, try again.
          if (existing) return { outcome: 'in-progress', marker: existing };
          continue;
        }
        if (fileReason === 'ConditionalCheckFailed') return { outcome: 'record-changed' };
        if (keyReason === 'ConditionalCheckFailed') return { outcome: 'key-taken' };
        rethrowSdkError('TransactWriteItems', error);
      }
    }
  }

  async getMove(tenant: string, fileId: string): Promise<MoveMarker | undefined> {
    const item = await this.get(keys.tenant(tenant), lifecycleKeys.move(fileId));
    return item ? toMarker(item) : undefined;
  }

  async takeMove(
    marker: MoveMarker,
    owner: string,
    until: string,
    now: string,
  ): Promise<MoveMarker | undefined> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(marker.tenant), sk: lifecycleKeys.move(marker.fileId) },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: 'moveId = :moveId AND leaseUntil < :now',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': until,
            ':moveId': marker.moveId,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toMarker(result.Attributes ?? {});
    } catch (error) {
      // Held by a live owner, or finished and cleared meanwhile.
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return undefined;
      rethrowSdkError('UpdateItem', error);
    }
  }

  async releaseMove(marker: MoveMarker): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(marker.tenant), sk: lifecycleKeys.move(marker.fileId) },
          UpdateExpression: 'SET leaseUntil = :expired',
          ConditionExpression: 'moveId = :moveId AND leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':expired': new Date(0).toISOString(),
            ':moveId': marker.moveId,
            ':owner': marker.leaseOwner,
          },
        }),
      );
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return;
      rethrowSdkError('UpdateItem', error);
    }
  }

  async redirectMove(marker: MoveMarker, toKey: string): Promise<MoveMarker> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(marker.tenant), sk: lifecycleKeys.move(marker.fileId) },
          UpdateExpression: 'SET toKey = :toKey, fallback = :true',
          ConditionExpression: 'moveId = :moveId AND leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':toKey': toKey,
            ':true': true,
            ':moveId': marker.moveId,
            ':owner': marker.leaseOwner,
          },
        }),
      );
      return { ...marker, toKey, fallback: true };
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') {
        throw new ConflictError(`move ${marker.moveId} of ${marker.fileId} is no longer ours`, {
          cause: error,
        });
      }
      rethrowSdkError('UpdateItem', error);
    }
  }

  async completeMove(marker: MoveMarker, keyVersion: string, at: string): Promise<CompleteMoveOutcome> {
    try {
      const result = await this.retryConflicts(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: keys.tenant(marker.tenant), sk: keys.file(marker.fileId) },
            UpdateExpression:
              'SET #status = :to, #key = :toKey, keyVersion = :version, gsi1pk = :gsi1pk, ' +
              'stateHistory = list_append(if_not_exists(stateHistory, :none), :change)',
            ConditionExpression: '#status = :from AND #key = :fromKey',
            ExpressionAttributeNames: { '#status': 'status', '#key': 'key' },
            ExpressionAttributeValues: {
              ':to': marker.to,
              ':toKey': marker.toKey,
              ':version': keyVersion,
              // The status index is keyed by status: without this the file would still list as FRESH.
              ':gsi1pk': keys.byStatus(marker.tenant, marker.to),
              ':none': [],
              ':change': [
                defined({ from: marker.from, to: marker.to, at, reason: marker.reason, jobId: marker.jobId }),
              ],
              ':from': marker.from,
              ':fromKey': marker.fromKey,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { outcome: 'updated', record: toFileRecord(result.Attributes ?? {}) };
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
    }
    const record = await this.getFileConsistent(marker.tenant, marker.fileId);
    const done = record?.status === marker.to && record.key === marker.toKey;
    return { outcome: done ? 'already-done' : 'conflict', record };
  }

  async clearMove(marker: MoveMarker): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(marker.tenant), sk: lifecycleKeys.move(marker.fileId) },
          ConditionExpression: 'moveId = :moveId',
          ExpressionAttributeValues: { ':moveId': marker.moveId },
        }),
      );
    } catch (error) {
      // Cleared by a concurrent helper (or replaced by the file's next move, which is not ours to clear).
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return;
      rethrowSdkError('DeleteItem', error);
    }
  }

  async *listMoves(tenant?: string): AsyncIterable<MoveMarker> {
    const query: QueryCommandInput =
      tenant === undefined
        ? {
            TableName: this.tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': lifecycleKeys.movesIndex },
          }
        : {
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :move)',
            ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':move': lifecycleKeys.move('') },
          };
    for await (const item of this.query(query)) yield toMarker(item);
  }

  async deprecateFile(
    tenant: string,
    fileId: string,
    from: FileStatus,
    at: string,
    reason: string,
  ): Promise<boolean> {
    try {
      await this.transact({
        TransactItems: [
          {
            // A file in the middle of a move is left for the next run: its record is about to change.
            ConditionCheck: {
              TableName: this.tableName,
              Key: { pk: keys.tenant(tenant), sk: lifecycleKeys.move(fileId) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
              UpdateExpression:
                'SET #status = :to, deprecatedAt = :at, gsi1pk = :gsi1pk, ' +
                'stateHistory = list_append(if_not_exists(stateHistory, :none), :change)',
              ConditionExpression: '#status = :from',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':to': 'DEPRECATED',
                ':at': at,
                ':gsi1pk': keys.byStatus(tenant, 'DEPRECATED'),
                ':none': [],
                ':change': [{ from, to: 'DEPRECATED', at, reason }],
                ':from': from,
              },
            },
          },
        ],
      });
      return true;
    } catch (error) {
      if (cancellationReasons(error).includes('ConditionalCheckFailed')) return false;
      rethrowSdkError('TransactWriteItems', error);
    }
  }

  async markDeleted(
    file: Pick<FileRecord, 'tenant' | 'fileId' | 'dataset' | 'sha256'>,
    at: string,
  ): Promise<boolean> {
    const mark = {
      TableName: this.tableName,
      Key: { pk: keys.tenant(file.tenant), sk: keys.file(file.fileId) },
      UpdateExpression: 'SET deletedAt = :at',
      ConditionExpression: '#status = :deprecated AND attribute_not_exists(deletedAt)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':at': at, ':deprecated': 'DEPRECATED' },
    };
    // With its object gone the file no longer stands for its content: the claim goes in the same
    // transaction, so the same bytes uploaded again are ingested as a new file, not a DUPLICATE of this one.
    if (file.sha256) {
      try {
        await this.transact({
          TransactItems: [{ Update: mark }, { Delete: releaseClaim(this.tableName, file) }],
        });
        return true;
      } catch (error) {
        const [fileReason, claimReason] = cancellationReasons(error);
        if (fileReason === 'ConditionalCheckFailed') return false;
        if (claimReason !== 'ConditionalCheckFailed') rethrowSdkError('TransactWriteItems', error);
        // The claim is another file's: only the record changes.
      }
    }
    try {
      await this.doc.send(new UpdateCommand(mark));
      return true;
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return false;
      rethrowSdkError('UpdateItem', error);
    }
  }

  async *filesInStatus(tenant: string, status: FileStatus, filter: FileFilter = {}) {
    const values: Record<string, unknown> = { ':pk': keys.byStatus(tenant, status) };
    const filters: string[] = [];
    let keyCondition = 'gsi1pk = :pk';
    if (filter.uploadedBefore !== undefined) {
      // gsi1sk is `<uploadedAt>#<fileId>`: every key of an earlier upload sorts before the bare instant.
      keyCondition += ' AND gsi1sk < :before';
      values[':before'] = filter.uploadedBefore;
    }
    if (filter.minUsage !== undefined) {
      filters.push('usageCount >= :minUsage');
      values[':minUsage'] = filter.minUsage;
    }
    if (filter.notDeleted) filters.push('attribute_not_exists(deletedAt)');
    const query: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: keyCondition,
      ExpressionAttributeValues: values,
      ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
    };
    for await (const item of this.query(query)) yield toFileRecord(item);
  }

  async *fileFacts(tenant: string): AsyncIterable<FileFacts> {
    const query: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :file)',
      // Fewer bytes over the wire; DynamoDB still charges the read by the full item size.
      ProjectionExpression: '#status, #dataType, #dataset, #size, #usageCount, #deletedAt',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#dataType': 'dataType',
        '#dataset': 'dataset',
        '#size': 'size',
        '#usageCount': 'usageCount',
        '#deletedAt': 'deletedAt',
      },
      ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':file': keys.file('') },
    };
    for await (const item of this.query(query, 1000)) yield item as FileFacts;
  }

  async getRetentionPolicy(tenant: string): Promise<StoredRetentionPolicy | undefined> {
    const item = await this.get(keys.tenant(tenant), lifecycleKeys.policy);
    return item ? toPolicy(item) : undefined;
  }

  async putRetentionPolicy(stored: StoredRetentionPolicy): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: keys.tenant(stored.tenant),
            sk: lifecycleKeys.policy,
            [ENTITY]: 'retention-policy',
            gsi1pk: lifecycleKeys.policiesIndex,
            gsi1sk: stored.tenant,
            ...stored,
          },
        }),
      );
    } catch (error) {
      rethrowSdkError('PutItem', error);
    }
  }

  async *listRetentionPolicies(): AsyncIterable<StoredRetentionPolicy> {
    const query: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': lifecycleKeys.policiesIndex },
    };
    for await (const item of this.query(query)) yield toPolicy(item);
  }

  async claimConsumption(
    tenant: string,
    trainingSetId: string,
    jobId: string,
    at: string,
  ): Promise<ConsumptionClaim> {
    const claim: ConsumptionClaim = { tenant, trainingSetId, jobId, startedAt: at };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: keys.tenant(tenant),
            sk: lifecycleKeys.claim(trainingSetId, jobId),
            [ENTITY]: 'consumption',
            ...claim,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return claim;
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('PutItem', error);
    }
    const item = await this.get(keys.tenant(tenant), lifecycleKeys.claim(trainingSetId, jobId));
    if (!item)
      throw new Error(`claim of ${trainingSetId}/${jobId} vanished after a conditional check saw it`);
    return toClaim(item);
  }

  async completeConsumption(claim: ConsumptionClaim, result: ConsumptionResult): Promise<ConsumptionResult> {
    const key = { pk: keys.tenant(claim.tenant), sk: lifecycleKeys.claim(claim.trainingSetId, claim.jobId) };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #result = :result',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#result)',
          ExpressionAttributeNames: { '#result': 'result' },
          ExpressionAttributeValues: { ':result': defined(result) },
        }),
      );
      return result;
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
    }
    const stored = toClaim((await this.get(key.pk, key.sk)) ?? {}).result;
    if (!stored)
      throw new Error(`claim of ${claim.trainingSetId}/${claim.jobId} has no result after a conflict`);
    return stored;
  }

  // -------------------------------------------------------------------------------------------------------

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      rethrowSdkError('GetItem', error);
    }
  }

  private async *query(input: QueryCommandInput, limit = PAGE): AsyncIterable<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      let page: QueryCommandOutput;
      try {
        page = await this.doc.send(new QueryCommand({ ...input, Limit: limit, ExclusiveStartKey: start }));
      } catch (error) {
        rethrowSdkError('Query', error);
      }
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Transactions on an item another transaction holds are cancelled with TransactionConflict: retry. */
  private transact(input: TransactWriteCommandInput) {
    return this.retryConflicts(() => this.doc.send(new TransactWriteCommand(input)));
  }

  private async retryConflicts<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const conflict =
          sdkErrorName(error) === 'TransactionConflictException' ||
          cancellationReasons(error).includes('TransactionConflict');
        if (!conflict || attempt >= CONFLICT_ATTEMPTS) throw error;
        await sleep(Math.random() * 25 * 2 ** Math.min(attempt, 5));
      }
    }
  }
}

/** The document client of the tests does not drop undefined values; the items never carry any. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toMarker(item: Record<string, unknown>): MoveMarker {
  return withoutKeys(item) as unknown as MoveMarker;
}

function toPolicy(item: Record<string, unknown>): StoredRetentionPolicy {
  const { tenant, policy, updatedAt } = item as unknown as StoredRetentionPolicy;
  return { tenant, policy, updatedAt };
}

function toClaim(item: Record<string, unknown>): ConsumptionClaim {
  return withoutKeys(item) as unknown as ConsumptionClaim;
}
