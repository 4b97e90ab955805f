import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DatasetConfig, DatasetRecord, DatasetSummary, DriftSettings } from '../domain/dataset.js';
import type { FileRecord } from '../domain/file-record.js';
import type { LineageEdge } from '../domain/lineage.js';
import type { TrainingSetRecord } from '../domain/training-set.js';
import { InternalError, InvalidInputError } from '../errors.js';
import type {
  ApiKeyRecord,
  ApiKeyStore,
  DatasetStore,
  FileFailure,
  FileQuery,
  MetadataStore,
  Page,
  RegisterOutcome,
  TrainingSetStore,
} from '../ports.js';
import { DynamoLineageStore, edgeItem } from './dynamo-lineage-store.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

/**
 * Single-table layout of the metadata table (keys `pk`/`sk`, GSIs `gsi1` and `gsi2`):
 *
 * | item         | pk                     | sk               | gsi1 (by status)                | gsi2 (by dataset)          |
 * |--------------|------------------------|------------------|---------------------------------|----------------------------|
 * | dataset      | T#<tenant>             | DS#<dataset>     |                                 |                            |
 * | file         | T#<tenant>             | FILE#<fileId>    | T#<tenant>#S#<status>, <at>#id  | T#<tenant>#DS#<ds>, <at>#id |
 * | hash claim   | T#<tenant>#DS#<ds>     | HASH#<sha256>    |                                 |                            |
 * | API key      | KEY#<sha256 of key>    | KEY              |                                 |                            |
 * | training set | T#<tenant>             | TS#<id>          |                                 |                            |
 *
 * The lifecycle's items (move markers, retention policies, consumption claims) are described in
 * dynamo-lifecycle-store.ts, pipeline runs in dynamo-run-store.ts.
 */
export const keys = {
  tenant: (tenant: string) => `T#${tenant}`,
  dataset: (dataset: string) => `DS#${dataset}`,
  file: (fileId: string) => `FILE#${fileId}`,
  byStatus: (tenant: string, status: string) => `T#${tenant}#S#${status}`,
  byDataset: (tenant: string, dataset: string) => `T#${tenant}#DS#${dataset}`,
  hash: (sha256: string) => `HASH#${sha256}`,
  apiKey: (keyHash: string) => `KEY#${keyHash}`,
  trainingSet: (id: string) => `TS#${id}`,
};

const ENTITY = 'entity';

export class DynamoMetadataStore implements MetadataStore, ApiKeyStore, DatasetStore, TrainingSetStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The lineage table, for the records that are written with their edges (training sets). */
    private readonly options: { lineageTable?: string } = {},
  ) {}

  async registerFile(record: FileRecord): Promise<RegisterOutcome> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.putFile(record) },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: keys.byDataset(record.tenant, record.dataset),
                  sk: keys.hash(record.sha256),
                  [ENTITY]: 'hash',
                  fileId: record.fileId,
                  claimedAt: record.registeredAt,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Update: this.countOnDataset(record, 'fileCount') },
          ],
        }),
      );
      return { outcome: 'registered', record };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) rethrowSdkError('TransactWriteItems', error);
      const [fileReason, hashReason] = error.CancellationReasons ?? [];
      if (fileReason?.Code === 'ConditionalCheckFailed') return this.alreadyRegistered(record);
      if (hashReason?.Code !== 'ConditionalCheckFailed') rethrowSdkError('TransactWriteItems', error);
    }
    return this.registerDuplicate(record);
  }

  private async registerDuplicate(record: FileRecord): Promise<RegisterOutcome> {
    const claim = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.byDataset(record.tenant, record.dataset), sk: keys.hash(record.sha256) },
        ConsistentRead: true,
      }),
    );
    const original = claim.Item?.fileId as string | undefined;
    const duplicate: FileRecord = { ...record, status: 'DUPLICATE', duplicateOf: original };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.putFile(duplicate) },
            { Update: this.countOnDataset(duplicate, 'duplicateCount') },
          ],
        }),
      );
      return { outcome: 'duplicate', record: duplicate };
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        return this.alreadyRegistered(record);
      }
      rethrowSdkError('TransactWriteItems', error);
    }
  }

  private async alreadyRegistered(record: FileRecord): Promise<RegisterOutcome> {
    const existing = await this.getFile(record.tenant, record.fileId, true);
    if (!existing) throw new Error(`file ${record.fileId} vanished after a conditional check saw it`);
    return { outcome: 'already-registered', record: existing };
  }

  private putFile(record: FileRecord) {
    return {
      TableName: this.tableName,
      Item: {
        pk: keys.tenant(record.tenant),
        sk: keys.file(record.fileId),
        [ENTITY]: 'file',
        gsi1pk: keys.byStatus(record.tenant, record.status),
        gsi1sk: `${record.uploadedAt}#${record.fileId}`,
        gsi2pk: keys.byDataset(record.tenant, record.dataset),
        gsi2sk: `${record.uploadedAt}#${record.fileId}`,
        ...record,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  private countOnDataset(record: FileRecord, counter: 'fileCount' | 'duplicateCount') {
    return {
      TableName: this.tableName,
      Key: { pk: keys.tenant(record.tenant), sk: keys.dataset(record.dataset) },
      UpdateExpression:
        'SET #entity = :entity, tenant = :tenant, dataset = :dataset, createdAt = if_not_exists(createdAt, :at), ' +
        'updatedAt = :at, lastFileId = :fileId ADD #counter :one, bytes :size',
      ExpressionAttributeNames: { '#entity': ENTITY, '#counter': counter },
      ExpressionAttributeValues: {
        ':entity': 'dataset',
        ':tenant': record.tenant,
        ':dataset': record.dataset,
        ':at': record.registeredAt,
        ':fileId': record.fileId,
        ':one': 1,
        // Duplicates take no extra room in the versions we write, but they do occupy the bucket.
        ':size': record.size,
      },
    };
  }

  private async getItem(key: { pk: string; sk: string }, consistent: boolean) {
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
      );
      return result.Item;
    } catch (error) {
      rethrowSdkError('GetItem', error);
    }
  }

  async getFile(tenant: string, fileId: string, consistent = false): Promise<FileRecord | undefined> {
    const item = await this.getItem({ pk: keys.tenant(tenant), sk: keys.file(fileId) }, consistent);
    return item ? toFileRecord(item) : undefined;
  }

  async recordFailure(failure: FileFailure): Promise<void> {
    const update = updateExpression(
      {
        [ENTITY]: 'file',
        fileId: failure.fileId,
        tenant: failure.tenant,
        dataset: failure.dataset,
        bucket: failure.bucket,
        status: 'QUARANTINED',
        quarantineKey: failure.quarantineKey,
        failure: {
          stage: failure.stage,
          errorName: failure.errorName,
          message: failure.message,
          at: failure.at,
        },
        gsi1pk: keys.byStatus(failure.tenant, 'QUARANTINED'),
        gsi2pk: keys.byDataset(failure.tenant, failure.dataset),
      },
      // Whatever register already recorded stays; a failure before register still leaves a findable record.
      {
        key: failure.key,
        uploadedAt: failure.at,
        gsi1sk: `${failure.at}#${failure.fileId}`,
        gsi2sk: `${failure.at}#${failure.fileId}`,
      },
    );
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(failure.tenant), sk: keys.file(failure.fileId) },
          ...update,
        }),
      );
    } catch (error) {
      rethrowSdkError('UpdateItem', error);
    }
  }

  async readmitFile(record: FileRecord, at: string): Promise<FileRecord | undefined> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(record.tenant), sk: keys.file(record.fileId) },
          UpdateExpression:
            'SET #status = :fresh, #gsi1pk = :byStatus, #stage = :register, #readmittedAt = :at, ' +
            '#previous = list_append(if_not_exists(#previous, :none), :failures) REMOVE #failure, #quarantineKey',
          // Only a file register recorded whole (its content hash claimed and counted) comes back as is.
          ConditionExpression: '#status = :quarantined AND attribute_exists(sha256)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#gsi1pk': 'gsi1pk',
            '#stage': 'stage',
            '#readmittedAt': 'readmittedAt',
            '#previous': 'previousFailures',
            '#failure': 'failure',
            '#quarantineKey': 'quarantineKey',
          },
          ExpressionAttributeValues: {
            ':fresh': 'FRESH',
            ':quarantined': 'QUARANTINED',
            ':byStatus': keys.byStatus(record.tenant, 'FRESH'),
            ':register': 'register',
            ':at': at,
            ':none': [],
            ':failures': record.failure ? [record.failure] : [],
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? toFileRecord(result.Attributes) : undefined;
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return undefined;
      rethrowSdkError('UpdateItem', error);
    }
  }

  async discardUnregisteredFile(tenant: string, fileId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
          ConditionExpression: '#status = :quarantined AND attribute_not_exists(sha256)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':quarantined': 'QUARANTINED' },
        }),
      );
      return true;
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return false;
      rethrowSdkError('DeleteItem', error);
    }
  }

  /**
   * Files newest first. A status uses gsi1 and a dataset gsi2 (the other filters apply within the page,
   * so a page may hold fewer than `limit` items while a cursor still follows).
   */
  async listFiles(tenant: string, query: FileQuery): Promise<Page<FileRecord>> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let index: string | undefined;
    let pk: string;
    let pkName = 'pk';
    if (query.status) {
      index = 'gsi1';
      pkName = 'gsi1pk';
      pk = keys.byStatus(tenant, query.status);
      if (query.dataset) {
        filters.push('#dataset = :dataset');
        names['#dataset'] = 'dataset';
        values[':dataset'] = query.dataset;
      }
    } else if (query.dataset) {
      index = 'gsi2';
      pkName = 'gsi2pk';
      pk = keys.byDataset(tenant, query.dataset);
    } else {
      pk = keys.tenant(tenant);
    }
    if (query.dataType) {
      filters.push('#dataType = :dataType');
      names['#dataType'] = 'dataType';
      values[':dataType'] = query.dataType;
    }
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(index && { IndexName: index }),
          KeyConditionExpression: index ? `${pkName} = :pk` : 'pk = :pk AND begins_with(sk, :file)',
          ExpressionAttributeValues: { ':pk': pk, ...(!index && { ':file': 'FILE#' }), ...values },
          ...(filters.length > 0 && {
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: names,
          }),
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: decodeCursor(query.cursor, pk, pkName),
        }),
      );
      return { items: (result.Items ?? []).map(toFileRecord), cursor: encodeCursor(result.LastEvaluatedKey) };
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }

  async listDatasets(tenant: string, page = { limit: 100 } as { limit: number; cursor?: string }) {
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':prefix': 'DS#' },
          Limit: page.limit,
          ExclusiveStartKey: decodeCursor(page.cursor, keys.tenant(tenant)),
        }),
      );
      const items = (result.Items ?? []).map(toDatasetSummary);
      return { items, cursor: encodeCursor(result.LastEvaluatedKey) } satisfies Page<DatasetSummary>;
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }

  async getDataset(tenant: string, dataset: string): Promise<DatasetRecord | undefined> {
    const item = await this.getItem({ pk: keys.tenant(tenant), sk: keys.dataset(dataset) }, true);
    if (!item) return undefined;
    return {
      ...toDatasetSummary(item),
      config: (item.config ?? {}) as DatasetConfig,
      validationSuite: item.validationSuite,
      suiteSource: item.suiteSource as DatasetRecord['suiteSource'],
      currentVersion: item.currentVersion === undefined ? undefined : Number(item.currentVersion),
      versionCount: Number(item.versionCount ?? 0),
      driftSettings: item.driftSettings as DriftSettings | undefined,
    };
  }

  async putValidationSuite(
    tenant: string,
    dataset: string,
    suite: unknown,
    source: 'api' | 'inferred',
    onlyIfAbsent: boolean,
  ): Promise<boolean> {
    try {
      await this.setOnDataset(
        tenant,
        dataset,
        { validationSuite: suite, suiteSource: source },
        onlyIfAbsent ? 'attribute_not_exists(validationSuite)' : undefined,
      );
      return true;
    } catch (error) {
      if (onlyIfAbsent && sdkErrorName(error) === 'ConditionalCheckFailedException') return false;
      rethrowSdkError('UpdateItem', error);
    }
  }

  async putDatasetConfig(tenant: string, dataset: string, config: DatasetConfig): Promise<void> {
    try {
      await this.setOnDataset(tenant, dataset, { config });
    } catch (error) {
      rethrowSdkError('UpdateItem', error);
    }
  }

  async putDriftSettings(tenant: string, dataset: string, settings: DriftSettings): Promise<void> {
    try {
      await this.setOnDataset(tenant, dataset, { driftSettings: settings });
    } catch (error) {
      rethrowSdkError('UpdateItem', error);
    }
  }

  /** Sets fields on the dataset item, creating it (a setting may come before the first file). */
  private async setOnDataset(
    tenant: string,
    dataset: string,
    fields: Record<string, unknown>,
    condition?: string,
  ) {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: keys.tenant(tenant), sk: keys.dataset(dataset) },
        ...updateExpression(
          { [ENTITY]: 'dataset', tenant, dataset, ...fields },
          { createdAt: new Date().toISOString() },
        ),
        ...(condition && { ConditionExpression: condition }),
      }),
    );
  }

  async updateFile(tenant: string, fileId: string, fields: Partial<FileRecord>): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
          ...updateExpression(fields),
          // Stages only annotate a file that register recorded; never create a partial record.
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      rethrowSdkError('UpdateItem', error);
    }
  }

  async putTrainingSet(record: TrainingSetRecord, edges: readonly LineageEdge[] = []): Promise<void> {
    if (edges.length > 0 && !this.options.lineageTable) {
      throw new InternalError('metadata store built without a lineage table');
    }
    const lineageTable = this.options.lineageTable as string;
    // DynamoDB transactions hold 100 items: the record plus 99 edges; any more go first, idempotently.
    const inTransaction = edges.slice(0, 99);
    const before = edges.slice(99);
    if (before.length > 0) {
      await new DynamoLineageStore(this.doc, lineageTable).putEdges(record.tenant, before, record.createdAt);
    }
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: keys.tenant(record.tenant),
                  sk: keys.trainingSet(record.id),
                  [ENTITY]: 'training-set',
                  ...record,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...inTransaction.map((e) => ({
              Put: { TableName: lineageTable, Item: edgeItem(record.tenant, e, record.createdAt) },
            })),
          ],
        }),
      );
    } catch (error) {
      rethrowSdkError('TransactWriteItems', error);
    }
  }

  async getTrainingSet(tenant: string, id: string): Promise<TrainingSetRecord | undefined> {
    const item = await this.getItem({ pk: keys.tenant(tenant), sk: keys.trainingSet(id) }, true);
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, [ENTITY]: _e, ...record } = item;
    return record as TrainingSetRecord;
  }

  async putApiKey(keyHash: string, record: ApiKeyRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: keys.apiKey(keyHash), sk: 'KEY', [ENTITY]: 'api-key', ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    // Consistent: a key must work the moment it is issued (the authorizer caches results anyway).
    const item = await this.getItem({ pk: keys.apiKey(keyHash), sk: 'KEY' }, true);
    if (!item) return undefined;
    const { tenant, name, createdAt } = item as ApiKeyRecord;
    return { tenant, name, createdAt };
  }
}

/**
 * `SET` for every field, `if_not_exists` for the second group. Every name goes through a placeholder:
 * DynamoDB reserves hundreds of words (`bucket`, `status`, `key`, …) and a new field must not break.
 */
export function updateExpression(set: Record<string, unknown>, setIfAbsent: Record<string, unknown> = {}) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  let i = 0;
  for (const [field, value] of Object.entries({ ...set, ...setIfAbsent })) {
    names[`#n${i}`] = field;
    values[`:v${i}`] = value;
    clauses.push(field in setIfAbsent ? `#n${i} = if_not_exists(#n${i}, :v${i})` : `#n${i} = :v${i}`);
    i++;
  }
  return {
    UpdateExpression: `SET ${clauses.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function toFileRecord(item: Record<string, unknown>): FileRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, [ENTITY]: _e, ...rest } = item;
  return rest as unknown as FileRecord;
}

function toDatasetSummary(item: Record<string, unknown>): DatasetSummary {
  return {
    tenant: item.tenant as string,
    dataset: item.dataset as string,
    fileCount: Number(item.fileCount ?? 0),
    duplicateCount: Number(item.duplicateCount ?? 0),
    bytes: Number(item.bytes ?? 0),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    lastFileId: item.lastFileId as string | undefined,
  };
}

/** Cursors are the DynamoDB key, base64url-encoded: opaque to callers, validated on the way back. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(
  cursor: string | undefined,
  pk: string,
  pkName = 'pk',
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A cursor from another tenant's listing must not steer this query.
    if (typeof parsed === 'object' && parsed !== null && 'sk' in parsed) {
      const key = parsed as Record<string, unknown>;
      // pkName is the partition key of the index queried (pk, or gsi1pk/gsi2pk).
      if (key[pkName] === pk) return key;
    }
  } catch {
    // fall through to the typed error
  }
  throw new InvalidInputError('invalid pagination cursor');
}
