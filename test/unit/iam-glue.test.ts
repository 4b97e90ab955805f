import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyStatement } from '../../infra/local/iam/policy.js';
import { iamRequests, mappedOperations } from '../../infra/local/iam/requests.js';

const scope = { region: 'eu-west-1', account: '111122223333', tables: {} };
const BASE = 'arn:aws:glue:eu-west-1:111122223333';
const map = (operation: string, input: Record<string, unknown>) =>
  iamRequests('Glue', operation, input, scope);

/** The statement the stack grants the functions that commit to datasets' tables. */
const policy: PolicyStatement[] = [
  {
    Effect: 'Allow',
    Action: [
      'glue:GetDatabase',
      'glue:CreateDatabase',
      'glue:GetTable',
      'glue:CreateTable',
      'glue:UpdateTable',
    ],
    Resource: [`${BASE}:catalog`, `${BASE}:database/strata_*`, `${BASE}:table/strata_*/*`],
  },
];
const allowed = (operation: string, input: Record<string, unknown>) =>
  map(operation, input).every((request) => evaluate(policy, request).allowed);

describe('Glue calls → IAM requests', () => {
  it('a table call is authorized on the catalog, the database and the table', () => {
    // Act
    const requests = map('CreateTable', { DatabaseName: 'strata_acme', TableInput: { Name: 'sales' } });

    // Assess
    expect(requests).toEqual([
      { action: 'glue:CreateTable', resource: `${BASE}:catalog`, context: {} },
      { action: 'glue:CreateTable', resource: `${BASE}:database/strata_acme`, context: {} },
      { action: 'glue:CreateTable', resource: `${BASE}:table/strata_acme/sales`, context: {} },
    ]);
  });

  it('a database call is authorized on the catalog and the database, named by Name or DatabaseInput', () => {
    // Act
    const get = map('GetDatabase', { Name: 'strata_acme' });
    const create = map('CreateDatabase', { DatabaseInput: { Name: 'strata_acme' } });

    // Assess
    const resources = [`${BASE}:catalog`, `${BASE}:database/strata_acme`];
    expect(get.map((r) => [r.action, r.resource])).toEqual(resources.map((r) => ['glue:GetDatabase', r]));
    expect(create.map((r) => [r.action, r.resource])).toEqual(
      resources.map((r) => ['glue:CreateDatabase', r]),
    );
  });

  it('names the catalog of the account CatalogId gives, and lowercases names as Glue does', () => {
    // Act
    const requests = map('GetTable', {
      CatalogId: '444455556666',
      DatabaseName: 'Strata_Acme',
      Name: 'Sales',
    });

    // Assess
    expect(requests.map((r) => r.resource)).toEqual([
      'arn:aws:glue:eu-west-1:444455556666:catalog',
      'arn:aws:glue:eu-west-1:444455556666:database/strata_acme',
      'arn:aws:glue:eu-west-1:444455556666:table/strata_acme/sales',
    ]);
  });

  it('the registration grant allows strata_ databases and their tables, and nothing else', () => {
    // Act
    const own = [
      allowed('GetTable', { DatabaseName: 'strata_acme', Name: 'sales' }),
      allowed('GetDatabase', { Name: 'strata_acme' }),
      allowed('CreateDatabase', { DatabaseInput: { Name: 'strata_acme' } }),
      allowed('CreateTable', { DatabaseName: 'strata_acme', TableInput: { Name: 'sales' } }),
      allowed('UpdateTable', { DatabaseName: 'strata_acme', TableInput: { Name: '_sales__eu' } }),
    ];
    const others = [
      allowed('GetTable', { DatabaseName: 'finance', Name: 'ledger' }),
      allowed('CreateDatabase', { DatabaseInput: { Name: 'finance' } }),
      allowed('UpdateTable', { DatabaseName: 'finance', TableInput: { Name: 'ledger' } }),
      // Another account's catalog, even for a strata_ name.
      allowed('CreateTable', {
        CatalogId: '444455556666',
        DatabaseName: 'strata_acme',
        TableInput: { Name: 's' },
      }),
    ];

    // Assess
    expect(own).toEqual([true, true, true, true, true]);
    expect(others).toEqual([false, false, false, false]);
  });

  it('lists the Glue operations registration uses among the mapped ones, and refuses others', () => {
    // Act
    const mapped = mappedOperations().filter((op) => op.startsWith('Glue '));

    // Assess
    expect(mapped.sort()).toEqual(
      ['CreateDatabase', 'CreateTable', 'GetDatabase', 'GetTable', 'UpdateTable'].map((op) => `Glue ${op}`),
    );
    expect(() => map('DeleteDatabase', { Name: 'strata_acme' })).toThrow(/no IAM mapping/);
  });
});
