/**
 * What IAM authorizes for one AWS SDK call: the action(s), the resource ARN(s) and the condition keys
 * AWS evaluates, worked out from the command's input as the SDK sends it (DynamoDB values already in
 * AttributeValue form, as after lib-dynamodb's marshalling). An operation missing from this table is
 * refused by the caller, so a call nobody mapped shows up as a denial instead of passing unchecked.
 */
import type { IamRequest } from './policy.js';

/** A table's partition key names, for `dynamodb:LeadingKeys`. */
export interface TableKeys {
  hashKey: string;
  /** Index name → the index's partition key name. */
  indexes: Record<string, string>;
}

export interface IamScope {
  region: string;
  account: string;
  partition?: string;
  /** By physical table name. */
  tables: Record<string, TableKeys>;
}

/** The mapping has no entry for this operation: the caller denies it. */
export class UnmappedOperationError extends Error {
  override name = 'UnmappedOperationError';
}

type Input = Record<string, unknown>;
type Mapper = (input: Input, scope: Required<IamScope>) => IamRequest[];

/**
 * `service` is the SDK client's name without `Client` (S3, DynamoDB, SFN, Lambda, SecretsManager),
 * `operation` the command's without `Command` (PutObject, TransactWriteItems…).
 */
export function iamRequests(service: string, operation: string, input: Input, scope: IamScope): IamRequest[] {
  const mapper = MAPPERS[service]?.[operation];
  if (!mapper) {
    throw new UnmappedOperationError(
      `${service} ${operation} has no IAM mapping in the local cloud (infra/local/iam/requests.ts): ` +
        'add one so its grants are checked',
    );
  }
  return mapper(input ?? {}, { partition: 'aws', ...scope });
}

// --- S3 ---------------------------------------------------------------------------------------------

const s3Object = (bucket: unknown, key: unknown) => `arn:aws:s3:::${String(bucket)}/${String(key)}`;
const s3Bucket = (bucket: unknown) => `arn:aws:s3:::${String(bucket)}`;

/** A read of one object: the version-specific action when the request names a version. */
function s3Read(bucket: unknown, key: unknown, versionId: unknown): IamRequest {
  return versionId
    ? {
        action: 's3:GetObjectVersion',
        resource: s3Object(bucket, key),
        context: { 's3:versionid': [String(versionId)] },
      }
    : { action: 's3:GetObject', resource: s3Object(bucket, key), context: {} };
}

function s3Delete(bucket: unknown, key: unknown, versionId: unknown): IamRequest {
  return versionId
    ? {
        action: 's3:DeleteObjectVersion',
        resource: s3Object(bucket, key),
        context: { 's3:versionid': [String(versionId)] },
      }
    : { action: 's3:DeleteObject', resource: s3Object(bucket, key), context: {} };
}

function s3Write(i: Input): IamRequest[] {
  const requests: IamRequest[] = [
    { action: 's3:PutObject', resource: s3Object(i.Bucket, i.Key), context: {} },
  ];
  // A canned ACL or grants on the write need the ACL permission as well, tags the tagging one.
  if (i.ACL || i.GrantFullControl || i.GrantRead || i.GrantReadACP || i.GrantWriteACP) {
    requests.push({ action: 's3:PutObjectAcl', resource: s3Object(i.Bucket, i.Key), context: {} });
  }
  if (i.Tagging)
    requests.push({ action: 's3:PutObjectTagging', resource: s3Object(i.Bucket, i.Key), context: {} });
  return requests;
}

/** `bucket/key`, `/bucket/key` or an access point ARN, URL-encoded, with an optional `?versionId=`. */
export function parseCopySource(copySource: string): { bucket: string; key: string; versionId?: string } {
  const [path = '', query = ''] = copySource.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  if (slash <= 0) throw new Error(`CopySource "${copySource}" names no bucket and key`);
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  return {
    bucket: path.slice(0, slash),
    key: decodeURIComponent(path.slice(slash + 1)),
    ...(versionId && { versionId }),
  };
}

function s3Copy(i: Input): IamRequest[] {
  const source = parseCopySource(String(i.CopySource ?? ''));
  return [...s3Write(i), s3Read(source.bucket, source.key, source.versionId)];
}

/** ListBucket-style calls carry the listing's parameters as condition keys; an absent one is not set. */
function listContext(i: Input): Record<string, string[]> {
  const context: Record<string, string[]> = {};
  if (i.Prefix !== undefined) context['s3:prefix'] = [String(i.Prefix)];
  if (i.Delimiter !== undefined) context['s3:delimiter'] = [String(i.Delimiter)];
  if (i.MaxKeys !== undefined) context['s3:max-keys'] = [String(i.MaxKeys)];
  return context;
}

const S3: Record<string, Mapper> = {
  GetObject: (i) => [s3Read(i.Bucket, i.Key, i.VersionId)],
  HeadObject: (i) => [s3Read(i.Bucket, i.Key, i.VersionId)],
  GetObjectAttributes: (i) => [
    i.VersionId
      ? { action: 's3:GetObjectVersionAttributes', resource: s3Object(i.Bucket, i.Key), context: {} }
      : { action: 's3:GetObjectAttributes', resource: s3Object(i.Bucket, i.Key), context: {} },
  ],
  PutObject: s3Write,
  CreateMultipartUpload: s3Write,
  UploadPart: (i) => [{ action: 's3:PutObject', resource: s3Object(i.Bucket, i.Key), context: {} }],
  CompleteMultipartUpload: (i) => [
    { action: 's3:PutObject', resource: s3Object(i.Bucket, i.Key), context: {} },
  ],
  UploadPartCopy: (i) => {
    const source = parseCopySource(String(i.CopySource ?? ''));
    return [
      { action: 's3:PutObject', resource: s3Object(i.Bucket, i.Key), context: {} },
      s3Read(source.bucket, source.key, source.versionId),
    ];
  },
  AbortMultipartUpload: (i) => [
    { action: 's3:AbortMultipartUpload', resource: s3Object(i.Bucket, i.Key), context: {} },
  ],
  ListParts: (i) => [
    { action: 's3:ListMultipartUploadParts', resource: s3Object(i.Bucket, i.Key), context: {} },
  ],
  CopyObject: s3Copy,
  DeleteObject: (i) => [s3Delete(i.Bucket, i.Key, i.VersionId)],
  DeleteObjects: (i) =>
    ((i.Delete as { Objects?: Array<{ Key?: string; VersionId?: string }> } | undefined)?.Objects ?? []).map(
      (o) => s3Delete(i.Bucket, o.Key, o.VersionId),
    ),
  ListObjectsV2: (i) => [{ action: 's3:ListBucket', resource: s3Bucket(i.Bucket), context: listContext(i) }],
  ListObjects: (i) => [{ action: 's3:ListBucket', resource: s3Bucket(i.Bucket), context: listContext(i) }],
  ListObjectVersions: (i) => [
    { action: 's3:ListBucketVersions', resource: s3Bucket(i.Bucket), context: listContext(i) },
  ],
  ListMultipartUploads: (i) => [
    { action: 's3:ListBucketMultipartUploads', resource: s3Bucket(i.Bucket), context: listContext(i) },
  ],
  HeadBucket: (i) => [{ action: 's3:ListBucket', resource: s3Bucket(i.Bucket), context: {} }],
  GetBucketLocation: (i) => [{ action: 's3:GetBucketLocation', resource: s3Bucket(i.Bucket), context: {} }],
  ListBuckets: () => [{ action: 's3:ListAllMyBuckets', resource: '*', context: {} }],
};

// --- DynamoDB ---------------------------------------------------------------------------------------

type AttributeValue = { S?: string; N?: string; B?: Uint8Array | string } | string | number | undefined;
type Item = Record<string, AttributeValue>;

function tableArn(table: unknown, s: Required<IamScope>, index?: unknown): string {
  const name = String(table);
  const base = name.startsWith('arn:')
    ? name
    : `arn:${s.partition}:dynamodb:${s.region}:${s.account}:table/${name}`;
  return index === undefined ? base : `${base}/index/${String(index)}`;
}

function tableName(table: unknown): string {
  const name = String(table);
  return name.startsWith('arn:') ? name.slice(name.indexOf(':table/') + ':table/'.length) : name;
}

/** A key value as IAM compares it: the string of an S or N value (raw or still in document form). */
function scalar(value: AttributeValue): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    if (typeof value.S === 'string') return value.S;
    if (typeof value.N === 'string') return value.N;
    if (value.B !== undefined) return Buffer.from(value.B as Uint8Array).toString('base64');
  }
  return undefined;
}

/**
 * `dynamodb:LeadingKeys` of requests that name items: the partition key values of every item. When the
 * table's layout is unknown or an item lacks its partition key, the key is undetermined (a statement
 * conditioned on it then allows nothing) rather than absent, which ForAllValues would read as allowed.
 */
function leadingKeys(
  table: unknown,
  items: Item[],
  s: Required<IamScope>,
): Pick<IamRequest, 'context' | 'undetermined'> {
  const hashKey = s.tables[tableName(table)]?.hashKey;
  const values = hashKey === undefined ? [undefined] : items.map((item) => scalar(item[hashKey]));
  if (values.some((v) => v === undefined)) return { context: {}, undetermined: ['dynamodb:LeadingKeys'] };
  return { context: { 'dynamodb:LeadingKeys': [...new Set(values as string[])] } };
}

function itemRequest(
  action: string,
  table: unknown,
  item: Item | undefined,
  s: Required<IamScope>,
): IamRequest {
  return { action, resource: tableArn(table, s), ...leadingKeys(table, [item ?? {}], s) };
}

/**
 * The partition key value a Query's KeyConditionExpression fixes (`pk = :v`, names through `#n`). A
 * condition it cannot read leaves the key undetermined.
 */
export function queryLeadingKeys(
  i: Input,
  s: Required<IamScope>,
): Pick<IamRequest, 'context' | 'undetermined'> {
  const layout = s.tables[tableName(i.TableName)];
  const hashKey = i.IndexName === undefined ? layout?.hashKey : layout?.indexes[String(i.IndexName)];
  const expression = typeof i.KeyConditionExpression === 'string' ? i.KeyConditionExpression : '';
  const names = (i.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (i.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  const name = (token: string) => (token.startsWith('#') ? names[token] : token);
  for (const clause of expression.split(/\s+AND\s+/i)) {
    const m =
      /^\(*\s*([#\w.-]+)\s*=\s*(:[\w]+)\s*\)*$/.exec(clause.trim()) ??
      /^\(*\s*(:[\w]+)\s*=\s*([#\w.-]+)\s*\)*$/.exec(clause.trim());
    if (!m) continue;
    const [attribute, placeholder] = m[1]?.startsWith(':') ? [m[2], m[1]] : [m[1], m[2]];
    if (hashKey !== undefined && name(attribute ?? '') === hashKey) {
      const value = scalar(values[placeholder ?? '']);
      if (value !== undefined) return { context: { 'dynamodb:LeadingKeys': [value] } };
    }
  }
  return { context: {}, undetermined: ['dynamodb:LeadingKeys'] };
}

type WriteRequest = { PutRequest?: { Item?: Item }; DeleteRequest?: { Key?: Item } };
type TransactWrite = {
  Put?: { TableName?: string; Item?: Item };
  Update?: { TableName?: string; Key?: Item };
  Delete?: { TableName?: string; Key?: Item };
  ConditionCheck?: { TableName?: string; Key?: Item };
};

const DYNAMODB: Record<string, Mapper> = {
  GetItem: (i, s) => [itemRequest('dynamodb:GetItem', i.TableName, i.Key as Item, s)],
  PutItem: (i, s) => [itemRequest('dynamodb:PutItem', i.TableName, i.Item as Item, s)],
  UpdateItem: (i, s) => [itemRequest('dynamodb:UpdateItem', i.TableName, i.Key as Item, s)],
  DeleteItem: (i, s) => [itemRequest('dynamodb:DeleteItem', i.TableName, i.Key as Item, s)],
  Query: (i, s) => [
    { action: 'dynamodb:Query', resource: tableArn(i.TableName, s, i.IndexName), ...queryLeadingKeys(i, s) },
  ],
  // A scan names no partition: AWS sets no LeadingKeys for it.
  Scan: (i, s) => [{ action: 'dynamodb:Scan', resource: tableArn(i.TableName, s, i.IndexName), context: {} }],
  DescribeTable: (i, s) => [
    { action: 'dynamodb:DescribeTable', resource: tableArn(i.TableName, s), context: {} },
  ],
  BatchGetItem: (i, s) =>
    Object.entries((i.RequestItems ?? {}) as Record<string, { Keys?: Item[] }>).map(([table, request]) => ({
      action: 'dynamodb:BatchGetItem',
      resource: tableArn(table, s),
      ...leadingKeys(table, request.Keys ?? [], s),
    })),
  BatchWriteItem: (i, s) =>
    Object.entries((i.RequestItems ?? {}) as Record<string, WriteRequest[]>).map(([table, requests]) => ({
      action: 'dynamodb:BatchWriteItem',
      resource: tableArn(table, s),
      ...leadingKeys(
        table,
        requests.map((r) => r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}),
        s,
      ),
    })),
  // A transaction is authorized item by item, each as the single-item action it performs.
  TransactWriteItems: (i, s) =>
    ((i.TransactItems ?? []) as TransactWrite[]).map((t) => {
      if (t.Put) return itemRequest('dynamodb:PutItem', t.Put.TableName, t.Put.Item, s);
      if (t.Update) return itemRequest('dynamodb:UpdateItem', t.Update.TableName, t.Update.Key, s);
      if (t.Delete) return itemRequest('dynamodb:DeleteItem', t.Delete.TableName, t.Delete.Key, s);
      if (t.ConditionCheck) {
        return itemRequest(
          'dynamodb:ConditionCheckItem',
          t.ConditionCheck.TableName,
          t.ConditionCheck.Key,
          s,
        );
      }
      throw new UnmappedOperationError(
        `TransactWriteItems element ${JSON.stringify(Object.keys(t))} is not mapped`,
      );
    }),
  TransactGetItems: (i, s) =>
    ((i.TransactItems ?? []) as Array<{ Get?: { TableName?: string; Key?: Item } }>).map((t) =>
      itemRequest('dynamodb:GetItem', t.Get?.TableName, t.Get?.Key, s),
    ),
};

// --- Step Functions, Lambda, Secrets Manager --------------------------------------------------------

const onArn =
  (action: string, field: string): Mapper =>
  (i) => [{ action, resource: String(i[field]), context: {} }];

const SFN: Record<string, Mapper> = {
  StartExecution: onArn('states:StartExecution', 'stateMachineArn'),
  StartSyncExecution: onArn('states:StartSyncExecution', 'stateMachineArn'),
  ListExecutions: onArn('states:ListExecutions', 'stateMachineArn'),
  DescribeStateMachine: onArn('states:DescribeStateMachine', 'stateMachineArn'),
  DescribeExecution: onArn('states:DescribeExecution', 'executionArn'),
  GetExecutionHistory: onArn('states:GetExecutionHistory', 'executionArn'),
  StopExecution: onArn('states:StopExecution', 'executionArn'),
};

/** A name, `name:qualifier`, `account:function:name[:qualifier]` or a full ARN → the function's ARN. */
export function functionArn(functionName: string, qualifier: unknown, s: Required<IamScope>): string {
  let base: string;
  if (functionName.startsWith('arn:')) base = functionName;
  else if (/^\d{12}:function:/.test(functionName))
    base = `arn:${s.partition}:lambda:${s.region}:${functionName}`;
  else base = `arn:${s.partition}:lambda:${s.region}:${s.account}:function:${functionName}`;
  return qualifier ? `${base}:${String(qualifier)}` : base;
}

const LAMBDA: Record<string, Mapper> = {
  Invoke: (i, s) => [
    {
      action: 'lambda:InvokeFunction',
      resource: functionArn(String(i.FunctionName), i.Qualifier, s),
      context: {},
    },
  ],
};

/**
 * A secret named by its name gets the ARN AWS gives it: the name plus a dash and six random characters,
 * so a grant on the bare name fails here as it would in AWS.
 */
function secretArn(id: unknown, s: Required<IamScope>): string {
  const name = String(id);
  return name.startsWith('arn:')
    ? name
    : `arn:${s.partition}:secretsmanager:${s.region}:${s.account}:secret:${name}-L0cal1`;
}

const SECRETS_MANAGER: Record<string, Mapper> = {
  GetSecretValue: (i, s) => [
    { action: 'secretsmanager:GetSecretValue', resource: secretArn(i.SecretId, s), context: {} },
  ],
  DescribeSecret: (i, s) => [
    { action: 'secretsmanager:DescribeSecret', resource: secretArn(i.SecretId, s), context: {} },
  ],
};

// --- Glue Data Catalog ------------------------------------------------------------------------------

/**
 * Glue authorizes a catalog call on every level it touches: the catalog, the database and (for table
 * calls) the table, each as its own ARN, so a grant must cover all of them. Names are lowercase in ARNs
 * (Glue keeps names lowercase); `CatalogId` names the account whose catalog it is.
 */
function glueResources(i: Input, s: Required<IamScope>, database: unknown, table?: unknown): string[] {
  const account = typeof i.CatalogId === 'string' && i.CatalogId !== '' ? i.CatalogId : s.account;
  const base = `arn:${s.partition}:glue:${s.region}:${account}`;
  const db = String(database ?? '').toLowerCase();
  return [
    `${base}:catalog`,
    `${base}:database/${db}`,
    ...(table === undefined ? [] : [`${base}:table/${db}/${String(table).toLowerCase()}`]),
  ];
}

const onGlue =
  (action: string, names: (i: Input) => [database: unknown, table?: unknown]): Mapper =>
  (i, s) => {
    const [database, table] = names(i);
    return glueResources(i, s, database, table).map((resource) => ({ action, resource, context: {} }));
  };

const tableInputName = (i: Input) => (i.TableInput as { Name?: unknown } | undefined)?.Name;

const GLUE: Record<string, Mapper> = {
  GetDatabase: onGlue('glue:GetDatabase', (i) => [i.Name]),
  CreateDatabase: onGlue('glue:CreateDatabase', (i) => [
    (i.DatabaseInput as { Name?: unknown } | undefined)?.Name,
  ]),
  GetTable: onGlue('glue:GetTable', (i) => [i.DatabaseName, i.Name]),
  CreateTable: onGlue('glue:CreateTable', (i) => [i.DatabaseName, tableInputName(i)]),
  UpdateTable: onGlue('glue:UpdateTable', (i) => [i.DatabaseName, tableInputName(i)]),
};

const MAPPERS: Record<string, Record<string, Mapper>> = {
  S3,
  DynamoDB: DYNAMODB,
  SFN,
  Lambda: LAMBDA,
  SecretsManager: SECRETS_MANAGER,
  Glue: GLUE,
};

/** Every mapped operation, `<service> <operation>`, for the report and the tests. */
export function mappedOperations(): string[] {
  return Object.entries(MAPPERS).flatMap(([service, ops]) =>
    Object.keys(ops).map((op) => `${service} ${op}`),
  );
}
