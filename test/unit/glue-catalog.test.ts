import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetDatabaseCommand,
  GetTableCommand,
  GlueClient,
  GlueServiceException,
  type Table,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { GlueTableCatalog } from '../../shared/adapters/glue/catalog.js';
import { DELTA_TABLE_PARAMETERS } from '../../shared/domain/catalog.js';
import { CatalogError, TransientError } from '../../shared/errors.js';

// Error paths only (the Glue server cannot be made to answer these on demand); the behaviour against a
// real catalog is in test/integration/glue-catalog.test.ts.

const glue = mockClient(GlueClient);
const catalog = new GlueTableCatalog(glue as unknown as GlueClient);
const LOCATION = 's3://bucket/tables/acme/sales/';
const registration = {
  tenant: 'acme',
  dataset: 'sales',
  location: LOCATION,
  schema: { columns: [{ name: 'id', type: 'int' as const, nullable: false }] },
};

function glueError(name: string, status: number) {
  return new GlueServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

const current: Table = {
  Name: 'sales',
  DatabaseName: 'strata_acme',
  TableType: 'EXTERNAL_TABLE',
  Parameters: { ...DELTA_TABLE_PARAMETERS },
  StorageDescriptor: {
    Location: LOCATION,
    SerdeInfo: { Parameters: { path: LOCATION } },
    Columns: [{ Name: 'id', Type: 'bigint' }],
  },
};

beforeEach(() => glue.reset());

describe('GlueTableCatalog error paths', () => {
  it('takes a table a concurrent registration created first as that table, not as an error', async () => {
    // Prepare
    glue
      .on(GetTableCommand)
      .rejectsOnce(glueError('EntityNotFoundException', 400))
      .resolves({ Table: current });
    glue.on(GetDatabaseCommand).resolves({ Database: { Name: 'strata_acme' } });
    glue.on(CreateTableCommand).rejects(glueError('AlreadyExistsException', 400));

    // Act
    const outcome = await catalog.registerTable(registration);

    // Assess
    expect(outcome).toBe('unchanged');
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('takes a database a concurrent registration created first as created', async () => {
    // Prepare
    glue.on(GetTableCommand).rejects(glueError('EntityNotFoundException', 400));
    glue.on(GetDatabaseCommand).rejects(glueError('EntityNotFoundException', 400));
    glue.on(CreateDatabaseCommand).rejects(glueError('AlreadyExistsException', 400));
    glue.on(CreateTableCommand).resolves({});

    // Act
    const outcome = await catalog.registerTable(registration);

    // Assess
    expect(outcome).toBe('created');
  });

  it('reads again and retries when another writer updated the table in between', async () => {
    // Prepare
    const stale = {
      ...current,
      VersionId: '1',
      StorageDescriptor: { ...current.StorageDescriptor, Columns: [] },
    };
    glue.on(GetTableCommand).resolves({ Table: stale });
    glue.on(UpdateTableCommand).rejectsOnce(glueError('ConcurrentModificationException', 400)).resolves({});

    // Act
    const outcome = await catalog.registerTable(registration);

    // Assess
    expect(outcome).toBe('updated');
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(2);
    expect(glue.commandCalls(UpdateTableCommand)[0]?.args[0].input.VersionId).toBe('1');
  });

  it('gives up with TransientError when the table keeps changing', async () => {
    // Prepare
    glue.on(GetTableCommand).resolves({ Table: { ...current, Parameters: {} } });
    glue.on(UpdateTableCommand).rejects(glueError('ConcurrentModificationException', 400));

    // Act
    const outcome = catalog.registerTable(registration);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(TransientError);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(3);
  });

  it.each([
    ['ThrottlingException', 400, TransientError],
    ['InternalServiceException', 500, TransientError],
    ['SlowDown', 503, TransientError],
    ['AccessDeniedException', 400, CatalogError],
    ['InvalidInputException', 400, CatalogError],
    ['ResourceNumberLimitExceededException', 400, CatalogError],
  ])('answers %s (%i) with the typed error a caller acts on', async (name, status, type) => {
    // Prepare
    glue.on(GetTableCommand).rejects(glueError(name, status));

    // Act
    const outcome = catalog.registerTable(registration);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(type);
  });
});
