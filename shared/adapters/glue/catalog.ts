/**
 * TableCatalog over the Glue Data Catalog: datasets' Delta tables registered the way Athena reads them
 * natively (`table_type` DELTA at the table's location; the schema and files come from the Delta log).
 */
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetDatabaseCommand,
  GetTableCommand,
  type GlueClient,
  type Table,
  type TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import {
  type CatalogColumn,
  type CatalogTable,
  catalogColumns,
  catalogDatabaseName,
  catalogTableName,
  DELTA_TABLE_PARAMETERS,
  mergeCatalogColumns,
  sameColumns,
} from '../../domain/catalog.js';
import { CatalogError, TransientError } from '../../errors.js';
import type { TableCatalog, TableRegistration } from '../../ports.js';
import { isRetryableSdkError, sdkErrorName } from '../sdk-errors.js';

/** Glue answers these when a retry may succeed: another writer's update, a slow backend. */
const TRANSIENT_GLUE_ERRORS = new Set([
  'ConcurrentModificationException',
  'OperationTimeoutException',
  'InternalServiceException',
  'ThrottlingException',
]);

/** Rounds of read, compare and write when concurrent writers keep changing the table meanwhile. */
const ATTEMPTS = 3;

export class GlueTableCatalog implements TableCatalog {
  constructor(
    private readonly glue: GlueClient,
    /** The account whose catalog holds the databases; absent: the caller's own. */
    private readonly catalogId?: string,
  ) {}

  async registerTable(r: TableRegistration): Promise<'created' | 'updated' | 'unchanged'> {
    const wanted: CatalogTable = {
      database: catalogDatabaseName(r.tenant),
      table: catalogTableName(r.dataset),
      location: r.location,
      columns: catalogColumns(r.schema).columns,
    };
    const describe = { tenant: r.tenant, dataset: r.dataset };
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const existing = await this.getTable(wanted);
        if (existing === undefined) {
          await this.ensureDatabase(wanted.database, r.tenant);
          if (await this.createTable(wanted, describe)) return 'created';
          continue; // created by a concurrent registration: compare with what it wrote
        }
        const columns = mergeCatalogColumns(columnsOf(existing), wanted.columns);
        if (isCurrent(existing, { ...wanted, columns })) return 'unchanged';
        await this.send('UpdateTable', wanted, () =>
          this.glue.send(
            new UpdateTableCommand({
              ...this.catalog(),
              DatabaseName: wanted.database,
              TableInput: tableInput({ ...wanted, columns }, describe, existing.Parameters),
              // Optimistic: a concurrent update in between fails this one (ConcurrentModification).
              ...(existing.VersionId !== undefined && { VersionId: existing.VersionId }),
            }),
          ),
        );
        return 'updated';
      } catch (error) {
        if (error instanceof TransientError && attempt < ATTEMPTS && isConcurrentModification(error))
          continue;
        throw error;
      }
    }
    throw new TransientError(
      `Glue table ${wanted.database}.${wanted.table} kept changing under concurrent registrations`,
    );
  }

  private catalog() {
    return this.catalogId === undefined ? {} : { CatalogId: this.catalogId };
  }

  /** The table, or undefined when it (or its database) does not exist. */
  private async getTable(t: CatalogTable): Promise<Table | undefined> {
    try {
      const out = await this.glue.send(
        new GetTableCommand({ ...this.catalog(), DatabaseName: t.database, Name: t.table }),
      );
      return out.Table;
    } catch (error) {
      if (sdkErrorName(error) === 'EntityNotFoundException') return undefined;
      throw catalogError('GetTable', t, error);
    }
  }

  private async ensureDatabase(database: string, tenant: string): Promise<void> {
    try {
      await this.glue.send(new GetDatabaseCommand({ ...this.catalog(), Name: database }));
      return;
    } catch (error) {
      if (sdkErrorName(error) !== 'EntityNotFoundException')
        throw catalogError('GetDatabase', { database }, error);
    }
    try {
      await this.glue.send(
        new CreateDatabaseCommand({
          ...this.catalog(),
          DatabaseInput: {
            Name: database,
            Description: `strata tenant "${tenant}": its datasets' Delta tables`,
          },
        }),
      );
    } catch (error) {
      // Another registration of this tenant created it meanwhile.
      if (sdkErrorName(error) === 'AlreadyExistsException') return;
      throw catalogError('CreateDatabase', { database }, error);
    }
  }

  /** False when a concurrent registration created the table first. */
  private async createTable(t: CatalogTable, describe: Describe): Promise<boolean> {
    try {
      await this.glue.send(
        new CreateTableCommand({
          ...this.catalog(),
          DatabaseName: t.database,
          TableInput: tableInput(t, describe, undefined),
        }),
      );
      return true;
    } catch (error) {
      if (sdkErrorName(error) === 'AlreadyExistsException') return false;
      throw catalogError('CreateTable', t, error);
    }
  }

  private async send<T>(operation: string, t: CatalogTable, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw catalogError(operation, t, error);
    }
  }
}

interface Describe {
  tenant: string;
  dataset: string;
}

/**
 * The whole table definition (UpdateTable replaces it): Delta's parameters over whatever others set
 * (statistics, a person's notes), no partitions (Athena wants the empty list), and the location twice, as
 * Athena's own Delta DDL does (the storage location and the SerDe's `path`). No input or output format:
 * the root holds data files of every Delta version, so reading it as plain Parquet would be wrong.
 */
function tableInput(
  t: CatalogTable,
  d: Describe,
  parameters: Record<string, string> | undefined,
): TableInput {
  return {
    Name: t.table,
    Description: `strata dataset "${d.dataset}" of tenant "${d.tenant}" (Delta Lake)`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { ...parameters, ...DELTA_TABLE_PARAMETERS },
    PartitionKeys: [],
    StorageDescriptor: {
      Columns: t.columns.map((c) => ({ Name: c.name, Type: c.type })),
      Location: t.location,
      SerdeInfo: { Parameters: { path: t.location } },
    },
  };
}

function columnsOf(table: Table): CatalogColumn[] {
  return (table.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? '' }));
}

function isCurrent(existing: Table, t: CatalogTable): boolean {
  const sd = existing.StorageDescriptor;
  return (
    existing.TableType === 'EXTERNAL_TABLE' &&
    sd?.Location === t.location &&
    sd.SerdeInfo?.Parameters?.path === t.location &&
    Object.entries(DELTA_TABLE_PARAMETERS).every(([k, v]) => existing.Parameters?.[k] === v) &&
    sameColumns(columnsOf(existing), t.columns)
  );
}

function isConcurrentModification(error: TransientError): boolean {
  return sdkErrorName(error.cause) === 'ConcurrentModificationException';
}

/** A retry may fix it: TransientError (the stage retries; registration is idempotent). Else CatalogError. */
function catalogError(
  operation: string,
  t: { database: string; table?: string },
  error: unknown,
): TransientError | CatalogError {
  const name = sdkErrorName(error) ?? 'unknown';
  const what = t.table === undefined ? t.database : `${t.database}.${t.table}`;
  if (isRetryableSdkError(error) || TRANSIENT_GLUE_ERRORS.has(name)) {
    return new TransientError(`Glue ${operation} of ${what} failed transiently: ${name}`, { cause: error });
  }
  const detail = error instanceof Error ? `: ${error.message.slice(0, 300)}` : '';
  return new CatalogError(`Glue ${operation} of ${what} refused: ${name}${detail}`, { cause: error });
}
