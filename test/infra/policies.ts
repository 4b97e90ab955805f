import type { Template } from 'aws-cdk-lib/assertions';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';

export interface Statement {
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** What one IAM role may do, and which strata functions run as it. */
export interface RoleGrants {
  /** The role's logical id. */
  readonly role: string;
  /**
   * Source entries (`functions/<name>/handler.ts`) of the functions that run as this role; empty for the
   * state machine's role and CDK's own handlers.
   */
  readonly entries: readonly string[];
  /** The role's inline policies' statements, then those of any `AWS::IAM::Policy` attached to it. */
  readonly statements: readonly Statement[];
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

interface PolicyDocument {
  Statement: Statement[];
}

export const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

/**
 * Every role of the template with its statements. Grants live in each role's inline policies; CDK's own
 * constructs (the bucket-notifications handler) may still attach separate `AWS::IAM::Policy` resources,
 * whose statements are counted with the role they name, so no grant is missed.
 */
export function roleGrants(template: Template): RoleGrants[] {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const grants = new Map<string, { entries: string[]; statements: Statement[] }>();
  const of = (role: string) => {
    let grant = grants.get(role);
    if (!grant) {
      grant = { entries: [], statements: [] };
      grants.set(role, grant);
    }
    return grant;
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const policies = (resource.Properties?.Policies ?? []) as Array<{ PolicyDocument: PolicyDocument }>;
    of(id).statements.push(...policies.flatMap((policy) => policy.PolicyDocument.Statement));
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const document = resource.Properties?.PolicyDocument as PolicyDocument;
    for (const { Ref } of (resource.Properties?.Roles ?? []) as Array<{ Ref: string }>) {
      of(Ref).statements.push(...document.Statement);
    }
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const entry = resource.Metadata?.[ENTRY_METADATA_KEY];
    const role = (resource.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ];
    if (typeof entry === 'string' && role) of(role[0]).entries.push(entry);
  }
  return [...grants].map(([role, { entries, statements }]) => ({ role, entries, statements }));
}

/** Every statement of every role. */
export function allStatements(template: Template): Statement[] {
  return roleGrants(template).flatMap((grant) => grant.statements);
}

/** The statements of the role the function with this entry (`functions/<name>/handler.ts`) runs as. */
export function statementsOf(template: Template, entry: string): Statement[] {
  const grants = roleGrants(template).filter((grant) => grant.entries.includes(entry));
  if (grants.length !== 1) throw new Error(`${entry}: ${grants.length} roles, expected 1`);
  return [...(grants[0]?.statements ?? [])];
}

/**
 * Entries of the functions whose role has a statement matching `test`, sorted. A matching role that runs
 * no strata function (the state machine's, CDK's own) appears as its logical id, so it is never missed.
 */
export function entriesGranted(template: Template, test: (statement: Statement) => boolean): string[] {
  return roleGrants(template)
    .filter((grant) => grant.statements.some(test))
    .flatMap((grant) => (grant.entries.length > 0 ? grant.entries : [grant.role]))
    .sort();
}
