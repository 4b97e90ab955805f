import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { type FeatureVersionRecord, semverSortKey } from '../domain/feature-store.js';
import type { LineageEdge } from '../domain/lineage.js';
import { InternalError, TransientError } from '../errors.js';
import type {
  FeatureRegistry,
  OnlineFeatureItem,
  OnlineFeatureSet,
  OnlineFeatureStore,
  Page,
} from '../ports.js';
import { deleteAll, putAll } from './dynamo-batch.js';
import { edgeItem } from './dynamo-lineage-store.js';
import { decodeCursor, encodeCursor } from './dynamo-metadata-store.js';
import { rethrowSdkError } from './sdk-errors.js';

/**
 * Features table: `pk = T#<tenant>#FS#<name>`, `sk = V#<zero-padded semver>`, so a reverse query with
 * Limit 1 is the latest version. Online table: `pk = T#<tenant>#FS#<name>#V#<version>#C#<content hash>`,
 * `sk = E#<entity key>`: each version's values stay addressable while a newer one is materialized, and two
 * registrations of one version with different content never write the same item (versions registered
 * before the content was part of the key have theirs under `…#V#<version>`).
 */
const registryPk = (tenant: string, name: string) => `T#${tenant}#FS#${name}`;
const registrySk = (version: string) => `V#${semverSortKey(version)}`;
const onlinePk = ({ tenant, name, version, contentHash }: OnlineFeatureSet) =>
  `T#${tenant}#FS#${name}#V#${version}${contentHash === undefined ? '' : `#C#${contentHash}`}`;
const onlineSk = (entityKey: string) => `E#${entityKey}`;

/** DynamoDB's limit of keys per BatchGetItem. */
const READ_BATCH = 100;
/** Unprocessed items are retried with backoff this many times before the call fails as transient. */
const BATCH_ATTEMPTS = 8;

export class DynamoFeatureRegistry implements FeatureRegistry {
  /** `lineageTable` only for registering (edges are written with the record); readers need none. */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly lineageTable?: string,
  ) {}

  async putFeatureVersion(record: FeatureVersionRecord, edges: readonly LineageEdge[] = []) {
    if (edges.length > 0 && !this.lineageTable)
      throw new InternalError('feature registry built without a lineage table');
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: registryPk(record.tenant, record.name),
                  sk: registrySk(record.version),
                  ...record,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            // The version and its lineage land together: a listed feature version always has its edges.
            ...edges.map((e) => ({
              Put: {
                TableName: this.lineageTable as string,
                Item: edgeItem(record.tenant, e, record.createdAt),
              },
            })),
          ],
        }),
      );
      return { created: true, record };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) rethrowSdkError('TransactWriteItems', error);
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
          Key: { pk: registryPk(tenant, name), sk: registrySk(version) },
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
    const pk = registryPk(tenant, name);
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': pk, ':v': 'V#' },
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

export class DynamoOnlineFeatureStore implements OnlineFeatureStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async materialize(set: OnlineFeatureSet, rows: readonly OnlineFeatureItem[]) {
    const pk = onlinePk(set);
    await putAll(
      this.doc,
      this.tableName,
      rows.map((row) => ({
        pk,
        sk: onlineSk(row.entityKey),
        entityKey: row.entityKey,
        eventTime: row.eventTime,
        values: row.values,
      })),
      'online feature store',
    );
  }

  async discard(set: OnlineFeatureSet, entityKeys: readonly string[]) {
    const pk = onlinePk(set);
    await deleteAll(
      this.doc,
      this.tableName,
      [...new Set(entityKeys)].map((key) => ({ pk, sk: onlineSk(key) })),
      'online feature store',
    );
  }

  async lookup(set: OnlineFeatureSet, entityKeys: readonly string[]) {
    const pk = onlinePk(set);
    const found = new Map<string, OnlineFeatureItem>();
    const unique = [...new Set(entityKeys)];
    for (let i = 0; i < unique.length; i += READ_BATCH) {
      let keys: Array<Record<string, string>> = unique
        .slice(i, i + READ_BATCH)
        .map((key) => ({ pk, sk: onlineSk(key) }));
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
