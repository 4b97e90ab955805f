import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { EdgeType, LineageEdge } from '../domain/lineage.js';
import { TransientError } from '../errors.js';
import type { LineageStore, ModelLink, ModelStore, ModelVersionRecord } from '../ports.js';
import { putAll } from './dynamo-batch.js';
import { keys } from './dynamo-metadata-store.js';
import { rethrowSdkError } from './sdk-errors.js';

/**
 * One item per edge: `pk = <from>`, `sk = OUT#<type>#<to>`, and `gsi1pk = <to>`, `gsi1sk = IN#<type>#<from>`,
 * so "what came out of X" is a query on the table and "what went into X" a query on gsi1.
 */
export function edgeItem(tenant: string, edge: LineageEdge, at: string) {
  return {
    pk: edge.from,
    sk: `OUT#${edge.type}#${edge.to}`,
    gsi1pk: edge.to,
    gsi1sk: `IN#${edge.type}#${edge.from}`,
    type: edge.type,
    from: edge.from,
    to: edge.to,
    tenant,
    createdAt: at,
  };
}

const toEdge = (item: Record<string, unknown>): LineageEdge => ({
  from: String(item.from),
  to: String(item.to),
  type: item.type as EdgeType,
});

/** Edges per query page; a node with more is read page by page. */
const PAGE = 500;

export class DynamoLineageStore implements LineageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putEdges(tenant: string, edges: readonly LineageEdge[], at: string) {
    await putAll(
      this.doc,
      this.tableName,
      edges.map((e) => edgeItem(tenant, e, at)),
      'lineage edges',
    );
  }

  outgoing(node: string) {
    return this.query({
      KeyConditionExpression: 'pk = :n AND begins_with(sk, :out)',
      ExpressionAttributeValues: { ':n': node, ':out': 'OUT#' },
    });
  }

  incoming(node: string) {
    return this.query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :n AND begins_with(gsi1sk, :in)',
      ExpressionAttributeValues: { ':n': node, ':in': 'IN#' },
    });
  }

  private async query(params: {
    IndexName?: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, string>;
  }): Promise<LineageEdge[]> {
    const edges: LineageEdge[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.doc.send(
          new QueryCommand({ TableName: this.tableName, ...params, Limit: PAGE, ExclusiveStartKey: start }),
        );
        edges.push(...(page.Items ?? []).map(toEdge));
        start = page.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      rethrowSdkError('Query', error);
    }
    return edges;
  }
}

const modelSk = (model: string, version: string) => `MODEL#${model}@${version}`;
/** `#` ends the version part, so `m@1.0.0#LINK#…` never sorts under `m@1.0.0x`. */
const linkSk = (model: string, version: string, node: string) => `${modelSk(model, version)}#LINK#${node}`;

/**
 * Model versions live in the metadata table: `pk = T#<tenant>`, `sk = MODEL#<name>@<version>` for the
 * record and one `…#LINK#<node>` item per linked input, so a link, the record and the `trained_on` edge
 * are written in one transaction and re-linking the same input changes nothing.
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
                Key: { pk: keys.tenant(tenant), sk: modelSk(model, version) },
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
                Key: { pk: keys.tenant(tenant), sk: linkSk(model, version, link.node) },
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
          ExpressionAttributeValues: { ':pk': keys.tenant(tenant), ':sk': modelSk(model, version) },
          ConsistentRead: true,
        }),
      );
      const own = modelSk(model, version);
      const items = (result.Items ?? []).filter(
        (i) => i.sk === own || String(i.sk).startsWith(`${own}#LINK#`),
      );
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
