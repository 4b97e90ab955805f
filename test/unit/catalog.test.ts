import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CatalogColumn,
  catalogColumns,
  catalogDatabaseName,
  catalogName,
  catalogTableName,
  mergeCatalogColumns,
} from '../../shared/domain/catalog.js';
import { isValidName } from '../../shared/domain/object-key.js';
import { COLUMN_TYPES, type TableSchema } from '../../shared/domain/table.js';

/** Every name strata accepts for a tenant or a dataset (object-key.ts isValidName). */
const strataName = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
/** Names made mostly of separators, where a lossy mapping would collide. */
const separatorHeavy = fc
  .array(fc.constantFrom('a', '1', '-', '_'), { minLength: 0, maxLength: 12 })
  .map((chars) => `x${chars.join('')}`);

/** Reads a catalog name back (the test's own decoder: a round trip proves the mapping loses nothing). */
function decode(encoded: string): string {
  if (!encoded.startsWith('_')) return encoded;
  let out = '';
  for (let i = 1; i < encoded.length; i++) {
    const c = encoded[i];
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = encoded[++i];
    if (next === '_') out += '-';
    else if (next === 'u') out += '_';
    else throw new Error(`not a code word: _${next ?? ''} in ${encoded}`);
  }
  return out;
}

describe('catalog names', () => {
  it('keeps a name without hyphens as it is and prefixes the tenant database with strata_', () => {
    // Act
    const database = catalogDatabaseName('acme');
    const table = catalogTableName('sales_eu_2024');

    // Assess
    expect(database).toBe('strata_acme');
    expect(table).toBe('sales_eu_2024');
  });

  it('gives sales-eu and sales_eu two tables', () => {
    // Act
    const hyphen = catalogTableName('sales-eu');
    const underscore = catalogTableName('sales_eu');

    // Assess
    expect(hyphen).toBe('_sales__eu');
    expect(underscore).toBe('sales_eu');
  });

  it('maps every strata name into the alphabet Glue and Athena accept, within 255 characters', () => {
    fc.assert(
      fc.property(strataName, (name) => {
        // Act
        const database = catalogDatabaseName(name);
        const table = catalogTableName(name);

        // Assess
        expect(database).toMatch(/^[a-z0-9_]{1,255}$/);
        expect(table).toMatch(/^[a-z0-9_]{1,255}$/);
      }),
    );
  });

  it('reads back to the same name, so two names never share a database or a table', () => {
    fc.assert(
      fc.property(fc.oneof(strataName, separatorHeavy), (name) => {
        // Act
        const encoded = catalogName(name);

        // Assess
        expect(decode(encoded)).toBe(name);
      }),
    );
  });

  it('never maps two different names to one catalog name', () => {
    fc.assert(
      fc.property(fc.oneof(strataName, separatorHeavy), fc.oneof(strataName, separatorHeavy), (a, b) => {
        // Prepare
        fc.pre(a !== b && isValidName(a) && isValidName(b));

        // Act
        const same =
          catalogDatabaseName(a) === catalogDatabaseName(b) || catalogTableName(a) === catalogTableName(b);

        // Assess
        expect(same).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('catalog columns', () => {
  it('maps strata types to Hive types and lowercases names', () => {
    // Prepare
    const schema: TableSchema = {
      columns: [
        { name: 'Id', type: 'int', nullable: false },
        { name: 'score', type: 'float', nullable: true },
        { name: 'ok', type: 'bool', nullable: true },
        { name: 'label', type: 'string', nullable: true },
        { name: 'at', type: 'timestamp', nullable: true },
      ],
    };

    // Act
    const { columns, omitted } = catalogColumns(schema);

    // Assess
    expect(columns).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'score', type: 'double' },
      { name: 'ok', type: 'boolean' },
      { name: 'label', type: 'string' },
      { name: 'at', type: 'timestamp' },
    ]);
    expect(omitted).toEqual([]);
  });

  it('leaves out names Glue cannot hold and keeps every other column in order', () => {
    // Prepare
    const long = 'é'.repeat(128); // 256 bytes in UTF-8
    const schema: TableSchema = {
      columns: [
        { name: 'a', type: 'int', nullable: true },
        { name: long, type: 'string', nullable: true },
        { name: 'two\nlines', type: 'string', nullable: true },
        { name: 'tab\there', type: 'string', nullable: true },
      ],
    };

    // Act
    const { columns, omitted } = catalogColumns(schema);

    // Assess
    expect(columns.map((c) => c.name)).toEqual(['a', 'tab\there']);
    expect(omitted).toEqual([long, 'two\nlines']);
  });

  it('accounts for every column: each is either listed with its Hive type or omitted', () => {
    const column = fc.record({
      name: fc.string({ minLength: 1, maxLength: 300 }),
      type: fc.constantFrom(...COLUMN_TYPES),
      nullable: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(column, { maxLength: 20 }), (columns) => {
        // Act
        const out = catalogColumns({ columns });

        // Assess
        expect(out.columns.length + out.omitted.length).toBe(columns.length);
        for (const c of out.columns) expect(Buffer.byteLength(c.name)).toBeLessThanOrEqual(255);
      }),
    );
  });
});

describe('merging registered columns', () => {
  const col = (name: string, type = 'string'): CatalogColumn => ({ name, type });

  it('appends new columns after the registered ones', () => {
    // Act
    const merged = mergeCatalogColumns([col('a'), col('b')], [col('a'), col('b'), col('c', 'bigint')]);

    // Assess
    expect(merged).toEqual([col('a'), col('b'), col('c', 'bigint')]);
  });

  it('keeps a registered column that the wanted list lacks, in its place', () => {
    // Act
    const merged = mergeCatalogColumns([col('a'), col('b'), col('c')], [col('a'), col('c')]);

    // Assess
    expect(merged).toEqual([col('a'), col('b'), col('c')]);
  });

  it('is what the wanted list says when nothing is registered, and a fixed point when repeated', () => {
    const columns = fc.uniqueArray(
      fc.record({ name: fc.stringMatching(/^[a-z]{1,4}$/), type: fc.constantFrom('bigint', 'string') }),
      { selector: (c) => c.name, maxLength: 8 },
    );
    fc.assert(
      fc.property(columns, columns, (existing, wanted) => {
        // Act
        const fresh = mergeCatalogColumns([], wanted);
        const once = mergeCatalogColumns(existing, wanted);
        const twice = mergeCatalogColumns(once, wanted);

        // Assess
        expect(fresh).toEqual(wanted);
        expect(twice).toEqual(once);
        for (const c of [...existing, ...wanted]) expect(once.some((m) => m.name === c.name)).toBe(true);
      }),
    );
  });
});
