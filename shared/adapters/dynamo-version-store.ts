import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { declaredEdges, lineageNode, snapshotKey, type VersionRecord } from '../domain/version.js';
import { NotFoundError, TransientError } from '../errors.js';
import type { Page, VersionDraft, VersionStore } from '../ports.js';
import { decodeCursor, encodeCursor, keys, updateExpression } from './dynamo-metadata-store.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

export interface VersionTables {
  metadataTable: string;
  versionsTable: string;
  lineageTable: string;
}

/**
 * Versions table: `pk = T#<tenant>#DS#<dataset>`, `sk = V#<10-digit version>` (sorts numerically).
 * Lineage table: one item per edge direction, `pk = <node>`, `sk = OUT#<type>#<node>`, with `gsi1` the
 * reverse (`gsi1pk = <target>`, `gsi1sk = IN#<type>#<source>`), so both walks are single queries.
 */
const versionSk = (version: number) => `V#${String(version).padStart(10, '0')}`;

/** Concurrent commits to one dataset retry on the counter; each round one of them wins. */
const MAX_ATTEMPTS = 60;

export class DynamoVersionStore implements VersionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: VersionTables,
  ) {}

  async commitVersion(draft: VersionDraft): Promise<{ record: VersionRecord; created: boolean }> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const [file, dataset] = await Promise.all([
        this.get(this.tables.metadataTable, {
          pk: keys.tenant(draft.tenant),
          sk: keys.file(draft.sourceFileId),
        }),
        this.get(this.tables.metadataTable, {
          pk: keys.tenant(draft.tenant),
          sk: keys.dataset(draft.dataset),
        }),
      ]);
      if (file?.version !== undefined) {
        // A retry of a commit that went through: hand back what was recorded.
        const existing = await this.getVersion(draft.tenant, draft.dataset, Number(file.version));
        if (existing) return { record: existing, created: false };
      }
      const previous = Number(dataset?.versionCount ?? 0);
      const record: VersionRecord = {
        ...draft,
        version: previous + 1,
        snapshotKey: snapshotKey(draft.tenant, draft.dataset, previous + 1),
        status: 'PENDING',
        parentVersion: dataset?.currentVersion === undefined ? undefined : Number(dataset.currentVersion),
      };
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: this.commitItems(record, previous) }));
        return { record, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) rethrowSdkError('TransactWriteItems', error);
        // Lost the race for this number (or the file got its version meanwhile): look again.
        await sleep(10 + Math.random() * 40 * Math.min(attempt, 10));
      }
    }
    throw new TransientError(
      `could not allocate a version of ${draft.tenant}/${draft.dataset}: too much contention`,
    );
  }

  private commitItems(record: VersionRecord, previous: number) {
    const { tenant, dataset, version } = record;
    const from = lineageNode.file(tenant, record.sourceFileId);
    const to = lineageNode.datasetVersion(tenant, dataset, version);
    const at = record.createdAt;
    const edge = (e: { from: string; to: string; type: string }) => ({
      Put: {
        TableName: this.tables.lineageTable,
        Item: {
          pk: e.from,
          sk: `OUT#${e.type}#${e.to}`,
          gsi1pk: e.to,
          gsi1sk: `IN#${e.type}#${e.from}`,
          type: e.type,
          from: e.from,
          to: e.to,
          tenant,
          createdAt: at,
        },
      },
    });
    return [
      {
        // The counter is the lock: exactly one commit moves it from `previous` to `previous + 1`.
        Update: {
          TableName: this.tables.metadataTable,
          Key: { pk: keys.tenant(tenant), sk: keys.dataset(dataset) },
          UpdateExpression: 'SET versionCount = :next, updatedAt = :at',
          ConditionExpression:
            previous === 0 ? 'attribute_not_exists(versionCount)' : 'versionCount = :previous',
          ExpressionAttributeValues: {
            ':next': version,
            ':at': at,
            ...(previous > 0 && { ':previous': previous }),
          },
        },
      },
      {
        Put: {
          TableName: this.tables.versionsTable,
          Item: { pk: keys.byDataset(tenant, dataset), sk: versionSk(version), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tables.metadataTable,
          Key: { pk: keys.tenant(tenant), sk: keys.file(record.sourceFileId) },
          UpdateExpression: 'SET version = :version',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(version)',
          ExpressionAttributeValues: { ':version': version },
        },
      },
      // Edges in the same transaction as the version: a version never exists without its lineage.
      edge({ from, to, type: 'produced' }),
      ...declaredEdges(tenant, record).map(edge),
    ];
  }

  async completeVersion(
    tenant: string,
    dataset: string,
    version: number,
    status: 'READY' | 'HELD',
    hold?: VersionRecord['hold'],
  ) {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.versionsTable,
          Key: { pk: keys.byDataset(tenant, dataset), sk: versionSk(version) },
          ...updateExpression({ status, ...(hold && { hold }) }),
          // A retried stage must not undo a person's promotion of a held version.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(promotion)',
        }),
      );
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
      const existing = await this.getVersion(tenant, dataset, version);
      if (!existing) throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
      return { promoted: false };
    }
    if (status === 'HELD') return { promoted: false };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.metadataTable,
          Key: { pk: keys.tenant(tenant), sk: keys.dataset(dataset) },
          UpdateExpression: 'SET currentVersion = :v',
          // Versions finish out of order under concurrency; the newest READY one is current.
          ConditionExpression: 'attribute_not_exists(currentVersion) OR currentVersion <= :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return { promoted: true };
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return { promoted: false };
      rethrowSdkError('UpdateItem', error);
    }
  }

  async promoteVersion(
    tenant: string,
    dataset: string,
    version: number,
    promotion: { reason: string; at: string },
  ): Promise<VersionRecord> {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const [record, datasetItem] = await Promise.all([
        this.getVersion(tenant, dataset, version),
        this.get(this.tables.metadataTable, { pk: keys.tenant(tenant), sk: keys.dataset(dataset) }),
      ]);
      if (!record || record.status === 'PENDING') {
        throw new NotFoundError(`version ${version} of dataset "${dataset}" not found or not complete`);
      }
      const previous =
        datasetItem?.currentVersion === undefined ? undefined : Number(datasetItem.currentVersion);
      const stored = { ...promotion, ...(previous !== undefined && { previousCurrent: previous }) };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tables.versionsTable,
                  Key: { pk: keys.byDataset(tenant, dataset), sk: versionSk(version) },
                  UpdateExpression: 'SET #status = :ready, promotion = :promotion',
                  ConditionExpression: 'attribute_exists(pk) AND #status <> :pending',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':ready': 'READY',
                    ':pending': 'PENDING',
                    ':promotion': stored,
                  },
                },
              },
              {
                // The previous current version is recorded exactly: the pointer must not move meanwhile.
                Update: {
                  TableName: this.tables.metadataTable,
                  Key: { pk: keys.tenant(tenant), sk: keys.dataset(dataset) },
                  UpdateExpression: 'SET currentVersion = :v',
                  ConditionExpression:
                    previous === undefined
                      ? 'attribute_not_exists(currentVersion)'
                      : 'currentVersion = :previous',
                  ExpressionAttributeValues: {
                    ':v': version,
                    ...(previous !== undefined && { ':previous': previous }),
                  },
                },
              },
            ],
          }),
        );
        return { ...record, status: 'READY', promotion: stored };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) rethrowSdkError('TransactWriteItems', error);
        await sleep(10 + Math.random() * 40);
      }
    }
    throw new TransientError(`could not promote ${tenant}/${dataset} v${version}: too much contention`);
  }

  async getVersion(tenant: string, dataset: string, version: number): Promise<VersionRecord | undefined> {
    const item = await this.get(this.tables.versionsTable, {
      pk: keys.byDataset(tenant, dataset),
      sk: versionSk(version),
    });
    return item ? toVersion(item) : undefined;
  }

  async listVersions(tenant: string, dataset: string, page: { limit: number; cursor?: string }) {
    const pk = keys.byDataset(tenant, dataset);
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.versionsTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': pk, ':v': 'V#' },
          // Newest first: what people ask for.
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, pk),
        }),
      );
      return {
        items: (result.Items ?? []).map(toVersion),
        cursor: encodeCursor(result.LastEvaluatedKey),
      } satisfies Page<VersionRecord>;
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }

  private async get(table: string, key: { pk: string; sk: string }) {
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      rethrowSdkError('GetItem', error);
    }
  }
}

function toVersion(item: Record<string, unknown>): VersionRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as VersionRecord;
}
