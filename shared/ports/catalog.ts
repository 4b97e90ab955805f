/**
 * The metastore other engines find datasets' Delta tables through (the Glue Data Catalog, which Athena
 * queries): one database per tenant, one table per dataset, pointing at the table's location.
 */
import type { TableSchema } from '../domain/table.js';

export interface TableRegistration {
  tenant: string;
  dataset: string;
  /** The table's root as other engines name it: `s3://<bucket>/tables/<tenant>/<dataset>/`. */
  location: string;
  /** The table's columns (what the catalog lists; Athena reads the schema from the Delta log itself). */
  schema: TableSchema;
}

export interface TableCatalog {
  /**
   * Creates the tenant's database if missing and the dataset's table, or updates the table when its
   * location, Delta parameters or columns differ; 'unchanged' when it already held all that. Safe to
   * repeat and to race (a concurrent create is not an error). Registered columns are never dropped: a
   * Delta schema only grows. Throws TransientError when the catalog failed in a way a retry may fix,
   * CatalogError when it refused (permissions, limits).
   */
  registerTable(registration: TableRegistration): Promise<'created' | 'updated' | 'unchanged'>;
}
