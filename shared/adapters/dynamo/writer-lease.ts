import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import type { TableWriterLease, TableWriterLeases } from '../../ports.js';
import { rethrowSdkError, sdkErrorName } from '../sdk-errors.js';
import { keys } from './keys.js';

/** A lease released between our refused write and our read of it is taken again, a few times at most. */
const MAX_ATTEMPTS = 5;

/**
 * Table writer leases as items of the metadata table (`T#<tenant>`, `WRITER#<dataset>`): a conditional
 * put takes one, a conditional delete ends it, so two owners can never both be told they hold it.
 */
export class DynamoTableWriterLeases implements TableWriterLeases {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(
    tenant: string,
    dataset: string,
    lease: TableWriterLease & { now: string },
  ): Promise<TableWriterLease> {
    const key = { pk: keys.tenant(tenant), sk: keys.writer(dataset) };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, owner: lease.owner, until: lease.until },
            // ISO 8601 instants in UTC compare as strings.
            ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR #until <= :now',
            ExpressionAttributeNames: { '#owner': 'owner', '#until': 'until' },
            ExpressionAttributeValues: { ':owner': lease.owner, ':now': lease.now },
          }),
        );
        return { owner: lease.owner, until: lease.until };
      } catch (error) {
        if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('PutItem', error);
      }
      let held: Record<string, unknown> | undefined;
      try {
        held = (
          await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))
        ).Item;
      } catch (error) {
        rethrowSdkError('GetItem', error);
      }
      if (held) return { owner: String(held.owner), until: String(held.until) };
    }
    throw new TransientError(
      `the writer lease of dataset "${dataset}" changed hands ${MAX_ATTEMPTS} times while taken`,
    );
  }

  async release(tenant: string, dataset: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: keys.tenant(tenant), sk: keys.writer(dataset) },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (sdkErrorName(error) !== 'ConditionalCheckFailedException') rethrowSdkError('DeleteItem', error);
    }
  }
}
