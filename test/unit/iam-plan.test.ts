import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/local/cloud.js';
import type { LocalFunction } from '../../infra/local/function-pool.js';
import { evaluate, type IamRequest, MODELLED_CONDITION_KEYS } from '../../infra/local/iam/policy.js';
import { type LocalPlan, planLocalDeployment } from '../../infra/local/plan.js';

// Each function's policy as the local cloud reads it from the real synthesized template (the plan is
// pure; synthesizing takes a few seconds).

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const outdir = mkdtempSync(join(tmpdir(), 'strata-iam-plan-'));
let plan: LocalPlan;

beforeAll(() => {
  plan = planLocalDeployment(synthesizeTemplate(outdir), {
    stackName: 'Strata',
    region: REGION,
    account: ACCOUNT,
    apiEndpoint: 'http://127.0.0.1:4400',
  });
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const fn = (entry: string): LocalFunction => {
  const found = plan.functions.find((f) => f.entry === entry);
  if (!found) throw new Error(`no function ${entry}`);
  return found;
};
const allows = (f: LocalFunction, request: IamRequest) => evaluate(f.policy ?? [], request).allowed;

describe('function policies in the local plan', () => {
  it('gives every function its role and the role’s statements, resolved to local names and ARNs', () => {
    for (const f of plan.functions) {
      expect(f.role, f.name).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/Strata-`));
      expect(f.policy?.length, f.name).toBeGreaterThan(0);
      for (const statement of f.policy ?? []) {
        for (const resource of [...(statement.Resource ?? []), ...(statement.NotResource ?? [])]) {
          // Either `*` or an ARN of this local deployment: nothing left unresolved.
          expect(resource === '*' || resource.startsWith('arn:aws:'), `${f.name}: ${resource}`).toBe(true);
          expect(resource, f.name).not.toMatch(/Fn::|Ref|\[object/);
        }
      }
    }
  });

  it('uses only condition operators and keys the local check models, so no grant fails closed by design', () => {
    const supported =
      /^(ForAllValues:|ForAnyValue:)?(String(Not)?(Equals|Like)(IgnoreCase)?|Null|Bool)(IfExists)?$/;
    for (const f of plan.functions) {
      for (const statement of f.policy ?? []) {
        for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
          expect(operator, f.name).toMatch(supported);
          for (const key of Object.keys(entries))
            expect(MODELLED_CONDITION_KEYS.has(key.toLowerCase()), key).toBe(true);
        }
      }
    }
  });

  it('resolves grants on the state machine and its executions to the deployed ARNs', () => {
    const runs = fn('functions/api-runs/handler.ts');
    const machine = plan.stateMachines[0]?.arn ?? '';
    const execution = `${machine.replace(':stateMachine:', ':execution:')}:run-1`;
    expect(allows(runs, { action: 'states:StartExecution', resource: machine, context: {} })).toBe(true);
    expect(allows(runs, { action: 'states:DescribeExecution', resource: execution, context: {} })).toBe(true);
    expect(allows(runs, { action: 'states:StopExecution', resource: execution, context: {} })).toBe(false);
  });

  it('keeps the authorizer read-only and tenant writes to tenant partitions', () => {
    const metadata = plan.tables.find((t) => t.logicalId.startsWith('MetadataTable'))?.name;
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${metadata}`;
    const write = (keys: string[]): IamRequest => ({
      action: 'dynamodb:PutItem',
      resource: table,
      context: { 'dynamodb:LeadingKeys': keys },
    });
    expect(allows(fn('functions/authorizer/handler.ts'), write(['T#demo']))).toBe(false);
    expect(
      allows(fn('functions/authorizer/handler.ts'), {
        action: 'dynamodb:GetItem',
        resource: table,
        context: {},
      }),
    ).toBe(true);
    expect(allows(fn('functions/api-datasets/handler.ts'), write(['T#demo']))).toBe(true);
    expect(allows(fn('functions/api-datasets/handler.ts'), write(['KEY#x']))).toBe(false);
  });

  it('lets the connector scheduler invoke the pull function and nothing else', () => {
    const scheduler = fn('functions/connector-scheduler/handler.ts');
    const pull = fn('functions/connector-pull/handler.ts');
    expect(allows(scheduler, { action: 'lambda:InvokeFunction', resource: pull.arn, context: {} })).toBe(
      true,
    );
    expect(allows(scheduler, { action: 'lambda:InvokeFunction', resource: scheduler.arn, context: {} })).toBe(
      false,
    );
  });
});
