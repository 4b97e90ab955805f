/**
 * What more than one store builds or reads the same way: update expressions, pagination cursors, file
 * records, lineage edge items and the content-hash claim's release.
 */
import type { FileRecord } from '../../domain/file-record.js';
import type { LineageEdge } from '../../domain/lineage.js';
import { InvalidInputError } from '../../errors.js';
import { claimKey, lineageKeys } from './keys.js';

/** The attribute naming an item's kind in the metadata table (`file`, `dataset`, `run`, …). */
export const ENTITY = 'entity';

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

/** The item without its table and index keys and its kind: the record the store was given. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, [ENTITY]: _e, ...rest } = item;
  return rest;
}

export function toFileRecord(item: Record<string, unknown>): FileRecord {
  return withoutKeys(item) as unknown as FileRecord;
}

/** The lineage table's item of an edge (keys: see lineageKeys). */
export function edgeItem(tenant: string, edge: LineageEdge, at: string) {
  return {
    pk: edge.from,
    sk: lineageKeys.out(edge.type, edge.to),
    gsi1pk: edge.to,
    gsi1sk: lineageKeys.in(edge.type, edge.from),
    type: edge.type,
    from: edge.from,
    to: edge.to,
    tenant,
    createdAt: at,
  };
}

/**
 * The transaction item that releases a file's content-hash claim, to go with the status change that ends
 * the file's hold on its content (quarantine, deletion of its object). Only the file's own claim is
 * deleted; one released already is no error, so a repeated stage or cleanup releases nothing twice.
 */
export function releaseClaim(
  tableName: string,
  file: Pick<FileRecord, 'tenant' | 'dataset' | 'sha256' | 'fileId'>,
) {
  return {
    TableName: tableName,
    Key: claimKey(file),
    ConditionExpression: 'attribute_not_exists(pk) OR fileId = :fileId',
    ExpressionAttributeValues: { ':fileId': file.fileId },
  };
}
