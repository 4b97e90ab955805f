import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { FeatureVersionRecord } from '../../domain/feature-store.js';
import type { LineageEdge } from '../../domain/lineage.js';
import { TransientError } from '../../errors.js';
import type {
  FeatureRegistry,
  OnlineFeatureItem,
  OnlineFeatureSet,
  OnlineFeatureStore,
  Page,
} from '../../ports.js';
import { rethrowSdkError } from '../sdk-errors.js';
import { deleteAll, putAll } from './batch.js';
import { decodeCursor, encodeCursor } from './items.js';
import { featureKeys, onlineFeatureKeys } from './keys.js';
import { putWithEdges } from './transactions.js';

/** DynamoDB's limit of keys per BatchGetItem. */
const READ_BATCH = 100;
/** Unprocessed items are retried with backoff this many times before the call fails as transient. */
const BATCH_ATTEMPTS = 8;

/** Feature versions in the features table (keys.ts). */
export class DynamoFeatureRegistry implements FeatureRegistry {
  /** `lineageTable` only for registering (edges are written with the record); readers need none. */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly lineageTable?: string,
  ) {}

  async putFeatureVersion(record: FeatureVersionRecord, edges: readonly LineageEdge[] = []) {
    try {
      // The version and its lineage land together: a listed feature version always has its edges.
      await putWithEdges(this.doc, {
        put: {
          TableName: this.tableName,
          Item: {
            pk: featureKeys.feature(record.tenant, record.name),
            sk: featureKeys.version(record.version),
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        tenant: record.tenant,
        edges,
        at: record.createdAt,
        lineageTable: this.lineageTable,
        store: 'feature registry',
      });
      return { created: true, record };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const existing = await this.getFeatureVersion(record.tenant, record.name, record.version);
      if (!existing) throw new TransientError('feature version vanished after a conditional failure');
      return { created: false, record: existing };
    }
  }

  async getFeatureVersion(tenant: string, name: string, version: string) {
    try {
      const result = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: featureKeys.feature(tenant, name), sk: featureKeys.version(version) },
          ConsistentRead: true,
        }),
      );
      return result.Item ? toRecord(result.Item) : undefined;
    } catch (error) {
      rethrowSdkError('GetItem', error);
    }
  }

  async latestFeatureVersion(tenant: string, name: string) {
    const page = await this.listFeatureVersions(tenant, name, { limit: 1 });
    return page.items[0];
  }

  async listFeatureVersions(tenant: string, name: string, page: { limit: number; cursor?: string }) {
    const pk = featureKeys.feature(tenant, name);
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': pk, ':v': featureKeys.versionPrefix },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, pk),
        }),
      );
      return {
        items: (result.Items ?? []).map(toRecord),
        cursor: encodeCursor(result.LastEvaluatedKey),
      } satisfies Page<FeatureVersionRecord>;
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }
}

function toRecord(item: Record<string, unknown>): FeatureVersionRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as FeatureVersionRecord;
}

/** Feature values per entity in the online features table, one set per version's content (keys.ts). */
export class DynamoOnlineFeatureStore implements OnlineFeatureStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async materialize(set: OnlineFeatureSet, rows: readonly OnlineFeatureItem[]) {
    const pk = onlineFeatureKeys.set(set);
    await putAll(
      this.doc,
      this.tableName,
      rows.map((row) => ({
        pk,
        sk: onlineFeatureKeys.entity(row.entityKey),
        entityKey: row.entityKey,
        eventTime: row.eventTime,
        values: row.values,
      })),
      'online feature store',
    );
  }

  async discard(set: OnlineFeatureSet, entityKeys: readonly string[]) {
    const pk = onlineFeatureKeys.set(set);
    await deleteAll(
      this.doc,
      this.tableName,
      [...new Set(entityKeys)].map((key) => ({ pk, sk: onlineFeatureKeys.entity(key) })),
      'online feature store',
    );
  }

  async lookup(set: OnlineFeatureSet, entityKeys: readonly string[]) {
    const pk = onlineFeatureKeys.set(set);
    const found = new Map<string, OnlineFeatureItem>();
    const unique = [...new Set(entityKeys)];
    for (let i = 0; i < unique.length; i += READ_BATCH) {
      let keys: Array<Record<string, string>> = unique
        .slice(i, i + READ_BATCH)
        .map((key) => ({ pk, sk: onlineFeatureKeys.entity(key) }));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > BATCH_ATTEMPTS)
          throw new TransientError('online store kept keys unprocessed (throttled)');
        try {
          const result = await this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
          );
          for (const item of result.Responses?.[this.tableName] ?? []) {
            found.set(String(item.entityKey), {
              entityKey: String(item.entityKey),
              eventTime: Number(item.eventTime),
              values: item.values as OnlineFeatureItem['values'],
            });
          }
          keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
        } catch (error) {
          rethrowSdkError('BatchGetItem', error);
        }
        if (keys.length > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      }
    }
    return found;
  }
}
