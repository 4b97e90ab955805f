import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import { rethrowSdkError } from '../sdk-errors.js';

/** DynamoDB's limit of items per BatchWriteItem. */
const WRITE_BATCH = 25;
/** Unprocessed items are retried with backoff this many times before the call fails as transient. */
const ATTEMPTS = 8;

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Puts every item, 25 per request, retrying what DynamoDB hands back as unprocessed (throttling) with
 * exponential backoff. Puts are idempotent, so a retried call writes the same items again harmlessly.
 */
export async function putAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: ReadonlyArray<Record<string, unknown>>,
  what: string,
): Promise<void> {
  await writeAll(
    doc,
    tableName,
    items.map((Item) => ({ PutRequest: { Item } })),
    what,
  );
}

/** Deletes every key as `putAll` puts items; deleting an absent item is no error, so it repeats harmlessly. */
export async function deleteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<Record<string, unknown>>,
  what: string,
): Promise<void> {
  await writeAll(
    doc,
    tableName,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
    what,
  );
}

async function writeAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  all: readonly WriteRequest[],
  what: string,
): Promise<void> {
  for (let i = 0; i < all.length; i += WRITE_BATCH) {
    let requests = all.slice(i, i + WRITE_BATCH);
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > ATTEMPTS)
        throw new TransientError(`${what}: ${requests.length} writes stayed unprocessed (throttled)`);
      try {
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
      } catch (error) {
        rethrowSdkError('BatchWriteItem', error);
      }
      if (requests.length > 0) await sleep(Math.min(2000, 25 * 2 ** attempt));
    }
  }
}
