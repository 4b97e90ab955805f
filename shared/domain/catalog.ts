/**
 * How a dataset's Delta table is named and described in a Hive-style catalog (the Glue Data Catalog, which
 * Athena queries): one database per tenant (`strata_<tenant>`), one table per dataset, columns in Hive
 * types. Pure: the adapter sends what these build.
 */
import type { ColumnType, TableSchema } from './table.js';

/** Every tenant database starts so: a catalog shared with other applications shows whose they are. */
export const CATALOG_DATABASE_PREFIX = 'strata_';

/**
 * A strata name (tenant or dataset) as a catalog name: Glue and Athena take lowercase letters, digits and
 * underscores, while strata names (`[a-z0-9][a-z0-9_-]{0,62}`, object-key.ts isValidName) may also hold
 * hyphens, so `sales-eu` and `sales_eu` are two datasets. Mapping `-` to `_` would give both one table,
 * and one tenant's registration would overwrite the other's. Collisions cannot happen with this mapping,
 * as it is injective:
 * - a name without a hyphen is itself (the common case stays readable: `strata_acme.sales_eu`); it starts
 *   with a letter or digit, since every strata name does;
 * - a name with a hyphen starts with `_`, which no name of the first kind does, followed by the name in a
 *   prefix-free code: letters and digits as themselves, `-` as `__`, `_` as `_u`. Every `_` in it begins a
 *   two-character code word, so it reads back one way only (`sales-eu` → `_sales__eu`, `a_-b` → `_a_u__b`,
 *   `a-_b` → `_a___ub`).
 * Both kinds are 255 characters at most (Glue's limit): 1 + 2 × 63.
 */
export function catalogName(name: string): string {
  if (!name.includes('-')) return name;
  return `_${name.replace(/[-_]/g, (c) => (c === '-' ? '__' : '_u'))}`;
}

/** The tenant's database: `strata_<tenant>` (prefix + an injective name: one database per tenant). */
export function catalogDatabaseName(tenant: string): string {
  return `${CATALOG_DATABASE_PREFIX}${catalogName(tenant)}`;
}

/** The dataset's table in its tenant's database. */
export function catalogTableName(dataset: string): string {
  return catalogName(dataset);
}

/** strata's column types as Hive types: int is a 64-bit Delta `long`, float a `double`. */
const HIVE_TYPES: Record<ColumnType, string> = {
  int: 'bigint',
  float: 'double',
  bool: 'boolean',
  string: 'string',
  timestamp: 'timestamp',
};

export function hiveType(type: ColumnType): string {
  return HIVE_TYPES[type];
}

export interface CatalogColumn {
  name: string;
  type: string;
}

/** Glue's limit on a column name, in UTF-8 bytes. */
export const CATALOG_COLUMN_NAME_BYTES = 255;

/**
 * The columns a catalog lists for the schema, lowercased as Hive keeps them (a Delta table has no two
 * names that differ only by case), and the names it cannot hold: longer than Glue's 255 bytes, or with a
 * control character (Glue takes single-line names only). Those are left out of the catalog's list only:
 * Athena reads a Delta table's schema from its log, so they are still queried.
 */
export function catalogColumns(schema: TableSchema): { columns: CatalogColumn[]; omitted: string[] } {
  const columns: CatalogColumn[] = [];
  const omitted: string[] = [];
  for (const column of schema.columns) {
    const name = column.name.toLowerCase();
    const fits =
      name !== '' &&
      Buffer.byteLength(name) <= CATALOG_COLUMN_NAME_BYTES &&
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
      !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(name);
    if (fits) columns.push({ name, type: hiveType(column.type) });
    else omitted.push(column.name);
  }
  return { columns, omitted };
}

/**
 * The columns to register when the catalog already lists `existing`: those in their order (with the
 * type `wanted` gives, where it names them), then the wanted ones it lacks. A Delta table's schema only
 * grows (new columns are appended, none is dropped or retyped), so a wanted list without one of the
 * registered columns is an older or partial view of the table (a writer that lost a race, a file without
 * a nullable column) and must not take it out of the catalog.
 */
export function mergeCatalogColumns(
  existing: readonly CatalogColumn[],
  wanted: readonly CatalogColumn[],
): CatalogColumn[] {
  const wantedByName = new Map(wanted.map((c) => [c.name, c]));
  const merged = existing.map((c) => wantedByName.get(c.name) ?? c);
  const known = new Set(existing.map((c) => c.name));
  return [...merged, ...wanted.filter((c) => !known.has(c.name))];
}

export function sameColumns(a: readonly CatalogColumn[], b: readonly CatalogColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i]?.name && c.type === b[i]?.type);
}

/**
 * The table parameters Athena reads a Delta table by (its schema and files come from `_delta_log/` at
 * the location), as Glue's own Delta crawler writes them.
 */
export const DELTA_TABLE_PARAMETERS: Readonly<Record<string, string>> = {
  table_type: 'DELTA',
  'spark.sql.sources.provider': 'delta',
  classification: 'delta',
  EXTERNAL: 'TRUE',
};

/** What the catalog should hold for one dataset's table. */
export interface CatalogTable {
  database: string;
  table: string;
  /** `s3://<bucket>/tables/<tenant>/<dataset>/` (datasetTableUri). */
  location: string;
  columns: CatalogColumn[];
}
