import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EdgeType, LineageEdge } from '../../domain/lineage.js';
import type { LineageStore } from '../../ports.js';
import { rethrowSdkError } from '../sdk-errors.js';
import { putAll } from './batch.js';
import { edgeItem } from './items.js';
import { lineageKeys } from './keys.js';

const toEdge = (item: Record<string, unknown>): LineageEdge => ({
  from: String(item.from),
  to: String(item.to),
  type: item.type as EdgeType,
});

/** Edges per query page; a node with more is read page by page. */
const PAGE = 500;

/** Edges by their source and, through gsi1, by their target (keys.ts). */
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
      ExpressionAttributeValues: { ':n': node, ':out': lineageKeys.outPrefix },
    });
  }

  incoming(node: string) {
    return this.query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :n AND begins_with(gsi1sk, :in)',
      ExpressionAttributeValues: { ':n': node, ':in': lineageKeys.inPrefix },
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
