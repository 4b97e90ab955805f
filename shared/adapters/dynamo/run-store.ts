import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RunEnd, RunRecord, StageAttempt } from '../../domain/run.js';
import type { Page, RunQuery, RunStart, RunStore } from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { decodeCursor, ENTITY, encodeCursor, updateExpression, withoutKeys } from './items.js';
import { runKeys } from './keys.js';

/** Pipeline runs and their stage attempts in the metadata table (keys.ts). */
export class DynamoRunStore implements RunStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async openRun(run: RunStart, at: string, currentStage?: string): Promise<void> {
    const sort = runKeys.sort(run.startedAt, run.runId);
    await this.update(
      'UpdateItem',
      { pk: runKeys.run(run.tenant, run.runId), sk: runKeys.header },
      updateExpression(
        { updatedAt: at, ...(currentStage && { currentStage }) },
        {
          // Facts of the execution: whoever opens the run first writes them, nobody changes them.
          [ENTITY]: 'run',
          runId: run.runId,
          executionArn: run.executionArn,
          tenant: run.tenant,
          dataset: run.dataset,
          fileId: run.fileId,
          object: run.object,
          startedAt: run.startedAt,
          status: 'RUNNING',
          gsi1pk: runKeys.byStatus(run.tenant, run.dataset, 'RUNNING'),
          gsi1sk: sort,
          gsi2pk: runKeys.byDataset(run.tenant, run.dataset),
          gsi2sk: sort,
          ...(run.retryOf && { retryOf: run.retryOf }),
        },
      ),
    );
  }

  async startAttempt(tenant: string, runId: string, attempt: StageAttempt): Promise<void> {
    await this.update(
      'UpdateItem',
      { pk: runKeys.run(tenant, runId), sk: runKeys.attempt(attempt.stage, attempt.attempt) },
      updateExpression(
        {},
        {
          [ENTITY]: 'run-attempt',
          stage: attempt.stage,
          attempt: attempt.attempt,
          status: 'RUNNING',
          startedAt: attempt.startedAt,
          ...(attempt.enteredAt && { enteredAt: attempt.enteredAt }),
        },
      ),
    );
  }

  async endAttempt(
    tenant: string,
    runId: string,
    end: Pick<StageAttempt, 'stage' | 'attempt' | 'status' | 'endedAt' | 'durationMs' | 'error'>,
  ): Promise<boolean> {
    return this.endIfRunning(
      { pk: runKeys.run(tenant, runId), sk: runKeys.attempt(end.stage, end.attempt) },
      {
        status: end.status,
        endedAt: end.endedAt,
        ...(end.durationMs !== undefined && { durationMs: end.durationMs }),
        ...(end.error && { error: end.error }),
      },
    );
  }

  async endRun(
    tenant: string,
    dataset: string,
    runId: string,
    end: RunEnd & { endedAt: string; durationMs?: number | undefined },
  ): Promise<boolean> {
    const { status, endedAt, durationMs } = end;
    return this.endIfRunning(
      { pk: runKeys.run(tenant, runId), sk: runKeys.header },
      {
        status,
        gsi1pk: runKeys.byStatus(tenant, dataset, status),
        endedAt,
        updatedAt: endedAt,
        ...(durationMs !== undefined && { durationMs }),
        ...(end.status === 'SUCCEEDED'
          ? { outcome: end.outcome, ...(end.version !== undefined && { version: end.version }) }
          : { failure: end.failure }),
      },
    );
  }

  async getRun(
    tenant: string,
    runId: string,
  ): Promise<{ run: RunRecord; attempts: StageAttempt[] } | undefined> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const result = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': runKeys.run(tenant, runId) },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(result.Items ?? []));
        start = result.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      rethrowSdkError('Query', error);
    }
    const header = items.find((item) => item.sk === runKeys.header);
    if (!header) return undefined;
    const attempts = items.filter((item) => item[ENTITY] === 'run-attempt').map(toAttempt);
    return { run: toRunRecord(header), attempts };
  }

  async listRuns(tenant: string, dataset: string, query: RunQuery): Promise<Page<RunRecord>> {
    const [index, pkName, pk] = query.status
      ? (['gsi1', 'gsi1pk', runKeys.byStatus(tenant, dataset, query.status)] as const)
      : (['gsi2', 'gsi2pk', runKeys.byDataset(tenant, dataset)] as const);
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${pkName} = :pk`,
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: query.limit,
          ExclusiveStartKey: decodeCursor(query.cursor, pk, pkName),
        }),
      );
      return { items: (result.Items ?? []).map(toRunRecord), cursor: encodeCursor(result.LastEvaluatedKey) };
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }

  async claimRetry(
    tenant: string,
    runId: string,
    retryRunId: string,
    at: string,
  ): Promise<{ outcome: 'claimed' | 'already-retried'; retriedBy: string } | { outcome: 'not-failed' }> {
    const key = { pk: runKeys.run(tenant, runId), sk: runKeys.header };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET retriedBy = :retry, retriedAt = :at, updatedAt = :at',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :failed AND attribute_not_exists(retriedBy)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':retry': retryRunId, ':at': at, ':failed': 'FAILED' },
        }),
      );
      return { outcome: 'claimed', retriedBy: retryRunId };
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('UpdateItem', error);
    }
    let item: Record<string, unknown> | undefined;
    try {
      item = (
        await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))
      ).Item;
    } catch (error) {
      rethrowSdkError('GetItem', error);
    }
    if (typeof item?.retriedBy === 'string') {
      return { outcome: 'already-retried', retriedBy: item.retriedBy };
    }
    return { outcome: 'not-failed' };
  }

  private async update(
    operation: string,
    key: { pk: string; sk: string },
    expression: ReturnType<typeof updateExpression>,
  ): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: key, ...expression }));
    } catch (error) {
      rethrowSdkError(operation, error);
    }
  }

  /**
   * Sets `fields` on an item that exists and is still RUNNING (see canMoveRun); false when it was not:
   * a repeated end changes nothing, and nothing ends twice.
   */
  private async endIfRunning(key: { pk: string; sk: string }, fields: Record<string, unknown>) {
    const expression = updateExpression(fields);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          ...expression,
          ConditionExpression: 'attribute_exists(pk) AND #current = :running',
          ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, '#current': 'status' },
          ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ':running': 'RUNNING' },
        }),
      );
      return true;
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return false;
      rethrowSdkError('UpdateItem', error);
    }
  }
}

function toRunRecord(item: Record<string, unknown>): RunRecord {
  return withoutKeys(item) as unknown as RunRecord;
}

function toAttempt(item: Record<string, unknown>): StageAttempt {
  const { pk: _pk, sk: _sk, [ENTITY]: _e, ...rest } = item;
  return { ...(rest as unknown as StageAttempt), attempt: Number(rest.attempt) };
}
