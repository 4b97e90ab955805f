/**
 * An IAM identity-policy evaluator for the local cloud: decides whether a function's role allows one
 * request (action, resource, condition context) the way AWS decides it for an identity-based policy. An
 * explicit Deny wins, then any Allow, else the implicit deny. Pure, so it is tested on its own.
 *
 * It supports what a CDK stack emits, and fails closed on anything else: a condition operator it does
 * not know, a condition key the request mapping does not model, or a policy variable makes the statement
 * allow nothing (and a Deny statement deny), with the reason in the decision.
 */

/** A statement with every intrinsic resolved and every list normalized. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  /** operator → condition key → values (ORed). */
  Condition?: Record<string, Record<string, string[]>>;
}

/** One authorization AWS makes for an API call (a call may need several: CopyObject reads and writes). */
export interface IamRequest {
  action: string;
  resource: string;
  /** Condition keys this request carries (names as AWS spells them; compared case-insensitively). */
  context: Record<string, string[]>;
  /**
   * Keys AWS would set for this request but whose value the mapping could not work out (e.g. the
   * partition key of a table it has no layout for). A statement conditioned on one of them allows nothing.
   */
  undetermined?: string[];
}

export type Decision =
  | { allowed: true; statement: number }
  | { allowed: false; explicit: boolean; statement?: number; reasons: string[] };

/**
 * Condition keys a request mapping models (lowercase). A condition on any other key cannot be evaluated
 * faithfully, so it fails closed rather than being read as "key absent".
 */
export const MODELLED_CONDITION_KEYS: ReadonlySet<string> = new Set([
  's3:prefix',
  's3:delimiter',
  's3:max-keys',
  's3:versionid',
  'dynamodb:leadingkeys',
]);

export function evaluate(policy: readonly PolicyStatement[], request: IamRequest): Decision {
  const context = lowerKeys(request.context);
  const undetermined = new Set((request.undetermined ?? []).map((k) => k.toLowerCase()));
  const reasons: string[] = [];
  let allowedBy: number | undefined;
  for (const [index, statement] of policy.entries()) {
    if (!appliesTo(statement, request)) continue;
    const outcome = conditionsHold(statement.Condition, context, undetermined);
    if (outcome.unsupported) {
      const where = statement.Sid ?? `#${index}`;
      reasons.push(`statement ${where}: ${outcome.unsupported}`);
      // Fail closed: an Allow we cannot evaluate allows nothing, a Deny we cannot evaluate denies.
      if (statement.Effect === 'Deny') return { allowed: false, explicit: true, statement: index, reasons };
      continue;
    }
    if (!outcome.holds) continue;
    if (statement.Effect === 'Deny') return { allowed: false, explicit: true, statement: index, reasons };
    allowedBy ??= index;
  }
  if (allowedBy !== undefined) return { allowed: true, statement: allowedBy };
  return { allowed: false, explicit: false, reasons };
}

function appliesTo(statement: PolicyStatement, request: IamRequest): boolean {
  const action = statement.Action
    ? statement.Action.some((p) => actionMatches(p, request.action))
    : !(statement.NotAction ?? []).some((p) => actionMatches(p, request.action));
  if (!action) return false;
  return statement.Resource
    ? statement.Resource.some((p) => resourceMatches(p, request.resource))
    : !(statement.NotResource ?? []).some((p) => resourceMatches(p, request.resource));
}

/** Actions compare case-insensitively, with `*` and `?` wildcards (`s3:Get*`, `dynamodb:*`, `*`). */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcard(pattern, action, true);
}

/**
 * Resources compare case-sensitively with `*` and `?`. In an ARN, each of the first five colon-separated
 * parts matches on its own (a wildcard there never spans a colon); the resource part may hold colons and
 * slashes and its wildcards span them.
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const r = arnParts(resource);
  if (!p || !r) return wildcard(pattern, resource, false);
  return p.every((part, i) => wildcard(part, r[i] ?? '', false));
}

function arnParts(value: string): string[] | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Patterns come from policies (a bounded set), so their compiled forms are kept. */
const compiled = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character, everything else literal. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const flags = ignoreCase ? 'is' : 's';
  let regex = compiled.get(`${flags}\0${pattern}`);
  if (!regex) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, flags);
    compiled.set(`${flags}\0${pattern}`, regex);
  }
  return regex.test(value);
}

type ConditionOutcome =
  | { holds: boolean; unsupported?: undefined }
  | { holds?: undefined; unsupported: string };

const STRING_OPERATORS: Record<string, (policyValue: string, value: string) => boolean> = {
  stringequals: (p, v) => p === v,
  stringequalsignorecase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  stringlike: (p, v) => wildcard(p, v, false),
  arnequals: (p, v) => p === v,
  arnlike: (p, v) => resourceMatches(p, v),
};
const NEGATED: Record<string, string> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
};

function conditionsHold(
  condition: PolicyStatement['Condition'],
  context: Map<string, string[]>,
  undetermined: ReadonlySet<string>,
): ConditionOutcome {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    for (const [key, policyValues] of Object.entries(entries)) {
      const name = key.toLowerCase();
      if (!MODELLED_CONDITION_KEYS.has(name)) {
        return { unsupported: `condition key ${key} is not modelled by the local IAM check` };
      }
      if (undetermined.has(name)) {
        return { unsupported: `the value of ${key} for this request could not be determined` };
      }
      if (policyValues.some((v) => v.includes('${'))) {
        return { unsupported: `policy variables (${key}: ${policyValues.join(', ')}) are not supported` };
      }
      const result = operatorHolds(operator, policyValues, context.get(name));
      if (result.unsupported || !result.holds) return result;
    }
  }
  return { holds: true };
}

function operatorHolds(
  operator: string,
  policyValues: string[],
  values: string[] | undefined,
): ConditionOutcome {
  let op = operator.toLowerCase();
  let set: 'forallvalues' | 'foranyvalue' | undefined;
  for (const prefix of ['forallvalues:', 'foranyvalue:'] as const) {
    if (op.startsWith(prefix)) {
      set = prefix.slice(0, -1) as typeof set;
      op = op.slice(prefix.length);
    }
  }
  const ifExists = op.endsWith('ifexists');
  if (ifExists) op = op.slice(0, -'ifexists'.length);

  if (op === 'null') {
    if (set || ifExists) return { unsupported: `operator ${operator} is not supported` };
    const absent = values === undefined || values.length === 0;
    return { holds: policyValues.some((p) => (p.toLowerCase() === 'true') === absent) };
  }
  const negated = op in NEGATED;
  const compare =
    STRING_OPERATORS[NEGATED[op] ?? op] ??
    (op === 'bool' ? STRING_OPERATORS.stringequalsignorecase : undefined);
  if (!compare)
    return { unsupported: `condition operator ${operator} is not supported by the local IAM check` };

  const matchesAny = (value: string) => policyValues.some((p) => compare(p, value));
  const check = (value: string) => (negated ? !matchesAny(value) : matchesAny(value));
  if (set === 'forallvalues') return { holds: (values ?? []).every(check) };
  if (set === 'foranyvalue') return { holds: (values ?? []).some(check) };
  if (values === undefined || values.length === 0) return { holds: ifExists || negated };
  if (values.length > 1) {
    return {
      unsupported: `${operator} without ForAllValues/ForAnyValue on a key with ${values.length} values`,
    };
  }
  return { holds: check(values[0] as string) };
}

function lowerKeys(context: Record<string, string[]>): Map<string, string[]> {
  return new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * A statement as a template holds it (after intrinsics are resolved): strings or lists, condition
 * values of any JSON type. Throws on a statement without Effect or without an action/resource element.
 */
export function normalizeStatement(raw: unknown, where: string): PolicyStatement {
  const s = raw as Record<string, unknown>;
  const list = (value: unknown): string[] | undefined =>
    value === undefined ? undefined : [value].flat().map((v) => String(v));
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
    throw new Error(`${where}: statement without a valid Effect`);
  const statement: PolicyStatement = { Effect: s.Effect };
  if (typeof s.Sid === 'string') statement.Sid = s.Sid;
  for (const field of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    const values = list(s[field]);
    if (values) statement[field] = values;
  }
  if (!statement.Action === !statement.NotAction) throw new Error(`${where}: needs one of Action/NotAction`);
  if (!statement.Resource === !statement.NotResource)
    throw new Error(`${where}: needs one of Resource/NotResource`);
  if (s.Condition !== undefined) {
    statement.Condition = Object.fromEntries(
      Object.entries(s.Condition as Record<string, Record<string, unknown>>).map(([op, entries]) => [
        op,
        Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, list(value) ?? []])),
      ]),
    );
  }
  return statement;
}
