import { describe, expect, it } from 'vitest';
import { functionArn, iamRequests, parseCopySource } from '../../infra/local/iam/requests.js';

const scope = {
  region: 'us-east-1',
  account: '000000000000',
  tables: {
    meta: { hashKey: 'pk', indexes: { gsi1: 'gsi1pk' } },
  },
};
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/meta';
const map = (service: string, operation: string, input: Record<string, unknown>) =>
  iamRequests(service, operation, input, scope);

describe('S3 calls → IAM requests', () => {
  it('reads: GetObject and HeadObject, the version action when a version is named', () => {
    expect(map('S3', 'GetObject', { Bucket: 'b', Key: 'fresh/t/a b.csv' })).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/fresh/t/a b.csv', context: {} },
    ]);
    expect(map('S3', 'HeadObject', { Bucket: 'b', Key: 'k', VersionId: 'v1' })).toEqual([
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k', context: { 's3:versionid': ['v1'] } },
    ]);
  });

  it('writes: PutObject and every multipart step are s3:PutObject; abort has its own action', () => {
    for (const op of ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']) {
      expect(map('S3', op, { Bucket: 'b', Key: 'k', IfNoneMatch: '*' }).map((r) => r.action)).toEqual([
        's3:PutObject',
      ]);
    }
    expect(map('S3', 'AbortMultipartUpload', { Bucket: 'b', Key: 'k' })[0]?.action).toBe(
      's3:AbortMultipartUpload',
    );
    expect(
      map('S3', 'PutObject', { Bucket: 'b', Key: 'k', ACL: 'public-read', Tagging: 'a=b' }).map(
        (r) => r.action,
      ),
    ).toEqual(['s3:PutObject', 's3:PutObjectAcl', 's3:PutObjectTagging']);
  });

  it('CopyObject writes the target and reads the source (its version when named, key decoded)', () => {
    expect(
      map('S3', 'CopyObject', {
        Bucket: 'b',
        Key: 'quarantine/x',
        CopySource: 'b/fresh/t/a%20b.csv?versionId=v%2B1',
      }),
    ).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/quarantine/x', context: {} },
      {
        action: 's3:GetObjectVersion',
        resource: 'arn:aws:s3:::b/fresh/t/a b.csv',
        context: { 's3:versionid': ['v+1'] },
      },
    ]);
    expect(parseCopySource('/src/k/with/slashes')).toEqual({ bucket: 'src', key: 'k/with/slashes' });
  });

  it('deletes: one request per object, the version action with a version id', () => {
    expect(map('S3', 'DeleteObject', { Bucket: 'b', Key: 'k' })[0]?.action).toBe('s3:DeleteObject');
    expect(
      map('S3', 'DeleteObjects', {
        Bucket: 'b',
        Delete: { Objects: [{ Key: 'a' }, { Key: 'c', VersionId: 'v' }] },
      }),
    ).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/a', context: {} },
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::b/c', context: { 's3:versionid': ['v'] } },
    ]);
  });

  it('listings are on the bucket with s3:prefix (absent when the call names none)', () => {
    expect(map('S3', 'ListObjectsV2', { Bucket: 'b', Prefix: 'fresh/t/a.csv', MaxKeys: 1 })).toEqual([
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::b',
        context: { 's3:prefix': ['fresh/t/a.csv'], 's3:max-keys': ['1'] },
      },
    ]);
    expect(map('S3', 'ListObjectVersions', { Bucket: 'b', Prefix: 'fresh/' })).toEqual([
      { action: 's3:ListBucketVersions', resource: 'arn:aws:s3:::b', context: { 's3:prefix': ['fresh/'] } },
    ]);
    expect(map('S3', 'ListObjectsV2', { Bucket: 'b' })[0]?.context).toEqual({});
    expect(map('S3', 'HeadBucket', { Bucket: 'b' })[0]?.action).toBe('s3:ListBucket');
  });
});

describe('DynamoDB calls → IAM requests', () => {
  it('single-item calls carry the partition key as dynamodb:LeadingKeys', () => {
    expect(
      map('DynamoDB', 'PutItem', { TableName: 'meta', Item: { pk: { S: 'T#a' }, sk: { S: 'x' } } }),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['T#a'] } },
    ]);
    for (const op of ['GetItem', 'UpdateItem', 'DeleteItem']) {
      expect(map('DynamoDB', op, { TableName: 'meta', Key: { pk: { S: 'T#b' }, sk: { S: 'y' } } })).toEqual([
        { action: `dynamodb:${op}`, resource: TABLE, context: { 'dynamodb:LeadingKeys': ['T#b'] } },
      ]);
    }
  });

  it('a Query on an index is on the index ARN, its leading key read from the key condition', () => {
    expect(
      map('DynamoDB', 'Query', {
        TableName: 'meta',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :s)',
        ExpressionAttributeValues: { ':pk': { S: 'DUE' }, ':s': { S: 'x' } },
      }),
    ).toEqual([
      {
        action: 'dynamodb:Query',
        resource: `${TABLE}/index/gsi1`,
        context: { 'dynamodb:LeadingKeys': ['DUE'] },
      },
    ]);
    expect(
      map('DynamoDB', 'Query', {
        TableName: 'meta',
        KeyConditionExpression: '(#p = :v)',
        ExpressionAttributeNames: { '#p': 'pk' },
        ExpressionAttributeValues: { ':v': { S: 'T#c' } },
      })[0]?.context,
    ).toEqual({ 'dynamodb:LeadingKeys': ['T#c'] });
  });

  it('leaves LeadingKeys undetermined (never absent) for an unknown table or an unreadable key', () => {
    expect(map('DynamoDB', 'PutItem', { TableName: 'other', Item: { pk: { S: 'T#a' } } })[0]).toMatchObject({
      undetermined: ['dynamodb:LeadingKeys'],
    });
    expect(
      map('DynamoDB', 'Query', { TableName: 'meta', KeyConditionExpression: 'sk = :x' })[0],
    ).toMatchObject({
      undetermined: ['dynamodb:LeadingKeys'],
    });
    // A scan names no partition: the key is simply not set, as in AWS.
    expect(map('DynamoDB', 'Scan', { TableName: 'meta' })[0]).toEqual({
      action: 'dynamodb:Scan',
      resource: TABLE,
      context: {},
    });
  });

  it('transactions are authorized element by element as single-item actions', () => {
    const requests = map('DynamoDB', 'TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'meta', Item: { pk: { S: 'T#a' } } } },
        { Update: { TableName: 'meta', Key: { pk: { S: 'T#b' } } } },
        { Delete: { TableName: 'meta', Key: { pk: { S: 'T#c' } } } },
        { ConditionCheck: { TableName: 'meta', Key: { pk: { S: 'T#d' } } } },
      ],
    });
    expect(requests.map((r) => [r.action, r.context['dynamodb:LeadingKeys']])).toEqual([
      ['dynamodb:PutItem', ['T#a']],
      ['dynamodb:UpdateItem', ['T#b']],
      ['dynamodb:DeleteItem', ['T#c']],
      ['dynamodb:ConditionCheckItem', ['T#d']],
    ]);
    expect(
      map('DynamoDB', 'TransactGetItems', {
        TransactItems: [{ Get: { TableName: 'meta', Key: { pk: { S: 'T#e' } } } }],
      })[0]?.action,
    ).toBe('dynamodb:GetItem');
  });

  it('batches are one request per table with every item’s partition key', () => {
    expect(
      map('DynamoDB', 'BatchWriteItem', {
        RequestItems: {
          meta: [
            { PutRequest: { Item: { pk: { S: 'T#a' } } } },
            { DeleteRequest: { Key: { pk: { S: 'T#b' } } } },
          ],
        },
      }),
    ).toEqual([
      {
        action: 'dynamodb:BatchWriteItem',
        resource: TABLE,
        context: { 'dynamodb:LeadingKeys': ['T#a', 'T#b'] },
      },
    ]);
    expect(
      map('DynamoDB', 'BatchGetItem', {
        RequestItems: { meta: { Keys: [{ pk: { S: 'T#a' } }, { pk: { S: 'T#a' } }] } },
      }),
    ).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['T#a'] } },
    ]);
  });
});

describe('Step Functions, Lambda and Secrets Manager calls → IAM requests', () => {
  it('maps executions to the execution ARN and starts to the state machine ARN', () => {
    const sm = 'arn:aws:states:us-east-1:000000000000:stateMachine:S';
    const ex = 'arn:aws:states:us-east-1:000000000000:execution:S:run';
    expect(map('SFN', 'StartExecution', { stateMachineArn: sm, name: 'run' })).toEqual([
      { action: 'states:StartExecution', resource: sm, context: {} },
    ]);
    for (const op of ['DescribeExecution', 'GetExecutionHistory', 'StopExecution']) {
      expect(map('SFN', op, { executionArn: ex })[0]).toEqual({
        action: `states:${op}`,
        resource: ex,
        context: {},
      });
    }
  });

  it('maps Invoke to the function ARN from a name, a partial ARN or a full one', () => {
    const s = { ...scope, partition: 'aws' };
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:Pull';
    expect(functionArn('Pull', undefined, s)).toBe(arn);
    expect(functionArn('000000000000:function:Pull', undefined, s)).toBe(arn);
    expect(functionArn(arn, '$LATEST', s)).toBe(`${arn}:$LATEST`);
    expect(map('Lambda', 'Invoke', { FunctionName: 'Pull', InvocationType: 'Event' })).toEqual([
      { action: 'lambda:InvokeFunction', resource: arn, context: {} },
    ]);
  });

  it('gives a secret named by name the ARN AWS would (name plus a random suffix)', () => {
    expect(map('SecretsManager', 'GetSecretValue', { SecretId: 'strata/t/pg' })[0]?.resource).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:strata\/t\/pg-\w{6}$/,
    );
  });

  it('refuses to guess an operation it has no mapping for', () => {
    expect(() => map('S3', 'PutBucketPolicy', { Bucket: 'b' })).toThrow(
      /S3 PutBucketPolicy has no IAM mapping/,
    );
    expect(() => map('SQS', 'SendMessage', {})).toThrow(/no IAM mapping/);
  });
});
