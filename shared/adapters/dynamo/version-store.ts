import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LineageEdge } from '../../domain/lineage.js';
import { declaredEdges, lineageNode, type VersionRecord, type VersionTable } from '../../domain/version.js';
import { tagDelta } from '../../domain/version-tags.js';
import { NotFoundError, TransientError } from '../../errors.js';
import type { Page, VersionDraft, VersionStore } from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { decodeCursor, edgeItem, encodeCursor, updateExpression } from './items.js';
import { keys, versionKeys } from './keys.js';
import { packJson, unpackJson } from './packed-json.js';

export interface VersionTables {
  metadataTable: string;
  versionsTable: string;
  lineageTable: string;
}

/** Concurrent commits to one dataset retry on the counter; each round one of them wins. */
const MAX_ATTEMPTS = 60;

/**
 * Versions and their tag index in the versions table (keys.ts); commits also move the dataset's counter
 * and mark the file in the metadata table, and write the version's lineage edges, in one transaction.
 */
export class DynamoVersionStore implements VersionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: VersionTables,
  ) {}

  async commitVersion(draft: VersionDraft): Promise<{ record: VersionRecord; created: boolean }> {
    // Before any write: a schema too large for the item is refused, not half-committed.
    const schema = packJson(draft.schema, `the schema of ${draft.schema.columns.length} columns`);
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
        status: 'PENDING',
        parentVersion: dataset?.currentVersion === undefined ? undefined : Number(dataset.currentVersion),
      };
      try {
        await this.doc.send(
          new TransactWriteCommand({ TransactItems: this.commitItems(record, schema, previous) }),
        );
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

  /** `schema`: the record's schema as packJson stores it. */
  private commitItems(record: VersionRecord, schema: unknown, previous: number) {
    const { tenant, dataset, version } = record;
    const from = lineageNode.file(tenant, record.sourceFileId);
    const to = lineageNode.datasetVersion(tenant, dataset, version);
    const at = record.createdAt;
    const edge = (e: LineageEdge) => ({
      Put: { TableName: this.tables.lineageTable, Item: edgeItem(tenant, e, at) },
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
          Item: {
            pk: versionKeys.dataset(tenant, dataset),
            sk: versionKeys.version(version),
            ...record,
            schema,
          },
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
          Key: { pk: versionKeys.dataset(tenant, dataset), sk: versionKeys.version(version) },
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

  async recordTable(tenant: string, dataset: string, version: number, table: VersionTable): Promise<void> {
    const staged = table.version === undefined;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.versionsTable,
          Key: { pk: versionKeys.dataset(tenant, dataset), sk: versionKeys.version(version) },
          UpdateExpression: 'SET #table = :table',
          ConditionExpression: staged
            ? 'attribute_exists(pk) AND attribute_not_exists(#table.#version)'
            : 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#table': 'table', ...(staged && { '#version': 'version' }) },
          ExpressionAttributeValues: { ':table': table },
        }),
      );
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
      // A committed placement is already recorded, unless the version itself is missing.
      if (!(await this.getVersion(tenant, dataset, version))) {
        throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
      }
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
                  Key: { pk: versionKeys.dataset(tenant, dataset), sk: versionKeys.version(version) },
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
      pk: versionKeys.dataset(tenant, dataset),
      sk: versionKeys.version(version),
    });
    return item ? toVersion(item) : undefined;
  }

  async listVersions(tenant: string, dataset: string, page: { limit: number; cursor?: string }) {
    const pk = versionKeys.dataset(tenant, dataset);
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.versionsTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': pk, ':v': versionKeys.versionPrefix },
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

  async updateVersionMetadata(
    tenant: string,
    dataset: string,
    version: number,
    update: (current: VersionRecord) => { tags: string[]; description?: string | null | undefined },
  ): Promise<VersionRecord> {
    const key = { pk: versionKeys.dataset(tenant, dataset), sk: versionKeys.version(version) };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const current = await this.getVersion(tenant, dataset, version);
      if (!current || current.status === 'PENDING') {
        throw new NotFoundError(`version ${version} of dataset "${dataset}" not found or not complete`);
      }
      const before = current.tags ?? [];
      const { tags, description } = update(current);
      const { added, removed } = tagDelta(before, tags);
      const clear = description === null || description === '';
      const names: Record<string, string> = { '#tags': 'tags', '#status': 'status' };
      const values: Record<string, unknown> = { ':tags': tags, ':before': before, ':pending': 'PENDING' };
      let expression = 'SET #tags = :tags';
      if (description !== undefined) {
        names['#description'] = 'description';
        if (clear) expression += ' REMOVE #description';
        else {
          expression += ', #description = :description';
          values[':description'] = description;
        }
      }
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tables.versionsTable,
                  Key: key,
                  UpdateExpression: expression,
                  // Optimistic: the tags must be the ones `update` saw, or the index would drift.
                  ConditionExpression:
                    'attribute_exists(pk) AND #status <> :pending AND (attribute_not_exists(#tags) OR #tags = :before)',
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
              ...added.map((tag) => ({
                Put: {
                  TableName: this.tables.versionsTable,
                  Item: {
                    pk: versionKeys.tag(tenant, dataset, tag),
                    sk: key.sk,
                    tenant,
                    dataset,
                    tag,
                    version,
                  },
                },
              })),
              ...removed.map((tag) => ({
                Delete: {
                  TableName: this.tables.versionsTable,
                  Key: { pk: versionKeys.tag(tenant, dataset, tag), sk: key.sk },
                },
              })),
            ],
          }),
        );
        const { description: previous, ...rest } = current;
        const kept = description === undefined ? previous : clear ? undefined : description;
        return { ...rest, tags, ...(kept !== undefined && { description: kept }) };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) rethrowSdkError('TransactWriteItems', error);
        // Another writer changed the tags (or the transaction collided): read again and recompute.
        await sleep(10 + Math.random() * 40 * attempt);
      }
    }
    throw new TransientError(`could not update ${tenant}/${dataset} v${version}: too much contention`);
  }

  async listVersionsByTag(
    tenant: string,
    dataset: string,
    tag: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<VersionRecord>> {
    const pk = versionKeys.tag(tenant, dataset, tag);
    let result: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
    try {
      result = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.versionsTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, pk),
        }),
      );
    } catch (error) {
      rethrowSdkError('Query', error);
    }
    const numbers = (result.Items ?? []).map((item) => Number(item.version));
    const records = await this.batchGetVersions(tenant, dataset, numbers);
    return {
      items: numbers.flatMap((n) => records.get(n) ?? []),
      cursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  /** The records of `numbers` (at most a page, ≤ 1000), by number; BatchGetItem reads 100 at a time. */
  private async batchGetVersions(tenant: string, dataset: string, numbers: readonly number[]) {
    const found = new Map<number, VersionRecord>();
    const pk = versionKeys.dataset(tenant, dataset);
    for (let start = 0; start < numbers.length; start += 100) {
      let pending: Record<string, unknown>[] = numbers
        .slice(start, start + 100)
        .map((n) => ({ pk, sk: versionKeys.version(n) }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 10) throw new TransientError('BatchGetItem left keys unprocessed after 10 attempts');
        if (attempt > 1) await sleep(Math.min(1000, 20 * 2 ** attempt));
        try {
          const result = await this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.tables.versionsTable]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of result.Responses?.[this.tables.versionsTable] ?? []) {
            const record = toVersion(item);
            found.set(Number(record.version), record);
          }
          pending = (result.UnprocessedKeys?.[this.tables.versionsTable]?.Keys ?? []) as Record<
            string,
            unknown
          >[];
        } catch (error) {
          rethrowSdkError('BatchGetItem', error);
        }
      }
    }
    return found;
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
  return { ...rest, schema: unpackJson(rest.schema) } as unknown as VersionRecord;
}
