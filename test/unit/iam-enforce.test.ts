import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IamDenial, installIamEnforcement, smithyClientModules } from '../../infra/local/iam/enforce.js';
import type { PolicyStatement } from '../../infra/local/iam/policy.js';
import { REPO_ROOT } from '../../infra/local/paths.js';

// The check installed in this process, as the lambda host installs it in a function's worker. Nothing
// listens at the endpoint: a call the policy refuses fails with AccessDenied before any I/O, one it
// allows gets as far as the network and fails there (connection refused).

const BUCKET = 'data';
const TABLE = 'meta';
const policy: PolicyStatement[] = [
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`arn:aws:s3:::${BUCKET}/fresh/*`] },
  {
    Effect: 'Allow',
    Action: ['dynamodb:PutItem'],
    Resource: [`arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}`],
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] } },
  },
];
const denials: IamDenial[] = [];
const logged: string[] = [];
let uninstall: () => void = () => undefined;

const endpoint = 'http://127.0.0.1:9';
const common = { region: 'us-east-1', endpoint, maxAttempts: 1 };
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  // The role's credentials come from the environment, as Lambda's do.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'role-key');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
  uninstall = installIamEnforcement(
    {
      functionName: 'fn',
      principal: 'arn:aws:sts::000000000000:assumed-role/FnRole/fn',
      policy,
      scope: {
        region: 'us-east-1',
        account: '000000000000',
        tables: { [TABLE]: { hashKey: 'pk', indexes: {} } },
      },
      onDenied: (d) => denials.push(d),
      log: (line) => logged.push(line),
    },
    REPO_ROOT,
  );
  s3 = new S3Client({ ...common, forcePathStyle: true });
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(common));
});

afterEach(() => {
  denials.length = 0;
  logged.length = 0;
});

afterAll(() => {
  uninstall();
  vi.unstubAllEnvs();
});

/** The error a call ends with (they all fail: nothing listens). */
async function failure(call: () => Promise<unknown>) {
  try {
    await call();
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}

describe('the local IAM check inside a function process', () => {
  it('finds the SDK’s client module through the project’s @aws-sdk packages', () => {
    expect(smithyClientModules(REPO_ROOT).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses an S3 call outside the grant as S3 does, names principal, action and resource, and logs it', async () => {
    // Act
    const error = await failure(() =>
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'staging/t/a.parquet' })),
    );

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/FnRole/fn is not authorized to perform: s3:GetObject on ' +
        'resource: arn:aws:s3:::data/staging/t/a.parquet because no identity-based policy allows the s3:GetObject action',
    );
    expect(denials).toEqual([
      expect.objectContaining({ functionName: 'fn', action: 's3:GetObject', operation: 'GetObject' }),
    ]);
    expect(logged[0]).toMatch(/^\[local IAM\] DENIED fn S3\.GetObject: User: /);
  });

  it('lets a granted call through to the network', async () => {
    const error = await failure(() =>
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'fresh/t/a.csv' })),
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(denials).toEqual([]);
  });

  it('fails closed on a call it has no mapping for, and on a listing the policy does not grant', async () => {
    const listing = await failure(() =>
      s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'fresh/' })),
    );
    expect(listing.message).toMatch(
      /not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::data /,
    );
    const { DeleteBucketCommand } = await import('@aws-sdk/client-s3');
    const unmapped = await failure(() => s3.send(new DeleteBucketCommand({ Bucket: BUCKET })));
    expect(unmapped.message).toMatch(/s3:DeleteBucket on resource: \(not mapped\).*no IAM mapping/);
  });

  it('checks document-client writes on their marshalled keys, element by element in a transaction', async () => {
    // Act
    const tenant = await failure(() =>
      doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'T#a', sk: 'x' } })),
    );
    const foreign = await failure(() =>
      doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'KEY#a', sk: 'x' } })),
    );
    const transaction = await failure(() =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: 'T#a', sk: 'x' } } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: { pk: 'T#a', sk: 'y' },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
        }),
      ),
    );

    // Assess
    expect(tenant).toMatchObject({ code: 'ECONNREFUSED' });
    expect(foreign).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    expect(foreign.message).toMatch(
      /dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/meta /,
    );
    expect(transaction.message).toMatch(/not authorized to perform: dynamodb:ConditionCheckItem/);
  });

  it('checks presigned URLs when they are signed, and multipart uploads part by part', async () => {
    await expect(
      getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'fresh/t/up.csv' }), { expiresIn: 60 }),
    ).resolves.toMatch(/^http:\/\/127\.0\.0\.1:9\/data\/fresh\/t\/up\.csv\?/);
    const presigned = await failure(() =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'versions/v.parquet' }), {
        expiresIn: 60,
      }),
    );
    expect(presigned.name).toBe('AccessDenied');
    const upload = await failure(() =>
      new Upload({
        client: s3,
        params: { Bucket: BUCKET, Key: 'staging/big', Body: Buffer.alloc(6 * 1024 * 1024) },
      }).done(),
    );
    expect(upload.message).toMatch(/s3:PutObject on resource: arn:aws:s3:::data\/staging\/big/);
  });

  it('leaves calls signed with credentials given in code (a connector source owner’s keys) to their owner', async () => {
    const owners = new S3Client({
      ...common,
      forcePathStyle: true,
      credentials: { accessKeyId: 'owner', secretAccessKey: 'owner-secret' },
    });
    const error = await failure(() =>
      owners.send(new GetObjectCommand({ Bucket: 'their-bucket', Key: 'k' })),
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(denials).toEqual([]);
  });

  it('refuses an object that only looks like a command, which the check could not see', async () => {
    const fake = { input: {}, resolveMiddleware: () => async () => ({ output: {} }) };
    await expect(s3.send(fake as never)).rejects.toThrow(/not an AWS SDK command built on @smithy\/core/);
  });
});
