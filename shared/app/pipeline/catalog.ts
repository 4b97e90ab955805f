/**
 * A dataset's Delta table in the table catalog (Glue Data Catalog), so that other engines find it by name:
 * `SELECT … FROM strata_<tenant>.<dataset>` in Athena. Called after a commit to the table (the version
 * stage, promotion); each call brings the catalog's entry up to date with the table's location and columns.
 */
import { catalogColumns, catalogDatabaseName, catalogTableName } from '../../domain/catalog.js';
import { datasetTableUri } from '../../domain/object-key.js';
import type { TableSchema } from '../../domain/table.js';
import { CatalogError } from '../../errors.js';
import type { Logger, ObjectStore, TableCatalog } from '../../ports.js';

export interface CatalogDeps {
  catalog: TableCatalog;
  /** The data bucket the table is in (its name: the table's location). */
  store: Pick<ObjectStore, 'bucket'>;
  logger: Logger;
}

/**
 * Registers the dataset's table with `schema`, the table's schema after the commit (columns the catalog
 * already lists and the schema lacks are kept). Idempotent: a repeated call answers 'unchanged'.
 *
 * The commit is done by then, so the catalog never undoes it: a TransientError is thrown (the caller's
 * stage retries, and every step before this one is idempotent too), while a refusal a retry cannot fix
 * (CatalogError: a missing grant, a Glue limit) is logged as an error and answered 'failed', rather than
 * failing a stage whose data is already in the table. The next commit of the dataset registers it again.
 */
export async function registerDatasetTable(
  deps: CatalogDeps,
  tenant: string,
  dataset: string,
  schema: TableSchema,
): Promise<'created' | 'updated' | 'unchanged' | 'failed'> {
  const where = { tenant, dataset, database: catalogDatabaseName(tenant), table: catalogTableName(dataset) };
  const { omitted } = catalogColumns(schema);
  if (omitted.length > 0) {
    // Still queried: Athena reads a Delta table's columns from its log.
    deps.logger.warn('columns left out of the catalog: names Glue cannot hold', {
      ...where,
      omitted: omitted.slice(0, 10).map((name) => name.slice(0, 64)),
      omittedCount: omitted.length,
    });
  }
  try {
    const outcome = await deps.catalog.registerTable({
      tenant,
      dataset,
      location: datasetTableUri(deps.store.bucket, tenant, dataset),
      schema,
    });
    if (outcome !== 'unchanged')
      deps.logger.info('dataset table registered in the catalog', { ...where, outcome });
    return outcome;
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    deps.logger.error('dataset table not registered in the catalog', { ...where, error: error.message });
    return 'failed';
  }
}
