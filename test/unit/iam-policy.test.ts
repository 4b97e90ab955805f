import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionMatches,
  evaluate,
  type IamRequest,
  normalizeStatement,
  type PolicyStatement,
  resourceMatches,
  wildcard,
} from '../../infra/local/iam/policy.js';

const BUCKET = 'arn:aws:s3:::strata-data';
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/Strata-Metadata';

/** The shapes CDK emits for strata's roles (prefix-scoped S3, tenant-scoped writes). */
const policy: PolicyStatement[] = [
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: [`${BUCKET}/fresh/*`] },
  {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [BUCKET],
    Condition: { StringLike: { 's3:prefix': ['fresh/*'] } },
  },
  {
    Effect: 'Allow',
    Action: ['dynamodb:Query', 'dynamodb:GetItem'],
    Resource: [TABLE, `${TABLE}/index/*`],
  },
  {
    Effect: 'Allow',
    Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    Resource: [TABLE],
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] } },
  },
];

const req = (action: string, resource: string, context: Record<string, string[]> = {}): IamRequest => ({
  action,
  resource,
  context,
});

describe('the local IAM evaluator', () => {
  it('allows what a statement grants and nothing next to it', () => {
    expect(evaluate(policy, req('s3:GetObject', `${BUCKET}/fresh/t/a.csv`)).allowed).toBe(true);
    expect(evaluate(policy, req('s3:GetObject', `${BUCKET}/staging/t/a.csv`)).allowed).toBe(false);
    expect(evaluate(policy, req('s3:PutObject', `${BUCKET}/fresh/t/a.csv`)).allowed).toBe(false);
    expect(evaluate(policy, req('dynamodb:Query', `${TABLE}/index/gsi1`)).allowed).toBe(true);
    expect(evaluate(policy, req('dynamodb:Query', `${TABLE}-other`)).allowed).toBe(false);
  });

  it('reads s3:prefix: a listing outside the granted prefix, or with no prefix, is refused', () => {
    expect(evaluate(policy, req('s3:ListBucket', BUCKET, { 's3:prefix': ['fresh/t/'] })).allowed).toBe(true);
    expect(evaluate(policy, req('s3:ListBucket', BUCKET, { 's3:prefix': ['staging/'] })).allowed).toBe(false);
    expect(evaluate(policy, req('s3:ListBucket', BUCKET)).allowed).toBe(false);
  });

  it('reads dynamodb:LeadingKeys for every key of the request (ForAllValues)', () => {
    const put = (keys: string[]) => req('dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': keys });
    expect(evaluate(policy, put(['T#a'])).allowed).toBe(true);
    expect(evaluate(policy, put(['T#a', 'T#b'])).allowed).toBe(true);
    expect(evaluate(policy, put(['T#a', 'KEY#x'])).allowed).toBe(false);
  });

  it('follows AWS on absent keys: ForAllValues holds, a plain operator does not, IfExists does', () => {
    const absent = (Condition: PolicyStatement['Condition']) =>
      evaluate(
        [{ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['*'], Condition }],
        req('s3:ListBucket', BUCKET),
      ).allowed;
    expect(absent({ 'ForAllValues:StringLike': { 's3:prefix': ['a*'] } })).toBe(true);
    expect(absent({ 'ForAnyValue:StringLike': { 's3:prefix': ['a*'] } })).toBe(false);
    expect(absent({ StringLike: { 's3:prefix': ['a*'] } })).toBe(false);
    expect(absent({ StringLikeIfExists: { 's3:prefix': ['a*'] } })).toBe(true);
    expect(absent({ StringNotEquals: { 's3:prefix': ['a'] } })).toBe(true);
    expect(absent({ Null: { 's3:prefix': ['true'] } })).toBe(true);
    expect(absent({ Null: { 's3:prefix': ['false'] } })).toBe(false);
  });

  it('treats a key the mapping could not determine as unusable, never as absent', () => {
    const decision = evaluate(policy, {
      action: 'dynamodb:PutItem',
      resource: TABLE,
      context: {},
      undetermined: ['dynamodb:LeadingKeys'],
    });
    expect(decision).toMatchObject({ allowed: false, explicit: false });
    expect(!decision.allowed && decision.reasons.join()).toMatch(/LeadingKeys .*could not be determined/);
  });

  it('fails closed on condition operators and keys it does not model, with the reason', () => {
    const unknownOperator: PolicyStatement = {
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['*'],
      Condition: { DateGreaterThan: { 's3:prefix': ['2020-01-01T00:00:00Z'] } },
    };
    const unknownKey: PolicyStatement = {
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['*'],
      Condition: { Bool: { 'aws:SecureTransport': ['true'] } },
    };
    const a = evaluate([unknownOperator], req('s3:GetObject', `${BUCKET}/k`));
    const b = evaluate([unknownKey], req('s3:GetObject', `${BUCKET}/k`));
    expect(!a.allowed && a.reasons.join()).toMatch(/operator DateGreaterThan is not supported/);
    expect(!b.allowed && b.reasons.join()).toMatch(/condition key aws:SecureTransport is not modelled/);
    // The same unknown condition on a Deny denies.
    const deny = evaluate(
      [
        { Effect: 'Allow', Action: ['*'], Resource: ['*'] },
        { ...unknownKey, Effect: 'Deny' },
      ],
      req('s3:GetObject', `${BUCKET}/k`),
    );
    expect(deny).toMatchObject({ allowed: false, explicit: true });
  });

  it('lets an explicit Deny win over any Allow, and NotAction/NotResource invert the match', () => {
    const withDeny: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['s3:DeleteObject'], Resource: [`${BUCKET}/versions/*`] },
    ];
    expect(evaluate(withDeny, req('s3:DeleteObject', `${BUCKET}/versions/a`))).toMatchObject({
      allowed: false,
      explicit: true,
    });
    expect(evaluate(withDeny, req('s3:DeleteObject', `${BUCKET}/fresh/a`)).allowed).toBe(true);
    const not: PolicyStatement[] = [
      { Effect: 'Allow', NotAction: ['s3:Delete*'], NotResource: [`${BUCKET}/versions/*`] },
    ];
    expect(evaluate(not, req('s3:GetObject', `${BUCKET}/fresh/a`)).allowed).toBe(true);
    expect(evaluate(not, req('s3:DeleteObject', `${BUCKET}/fresh/a`)).allowed).toBe(false);
    expect(evaluate(not, req('s3:GetObject', `${BUCKET}/versions/a`)).allowed).toBe(false);
  });

  it('matches actions case-insensitively with wildcards, resources case-sensitively by ARN part', () => {
    expect(actionMatches('s3:Get*', 'S3:GETOBJECTVERSION')).toBe(true);
    expect(actionMatches('dynamodb:*', 'dynamodb:Query')).toBe(true);
    expect(actionMatches('dynamodb:?etItem', 'dynamodb:GetItem')).toBe(true);
    expect(actionMatches('s3:Get*', 's3:PutObject')).toBe(false);
    expect(resourceMatches(`${BUCKET}/fresh/*`, `${BUCKET}/Fresh/a`)).toBe(false);
    // A wildcard in the region part does not reach into the account part…
    expect(
      resourceMatches(
        'arn:aws:states:us-*:execution:sm:*',
        'arn:aws:states:us-east-1:000000000000:execution:sm:x',
      ),
    ).toBe(false);
    // …while one in the resource part spans colons (execution ARNs, function qualifiers).
    expect(
      resourceMatches(
        'arn:aws:states:us-east-1:000000000000:execution:Strata-Ingestion:*',
        'arn:aws:states:us-east-1:000000000000:execution:Strata-Ingestion:run-1',
      ),
    ).toBe(true);
    expect(
      resourceMatches(
        'arn:aws:lambda:us-east-1:000000000000:function:Pull:*',
        'arn:aws:lambda:us-east-1:000000000000:function:Pull',
      ),
    ).toBe(false);
  });

  it('normalizes template statements (strings or lists, any condition value type)', () => {
    expect(
      normalizeStatement(
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:x',
          Condition: { Bool: { 'aws:X': true } },
        },
        'here',
      ),
    ).toEqual({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['arn:x'],
      Condition: { Bool: { 'aws:X': ['true'] } },
    });
    expect(() => normalizeStatement({ Effect: 'Allow', Resource: '*' }, 'here')).toThrow(/Action/);
  });
});

describe('the local IAM evaluator (properties)', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', '.', '*', '?', '(', '[', '$', '\\') });

  it('a literal pattern (no wildcard) matches exactly itself', () => {
    const literal = text.map((s) => s.replace(/[*?]/g, ''));
    fc.assert(
      fc.property(literal, text, (pattern, value) => {
        expect(wildcard(pattern, value, false)).toBe(pattern === value);
      }),
    );
  });

  it('`prefix*` matches exactly the values that start with prefix', () => {
    const literal = text.map((s) => s.replace(/[*?]/g, ''));
    fc.assert(
      fc.property(literal, text, (prefix, value) => {
        expect(wildcard(`${prefix}*`, value, false)).toBe(value.startsWith(prefix));
      }),
    );
  });

  it('adding Allow statements never takes an allow away; adding a matching Deny always does', () => {
    const statement = fc.record({
      Effect: fc.constant('Allow' as const),
      Action: fc.array(fc.constantFrom('s3:GetObject', 's3:*', 'dynamodb:Query', '*'), { minLength: 1 }),
      Resource: fc.array(fc.constantFrom('*', `${BUCKET}/*`, `${BUCKET}/fresh/*`, TABLE), { minLength: 1 }),
    });
    const request = fc.record({
      action: fc.constantFrom('s3:GetObject', 's3:PutObject', 'dynamodb:Query'),
      resource: fc.constantFrom(`${BUCKET}/fresh/a`, `${BUCKET}/staging/a`, TABLE),
      context: fc.constant({}),
    });
    fc.assert(
      fc.property(fc.array(statement), fc.array(statement), request, (base, more, r) => {
        if (evaluate(base, r).allowed) expect(evaluate([...base, ...more], r).allowed).toBe(true);
        const deny: PolicyStatement = { Effect: 'Deny', Action: [r.action], Resource: [r.resource] };
        expect(evaluate([...base, ...more, deny], r)).toMatchObject({ allowed: false, explicit: true });
      }),
    );
  });

  it('ForAllValues:StringLike on LeadingKeys holds exactly when every key matches', () => {
    const key = fc.constantFrom('T#a', 'T#b', 'KEY#x', 'T', 'x#T#');
    fc.assert(
      fc.property(fc.array(key), (keys) => {
        const allowed = evaluate(
          policy,
          req('dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': keys }),
        ).allowed;
        expect(allowed).toBe(keys.every((k) => k.startsWith('T#')));
      }),
    );
  });
});
