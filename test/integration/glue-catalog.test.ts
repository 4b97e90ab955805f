import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDatabaseCommand,
  GetDatabaseCommand,
  GetTableCommand,
  GlueClient,
  type Table,
} from '@aws-sdk/client-glue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/local/cloud.js';
import { installIamEnforcement } from '../../infra/local/iam/enforce.js';
import { REPO_ROOT } from '../../infra/local/paths.js';
import { planLocalDeployment } from '../../infra/local/plan.js';
import { STACK_ID } from '../../infra/strata-app.js';
import { GlueTableCatalog } from '../../shared/adapters/glue/catalog.js';
import { registerDatasetTable } from '../../shared/app/pipeline/catalog.js';
import { catalogDatabaseName, catalogTableName } from '../../shared/domain/catalog.js';
import { datasetTableUri } from '../../shared/domain/object-key.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { CatalogError } from '../../shared/errors.js';
import type { Logger } from '../../shared/ports.js';
import { cloudContext, newTenant } from '../support/cloud.js';

// Registration against the local cloud's Glue Data Catalog (moto's server): the same adapter and use case
// the version stage and promotion run, and the version function's IAM policy from the synthesized template.

const ctx = cloudContext();
const glue = new GlueClient({
  region: ctx.info.region,
  endpoint: ctx.info.endpoints.glue,
  credentials: ctx.info.credentials,
});
const catalog = new GlueTableCatalog(glue);
const logged: Array<{ level: string; message: string; attributes: unknown[] }> = [];
const record =
  (level: string) =>
  (message: string, ...attributes: unknown[]) =>
    void logged.push({ level, message, attributes });
const logger: Logger = {
  debug: record('debug'),
  info: record('info'),
  warn: record('warn'),
  error: record('error'),
};
const deps = { catalog, store: { bucket: ctx.info.dataBucket }, logger };

const schema: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'Score', type: 'float', nullable: true },
    { name: 'ok', type: 'bool', nullable: true },
    { name: 'label', type: 'string', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

async function getTable(tenant: string, dataset: string): Promise<Table> {
  const out = await glue.send(
    new GetTableCommand({ DatabaseName: catalogDatabaseName(tenant), Name: catalogTableName(dataset) }),
  );
  if (!out.Table) throw new Error('GetTable answered no table');
  return out.Table;
}

const columnsOf = (table: Table) => table.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type]);

let tenantA = '';
let tenantB = '';

beforeAll(async () => {
  // Hyphenated on purpose (newTenant adds `-<hex>`): the escaped catalog names are what is exercised.
  ({ tenant: tenantA } = await newTenant(ctx, 'glue-a'));
  ({ tenant: tenantB } = await newTenant(ctx, 'glue-b'));
});

afterAll(() => glue.destroy());

describe('registering datasets’ Delta tables in the Glue Data Catalog', () => {
  it('creates the tenant database and a Delta table at the dataset’s table location', async () => {
    // Act
    const outcome = await registerDatasetTable(deps, tenantA, 'sales', schema);

    // Assess
    expect(outcome).toBe('created');
    const database = await glue.send(new GetDatabaseCommand({ Name: catalogDatabaseName(tenantA) }));
    expect(database.Database?.Name).toBe(catalogDatabaseName(tenantA));
    expect(catalogDatabaseName(tenantA)).toMatch(/^strata_[a-z0-9_]+$/);
    const table = await getTable(tenantA, 'sales');
    const location = datasetTableUri(ctx.info.dataBucket, tenantA, 'sales');
    expect(location).toBe(`s3://${ctx.info.dataBucket}/tables/${tenantA}/sales/`);
    expect(table.TableType).toBe('EXTERNAL_TABLE');
    expect(table.StorageDescriptor?.Location).toBe(location);
    expect(table.StorageDescriptor?.SerdeInfo?.Parameters?.path).toBe(location);
    expect(table.Parameters).toMatchObject({ table_type: 'DELTA', 'spark.sql.sources.provider': 'delta' });
    expect(columnsOf(table)).toEqual([
      ['id', 'bigint'],
      ['score', 'double'],
      ['ok', 'boolean'],
      ['label', 'string'],
      ['at', 'timestamp'],
    ]);
  });

  it('answers unchanged for a second registration of the same table', async () => {
    // Prepare
    await registerDatasetTable(deps, tenantA, 'repeat', schema);
    const before = await getTable(tenantA, 'repeat');

    // Act
    const outcome = await registerDatasetTable(deps, tenantA, 'repeat', schema);

    // Assess
    expect(outcome).toBe('unchanged');
    const after = await getTable(tenantA, 'repeat');
    expect(after.UpdateTime).toEqual(before.UpdateTime);
    expect(after.VersionId).toEqual(before.VersionId);
  });

  it('updates the columns when the schema grows, and keeps a column a partial schema lacks', async () => {
    // Prepare
    await registerDatasetTable(deps, tenantA, 'growing', schema);
    const grown: TableSchema = {
      columns: [...schema.columns, { name: 'region', type: 'string', nullable: true }],
    };

    // Act
    const added = await registerDatasetTable(deps, tenantA, 'growing', grown);
    const partial = await registerDatasetTable(deps, tenantA, 'growing', schema);

    // Assess
    expect(added).toBe('updated');
    expect(partial).toBe('unchanged');
    const table = await getTable(tenantA, 'growing');
    expect(columnsOf(table)?.map(([name]) => name)).toEqual(['id', 'score', 'ok', 'label', 'at', 'region']);
    expect(table.Parameters).toMatchObject({ table_type: 'DELTA' });
  });

  it('gives sales-eu and sales_eu two tables', async () => {
    // Act
    await registerDatasetTable(deps, tenantA, 'sales-eu', schema);
    await registerDatasetTable(deps, tenantA, 'sales_eu', schema);

    // Assess
    const hyphen = await getTable(tenantA, 'sales-eu');
    const underscore = await getTable(tenantA, 'sales_eu');
    expect(hyphen.Name).not.toBe(underscore.Name);
    expect(hyphen.StorageDescriptor?.Location).toBe(
      datasetTableUri(ctx.info.dataBucket, tenantA, 'sales-eu'),
    );
    expect(underscore.StorageDescriptor?.Location).toBe(
      datasetTableUri(ctx.info.dataBucket, tenantA, 'sales_eu'),
    );
  });

  it('keeps tenants apart: two databases, and one tenant’s registration never touches the other’s', async () => {
    // Prepare
    await registerDatasetTable(deps, tenantA, 'shared-name', schema);
    const before = await getTable(tenantA, 'shared-name');
    const otherSchema: TableSchema = { columns: [{ name: 'only_b', type: 'string', nullable: true }] };

    // Act
    const outcome = await registerDatasetTable(deps, tenantB, 'shared-name', otherSchema);

    // Assess
    expect(outcome).toBe('created');
    expect(catalogDatabaseName(tenantB)).not.toBe(catalogDatabaseName(tenantA));
    const ofB = await getTable(tenantB, 'shared-name');
    expect(ofB.DatabaseName).toBe(catalogDatabaseName(tenantB));
    expect(ofB.StorageDescriptor?.Location).toBe(
      datasetTableUri(ctx.info.dataBucket, tenantB, 'shared-name'),
    );
    expect(columnsOf(ofB)).toEqual([['only_b', 'string']]);
    const after = await getTable(tenantA, 'shared-name');
    expect(after.StorageDescriptor?.Location).toBe(before.StorageDescriptor?.Location);
    expect(columnsOf(after)).toEqual(columnsOf(before));
    expect(after.VersionId).toEqual(before.VersionId);
    expect(after.UpdateTime).toEqual(before.UpdateTime);
  });
});

describe('the version function’s Glue grants', () => {
  const work = mkdtempSync(join(tmpdir(), 'strata-glue-iam-'));
  const saved = { ...process.env };
  let restore: () => void = () => undefined;
  let roleGlue: GlueClient;
  const denials: string[] = [];

  beforeAll(() => {
    // The version function's policy exactly as the synthesized template gives its role.
    const plan = planLocalDeployment(synthesizeTemplate(join(work, 'cdk.out')), {
      stackName: STACK_ID,
      region: ctx.info.region,
      account: ctx.info.account,
      apiEndpoint: 'http://127.0.0.1:0',
    });
    const version = plan.functions.find((f) => f.entry === 'functions/version/handler.ts');
    if (!version?.policy) throw new Error('the plan has no version function with a policy');
    restore = installIamEnforcement(
      {
        functionName: version.name,
        principal: `arn:aws:sts::${ctx.info.account}:assumed-role/version/${version.name}`,
        policy: version.policy,
        scope: { region: ctx.info.region, account: ctx.info.account, tables: {} },
        onDenied: (d) => void denials.push(`${d.action} ${d.resource}`),
        log: () => undefined,
      },
      REPO_ROOT,
    );
    // The role's calls take credentials from the environment, as in Lambda (credentials given in code
    // are someone else's and are not checked against the role).
    process.env.AWS_ACCESS_KEY_ID = ctx.info.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ctx.info.credentials.secretAccessKey;
    roleGlue = new GlueClient({ region: ctx.info.region, endpoint: ctx.info.endpoints.glue });
  }, 120_000);

  afterAll(() => {
    restore();
    roleGlue?.destroy();
    process.env.AWS_ACCESS_KEY_ID = saved.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = saved.AWS_SECRET_ACCESS_KEY;
    if (saved.AWS_ACCESS_KEY_ID === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.AWS_SECRET_ACCESS_KEY === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    rmSync(work, { recursive: true, force: true });
  });

  it('allow registering, updating and re-reading a table in the tenant’s strata_ database', async () => {
    // Prepare
    const roleDeps = { ...deps, catalog: new GlueTableCatalog(roleGlue) };
    const { tenant } = await newTenant(ctx, 'glue-iam');
    const grown: TableSchema = {
      columns: [...schema.columns, { name: 'extra', type: 'int', nullable: true }],
    };

    // Act
    const outcomes = [
      await registerDatasetTable(roleDeps, tenant, 'events', schema),
      await registerDatasetTable(roleDeps, tenant, 'events', grown),
      await registerDatasetTable(roleDeps, tenant, 'events', grown),
    ];

    // Assess
    expect(outcomes).toEqual(['created', 'updated', 'unchanged']);
    expect(denials).toEqual([]);
  });

  it('deny a database outside the strata_ prefix, as a typed error', async () => {
    // Prepare
    const database = `finance_${Date.now()}`;

    // Act
    const read = roleGlue.send(new GetDatabaseCommand({ Name: database }));
    const create = roleGlue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: database } }));

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(create).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(denials).toContain(
      `glue:GetDatabase arn:aws:glue:${ctx.info.region}:${ctx.info.account}:database/${database}`,
    );
    // Nothing was created behind the refusal.
    await expect(glue.send(new GetDatabaseCommand({ Name: database }))).rejects.toMatchObject({
      name: 'EntityNotFoundException',
    });
  });

  it('a refusal reaches the adapter as CatalogError and the use case as a logged failure', async () => {
    // Prepare: a catalog in another account, which the role's grant does not cover.
    const foreign = new GlueTableCatalog(roleGlue, '444455556666');
    const { tenant } = await newTenant(ctx, 'glue-deny');

    // Act
    const direct = foreign.registerTable({
      tenant,
      dataset: 'sales',
      location: datasetTableUri(ctx.info.dataBucket, tenant, 'sales'),
      schema,
    });
    const viaUseCase = await registerDatasetTable({ ...deps, catalog: foreign }, tenant, 'sales', schema);

    // Assess
    await expect(direct).rejects.toBeInstanceOf(CatalogError);
    expect(viaUseCase).toBe('failed');
    expect(logged.some((l) => l.level === 'error' && l.message.includes('not registered'))).toBe(true);
  });
});
