import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { LineageEdge } from '../../domain/lineage.js';
import { InternalError, TransientError } from '../../errors.js';
import { rethrowSdkError } from '../sdk-errors.js';
import { putAll } from './batch.js';
import { edgeItem } from './items.js';

/** The cancellation reason of each item of a cancelled transaction; none for any other error. */
export function cancellationReasons(error: unknown): Array<string | undefined> {
  return error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((r) => r.Code)
    : [];
}

/**
 * The cancellation reason of each item of a cancelled transaction; any other error is rethrown (typed
 * when transient). A conflict with another transaction decided nothing, so it is a TransientError: the
 * stage is retried with backoff.
 */
export function requireCancellationReasons(error: unknown, operation: string): Array<string | undefined> {
  if (!(error instanceof TransactionCanceledException)) rethrowSdkError(operation, error);
  const codes = cancellationReasons(error);
  if (codes.includes('TransactionConflict')) {
    throw new TransientError(`${operation} conflicted with a concurrent transaction`, { cause: error });
  }
  return codes;
}

/** DynamoDB transactions hold 100 items: the record and 99 edges. */
const EDGES_IN_TRANSACTION = 99;

interface Put {
  TableName: string;
  Item: Record<string, unknown>;
  ConditionExpression?: string;
}

export interface RecordWithEdges {
  /** The record's Put, its condition included. */
  put: Put;
  tenant: string;
  edges: readonly LineageEdge[];
  /** The edges' `createdAt`: the record's. */
  at: string;
  lineageTable: string | undefined;
  /** Names the store in the error when it was built without a lineage table and given edges. */
  store: string;
}

/**
 * Writes a record (a training set, a feature version) with its lineage edges, so that a visible record
 * always has all its lineage: in one TransactWriteItems when they fit (the record and 99 edges), else the
 * overflow edges first. Edge puts are idempotent, so a retry writes them again harmlessly.
 *
 * A transaction error is rethrown typed when transient; a cancelled one (the record's condition failed) is
 * the TransactionCanceledException, for the caller to read.
 */
export async function putWithEdges(doc: DynamoDBDocumentClient, write: RecordWithEdges): Promise<void> {
  const { put, tenant, edges, at, lineageTable } = write;
  const items: Array<{ Put: Put }> = [{ Put: put }];
  if (edges.length > 0) {
    if (!lineageTable) throw new InternalError(`${write.store} built without a lineage table`);
    const overflow = edges.slice(EDGES_IN_TRANSACTION);
    if (overflow.length > 0) {
      await putAll(
        doc,
        lineageTable,
        overflow.map((e) => edgeItem(tenant, e, at)),
        'lineage edges',
      );
    }
    for (const e of edges.slice(0, EDGES_IN_TRANSACTION)) {
      items.push({ Put: { TableName: lineageTable, Item: edgeItem(tenant, e, at) } });
    }
  }
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    rethrowSdkError('TransactWriteItems', error);
  }
}
