import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DatasetConfig, DatasetRecord, DatasetSummary, DriftSettings } from '../../domain/dataset.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { LineageEdge } from '../../domain/lineage.js';
import type { TrainingSetRecord } from '../../domain/training-set.js';
import { TransientError } from '../../errors.js';
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
} from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import {
  decodeCursor,
  ENTITY,
  encodeCursor,
  releaseClaim,
  toFileRecord,
  updateExpression,
  withoutKeys,
} from './items.js';
import { claimKey, keys } from './keys.js';
import { packJson, unpackJson } from './packed-json.js';
import { putWithEdges, requireCancellationReasons } from './transactions.js';

/** Queries one filtered page of files may make (see listFiles). */
const FILTERED_ROUNDS = 10;
/** Rounds of a registration whose content-hash claim changes hands while it looks (released, taken). */
const CLAIM_ATTEMPTS = 5;
/** A file that no longer stands for its content (see claimHolder); `:quarantined` = 'QUARANTINED'. */
const RELEASED = 'attribute_not_exists(pk) OR #status = :quarantined OR attribute_exists(deletedAt)';

/** Files, datasets, content-hash claims, training sets and API keys in the metadata table (keys.ts). */
export class DynamoMetadataStore implements MetadataStore, ApiKeyStore, DatasetStore, TrainingSetStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The lineage table, for the records that are written with their edges (training sets). */
    private readonly options: { lineageTable?: string } = {},
  ) {}

  async registerFile(record: FileRecord): Promise<RegisterOutcome> {
    // A released holder whose claim this registration may take over (see claimHolder).
    let released: string | undefined;
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: this.putFile(record) },
              { Put: this.putClaim(record, record.registeredAt, released) },
              { Update: this.countOnDataset(record, 'fileCount') },
              ...(released ? [{ ConditionCheck: this.stillReleased(record.tenant, released) }] : []),
            ],
          }),
        );
        return { outcome: 'registered', record };
      } catch (error) {
        const [fileReason, hashReason, , releasedReason] = requireCancellationReasons(
          error,
          'TransactWriteItems',
        );
        if (fileReason === 'ConditionalCheckFailed') return this.alreadyRegistered(record);
        if (hashReason !== 'ConditionalCheckFailed' && releasedReason !== 'ConditionalCheckFailed') {
          rethrowSdkError('TransactWriteItems', error);
        }
      }
      const holder = await this.claimHolder(record);
      if (holder === undefined || holder.released) {
        released = holder?.fileId;
        continue;
      }
      const duplicate = await this.registerDuplicate(record, holder.fileId);
      if (duplicate) return duplicate;
      released = undefined;
    }
    throw new TransientError(`the content-hash claim of ${record.fileId} kept changing; try again`);
  }

  /** Undefined when the claim changed hands before the duplicate was written: the caller looks again. */
  private async registerDuplicate(
    record: FileRecord,
    original: string,
  ): Promise<RegisterOutcome | undefined> {
    const duplicate: FileRecord = { ...record, status: 'DUPLICATE', duplicateOf: original };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.putFile(duplicate) },
            { Update: this.countOnDataset(duplicate, 'duplicateCount') },
            // A duplicate of a file that has just released the content would never be ingested.
            { ConditionCheck: this.claimedBy(record, original) },
          ],
        }),
      );
      return { outcome: 'duplicate', record: duplicate };
    } catch (error) {
      const [fileReason, , claimReason] = requireCancellationReasons(error, 'TransactWriteItems');
      if (fileReason === 'ConditionalCheckFailed') return this.alreadyRegistered(record);
      if (claimReason === 'ConditionalCheckFailed') return undefined;
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
        gsi1sk: keys.fileSort(record.uploadedAt, record.fileId),
        gsi2pk: keys.byDataset(record.tenant, record.dataset),
        gsi2sk: keys.fileSort(record.uploadedAt, record.fileId),
        ...record,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  /**
   * The content-hash claim, for a file that has none (or holds it already, as a retried stage does), or
   * taking over the one a `released` holder left behind.
   */
  private putClaim(file: FileRecord, at: string, released?: string) {
    return {
      TableName: this.tableName,
      Item: { ...claimKey(file), [ENTITY]: 'hash', fileId: file.fileId, claimedAt: at },
      ConditionExpression: released
        ? 'fileId IN (:fileId, :released)'
        : 'attribute_not_exists(pk) OR fileId = :fileId',
      ExpressionAttributeValues: { ':fileId': file.fileId, ...(released && { ':released': released }) },
    };
  }

  private claimedBy(file: FileRecord, fileId: string) {
    return {
      TableName: this.tableName,
      Key: claimKey(file),
      ConditionExpression: 'fileId = :fileId',
      ExpressionAttributeValues: { ':fileId': fileId },
    };
  }

  /** In the transaction that takes a released holder's claim over: the holder is still released then. */
  private stillReleased(tenant: string, fileId: string) {
    return {
      TableName: this.tableName,
      Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
      ConditionExpression: RELEASED,
      ExpressionAttributeValues: { ':quarantined': 'QUARANTINED' },
      ExpressionAttributeNames: { '#status': 'status' },
    };
  }

  /**
   * Who holds the file's content hash now, and whether that holder has released its content: it is
   * QUARANTINED, its object was deleted, or its record is gone. Such a file no longer stands for the
   * content, yet a claim it holds would make every later upload of the same bytes a DUPLICATE that is never
   * ingested. Quarantine and deletion release the claim themselves; a holder found released here kept its
   * claim from before they did, and the caller takes the claim over (conditional on both staying so).
   */
  private async claimHolder(
    file: Pick<FileRecord, 'tenant' | 'dataset' | 'sha256'>,
  ): Promise<{ fileId: string; released: boolean } | undefined> {
    const claim = await this.getItem(claimKey(file), true);
    const fileId = claim?.fileId as string | undefined;
    if (fileId === undefined) return undefined;
    const holder = await this.getFile(file.tenant, fileId, true);
    const released = !holder || holder.status === 'QUARANTINED' || holder.deletedAt !== undefined;
    return { fileId, released };
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
    const update = {
      TableName: this.tableName,
      Key: { pk: keys.tenant(failure.tenant), sk: keys.file(failure.fileId) },
      ...updateExpression(
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
          gsi1sk: keys.fileSort(failure.at, failure.fileId),
          gsi2sk: keys.fileSort(failure.at, failure.fileId),
        },
      ),
    };
    // A quarantined file no longer stands for its content: its claim goes with the status change, so the
    // same bytes uploaded again (after fixing the suite or the config) are a new file, not a DUPLICATE of
    // this one. Only a file register recorded has a content hash, and only its own claim is released.
    const recorded = await this.getFile(failure.tenant, failure.fileId, true);
    if (recorded?.sha256 && recorded.status !== 'DUPLICATE') {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [{ Update: update }, { Delete: releaseClaim(this.tableName, recorded) }],
          }),
        );
        return;
      } catch (error) {
        const [, claimReason] = requireCancellationReasons(error, 'TransactWriteItems');
        if (claimReason !== 'ConditionalCheckFailed') rethrowSdkError('TransactWriteItems', error);
        // The claim is another file's now: only the record changes.
      }
    }
    try {
      await this.doc.send(new UpdateCommand(update));
    } catch (error) {
      rethrowSdkError('UpdateItem', error);
    }
  }

  async readmitFile(record: FileRecord, at: string): Promise<FileRecord | undefined> {
    // A released holder whose claim the re-admitted file may take over (see claimHolder).
    let released: string | undefined;
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: this.readmission(record, 'FRESH', at) },
              // Its quarantine released the content: it claims it again to go through the stages.
              { Put: this.putClaim(record, at, released) },
              ...(released ? [{ ConditionCheck: this.stillReleased(record.tenant, released) }] : []),
            ],
          }),
        );
        return this.getFile(record.tenant, record.fileId, true);
      } catch (error) {
        const [fileReason, claimReason, releasedReason] = requireCancellationReasons(
          error,
          'TransactWriteItems',
        );
        if (fileReason === 'ConditionalCheckFailed') return undefined;
        if (claimReason !== 'ConditionalCheckFailed' && releasedReason !== 'ConditionalCheckFailed') {
          rethrowSdkError('TransactWriteItems', error);
        }
      }
      const holder = await this.claimHolder(record);
      if (holder === undefined || holder.fileId === record.fileId || holder.released) {
        released = holder?.fileId === record.fileId ? undefined : holder?.fileId;
        continue;
      }
      // The same content was uploaded again and ingested meanwhile: this file is now its duplicate.
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: this.readmission(record, 'DUPLICATE', at, holder.fileId) },
              { ConditionCheck: this.claimedBy(record, holder.fileId) },
              { Update: this.recountAsDuplicate(record, at) },
            ],
          }),
        );
        return this.getFile(record.tenant, record.fileId, true);
      } catch (error) {
        const [fileReason, claimReason] = requireCancellationReasons(error, 'TransactWriteItems');
        if (fileReason === 'ConditionalCheckFailed') return undefined;
        if (claimReason !== 'ConditionalCheckFailed') rethrowSdkError('TransactWriteItems', error);
      }
      released = undefined;
    }
    throw new TransientError(`the content-hash claim of ${record.fileId} kept changing; try again`);
  }

  /** QUARANTINED → FRESH (or DUPLICATE of `duplicateOf`), the failure kept in `previousFailures`. */
  private readmission(record: FileRecord, to: 'FRESH' | 'DUPLICATE', at: string, duplicateOf?: string) {
    const original = duplicateOf ? ', #duplicateOf = :original' : '';
    return {
      TableName: this.tableName,
      Key: { pk: keys.tenant(record.tenant), sk: keys.file(record.fileId) },
      UpdateExpression:
        'SET #status = :to, #gsi1pk = :byStatus, #stage = :register, #readmittedAt = :at, ' +
        `#previous = list_append(if_not_exists(#previous, :none), :failures)${original} ` +
        'REMOVE #failure, #quarantineKey',
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
        ...(duplicateOf && { '#duplicateOf': 'duplicateOf' }),
      },
      ExpressionAttributeValues: {
        ':to': to,
        ':quarantined': 'QUARANTINED',
        ':byStatus': keys.byStatus(record.tenant, to),
        ':register': 'register',
        ':at': at,
        ':none': [],
        ':failures': record.failure ? [record.failure] : [],
        ...(duplicateOf && { ':original': duplicateOf }),
      },
    };
  }

  /** A counted file that turned out a duplicate moves from the dataset's files to its duplicates. */
  private recountAsDuplicate(record: FileRecord, at: string) {
    return {
      TableName: this.tableName,
      Key: { pk: keys.tenant(record.tenant), sk: keys.dataset(record.dataset) },
      UpdateExpression: 'SET updatedAt = :at ADD fileCount :minusOne, duplicateCount :one',
      ExpressionAttributeValues: { ':at': at, ':minusOne': -1, ':one': 1 },
    };
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
   * Files newest first. A status uses gsi1 and a dataset gsi2; the other filters (dataset beside a status,
   * data type, metadata, key) are DynamoDB filters, applied to the items a query reads. To keep pages full
   * without unbounded reads, a filtered page queries again from where the last query stopped, each time at
   * most the items the page still lacks (so no match is read and dropped), for at most FILTERED_ROUNDS
   * queries: a page may then hold fewer than `limit` files, even none, and its cursor (where the last query
   * stopped) still follows every match exactly once.
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
    if (query.key !== undefined) {
      filters.push('#key = :key');
      names['#key'] = 'key';
      values[':key'] = query.key;
    }
    Object.entries(query.metadata ?? {}).forEach(([key, value], i) => {
      // Names go through placeholders: metadata keys hold `-`, which an expression cannot spell.
      filters.push(`#metadata.#mk${i} = :mv${i}`);
      names['#metadata'] = 'metadata';
      names[`#mk${i}`] = key;
      values[`:mv${i}`] = value;
    });
    const items: FileRecord[] = [];
    let start = decodeCursor(query.cursor, pk, pkName);
    let rounds = 0;
    try {
      do {
        const result = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            ...(index && { IndexName: index }),
            KeyConditionExpression: index ? `${pkName} = :pk` : 'pk = :pk AND begins_with(sk, :file)',
            ExpressionAttributeValues: { ':pk': pk, ...(!index && { ':file': keys.file('') }), ...values },
            ...(filters.length > 0 && {
              FilterExpression: filters.join(' AND '),
              ExpressionAttributeNames: names,
            }),
            ScanIndexForward: false,
            // Never more than the page lacks: a match past the page would be read and lost to the cursor.
            Limit: query.limit - items.length,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(result.Items ?? []).map(toFileRecord));
        start = result.LastEvaluatedKey;
        rounds++;
      } while (filters.length > 0 && start && items.length < query.limit && rounds < FILTERED_ROUNDS);
      return { items, cursor: encodeCursor(start) };
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
          ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':prefix': keys.dataset('') },
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
      validationSuite: unpackJson(item.validationSuite),
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
    // A suite inferred from a wide file lists every column more than once: compressed when large.
    const stored = packJson(suite, 'the validation suite');
    try {
      await this.setOnDataset(
        tenant,
        dataset,
        { validationSuite: stored, suiteSource: source },
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
    await putWithEdges(this.doc, {
      put: {
        TableName: this.tableName,
        Item: {
          pk: keys.tenant(record.tenant),
          sk: keys.trainingSet(record.id),
          [ENTITY]: 'training-set',
          ...record,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      tenant: record.tenant,
      edges,
      at: record.createdAt,
      lineageTable: this.options.lineageTable,
      store: 'metadata store',
    });
  }

  async getTrainingSet(tenant: string, id: string): Promise<TrainingSetRecord | undefined> {
    const item = await this.getItem({ pk: keys.tenant(tenant), sk: keys.trainingSet(id) }, true);
    if (!item) return undefined;
    return withoutKeys(item) as unknown as TrainingSetRecord;
  }

  async putApiKey(keyHash: string, record: ApiKeyRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: keys.apiKey(keyHash), sk: keys.apiKeySort, [ENTITY]: 'api-key', ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    // Consistent: a key must work the moment it is issued (the authorizer caches results anyway).
    const item = await this.getItem({ pk: keys.apiKey(keyHash), sk: keys.apiKeySort }, true);
    if (!item) return undefined;
    const { tenant, name, createdAt } = item as ApiKeyRecord;
    return { tenant, name, createdAt };
  }
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
