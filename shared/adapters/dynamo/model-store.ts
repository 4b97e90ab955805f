import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import type { ModelLink, ModelStore, ModelVersionRecord } from '../../ports.js';
import { rethrowSdkError } from '../sdk-errors.js';
import { edgeItem } from './items.js';
import { keys, modelKeys } from './keys.js';

/**
 * Model versions in the metadata table, a record and one item per linked input (keys.ts), so a link, the
 * record and the `trained_on` edge are written in one transaction and re-linking the same input changes
 * nothing.
 */
export class DynamoModelStore implements ModelStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: { metadataTable: string; lineageTable: string },
  ) {}

  async linkModelVersion(tenant: string, model: string, version: string, link: ModelLink) {
    const to = `model-version:${tenant}/${model}@${version}`;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tables.metadataTable,
                Key: { pk: keys.tenant(tenant), sk: modelKeys.version(model, version) },
                UpdateExpression:
                  'SET entity = :entity, tenant = :tenant, model = :model, version = :version, createdAt = if_not_exists(createdAt, :at)',
                ExpressionAttributeValues: {
                  ':entity': 'model-version',
                  ':tenant': tenant,
                  ':model': model,
                  ':version': version,
                  ':at': link.at,
                },
              },
            },
            {
              Update: {
                TableName: this.tables.metadataTable,
                Key: { pk: keys.tenant(tenant), sk: modelKeys.link(model, version, link.node) },
                UpdateExpression:
                  'SET entity = :entity, kind = :kind, node = :node, linkedAt = if_not_exists(linkedAt, :at)',
                ExpressionAttributeValues: {
                  ':entity': 'model-link',
                  ':kind': link.kind,
                  ':node': link.node,
                  ':at': link.at,
                },
              },
            },
            {
              Put: {
                TableName: this.tables.lineageTable,
                Item: edgeItem(tenant, { from: link.node, to, type: 'trained_on' }, link.at),
              },
            },
          ],
        }),
      );
    } catch (error) {
      rethrowSdkError('TransactWriteItems', error);
    }
    const record = await this.getModelVersion(tenant, model, version);
    if (!record) throw new TransientError('model version not readable after the link was written');
    return record;
  }

  async getModelVersion(
    tenant: string,
    model: string,
    version: string,
  ): Promise<ModelVersionRecord | undefined> {
    try {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.metadataTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':sk': modelKeys.version(model, version) },
          ConsistentRead: true,
        }),
      );
      const own = modelKeys.version(model, version);
      const linkPrefix = modelKeys.linkPrefix(model, version);
      const items = (result.Items ?? []).filter((i) => i.sk === own || String(i.sk).startsWith(linkPrefix));
      const head = items.find((i) => i.sk === own);
      if (!head) return undefined;
      const links: ModelLink[] = items
        .filter((i) => i !== head)
        .map((i) => ({ kind: i.kind as ModelLink['kind'], node: String(i.node), at: String(i.linkedAt) }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.node < b.node ? -1 : 1));
      return { tenant, model, version, createdAt: String(head.createdAt), links };
    } catch (error) {
      rethrowSdkError('Query', error);
    }
  }
}
