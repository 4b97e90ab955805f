import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkFileFitsTable,
  datasetTableSchema,
  evolveTableSchema,
  fromDeltaSchema,
  parseSchemaString,
  serializeSchema,
  toDeltaSchema,
} from '../../shared/domain/delta/schema.js';
import { COLUMN_TYPES, type TableSchema } from '../../shared/domain/table.js';
import { SchemaMismatchError, TableLogCorruptError } from '../../shared/errors.js';

/** Schemas whose names are unique regardless of case, as a Delta table needs. */
const arbitrarySchema: fc.Arbitrary<TableSchema> = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 10 }),
      type: fc.constantFrom(...COLUMN_TYPES),
      nullable: fc.boolean(),
    }),
    { selector: (c) => c.name.toLowerCase(), maxLength: 8 },
  )
  .map((columns) => ({ columns }));

describe('strata schema ↔ Delta schema', () => {
  it('round-trips every strata schema through the schemaString', () => {
    fc.assert(
      fc.property(arbitrarySchema, (schema) => {
        // Act
        const back = fromDeltaSchema(parseSchemaString(serializeSchema(toDeltaSchema(schema))));

        // Assess
        expect(back).toEqual(schema);
      }),
    );
  });

  it('writes the Delta type of what strata Parquet holds, timestamps as UTC instants', () => {
    // Prepare
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'x', type: 'float', nullable: true },
        { name: 'ok', type: 'bool', nullable: true },
        { name: 's', type: 'string', nullable: true },
        { name: 'at', type: 'timestamp', nullable: true },
      ],
    };

    // Act
    const text = serializeSchema(toDeltaSchema(schema));

    // Assess
    expect(JSON.parse(text)).toEqual({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'x', type: 'double', nullable: true, metadata: {} },
        { name: 'ok', type: 'boolean', nullable: true, metadata: {} },
        { name: 's', type: 'string', nullable: true, metadata: {} },
        { name: 'at', type: 'timestamp', nullable: true, metadata: {} },
      ],
    });
  });

  it('creates a dataset table with every column nullable', () => {
    // Act
    const struct = datasetTableSchema({ columns: [{ name: 'id', type: 'int', nullable: false }] });

    // Assess
    expect(struct.fields).toEqual([{ name: 'id', type: 'long', nullable: true, metadata: {} }]);
  });

  it('refuses names that differ only by case', () => {
    // Act
    const mapping = () =>
      toDeltaSchema({
        columns: [
          { name: 'Id', type: 'int', nullable: true },
          { name: 'ID', type: 'string', nullable: true },
        ],
      });

    // Assess
    expect(mapping).toThrow(SchemaMismatchError);
  });

  it("reads other writers' types as strata's Parquet reader reads their columns", () => {
    // Prepare
    const text = JSON.stringify({
      type: 'struct',
      fields: [
        ['i', 'integer'],
        ['b', 'byte'],
        ['d', 'decimal(10,2)'],
        ['f', 'float'],
        ['day', 'date'],
        ['ntz', 'timestamp_ntz'],
        ['bin', 'binary'],
        ['nested', { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] }],
        ['list', { type: 'array', elementType: 'string', containsNull: true }],
        ['map', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
      ].map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
    });

    // Act
    const schema = fromDeltaSchema(parseSchemaString(text));

    // Assess
    expect(schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['i', 'int'],
      ['b', 'int'],
      ['d', 'float'],
      ['f', 'float'],
      ['day', 'timestamp'],
      ['ntz', 'timestamp'],
      ['bin', 'string'],
      ['nested', 'string'],
      ['list', 'string'],
      ['map', 'string'],
    ]);
  });

  it('refuses a schemaString that is not a struct', () => {
    // Act
    const parsing = () => parseSchemaString('{"type":"array","elementType":"long"}');

    // Assess
    expect(parsing).toThrow(TableLogCorruptError);
  });
});

describe('a data file fits its table', () => {
  const table = datasetTableSchema({
    columns: [
      { name: 'id', type: 'int', nullable: false },
      { name: 'label', type: 'string', nullable: true },
    ],
  });

  it('with the same columns in any order and any nullability', () => {
    // Act
    const check = () =>
      checkFileFitsTable(table, {
        columns: [
          { name: 'label', type: 'string', nullable: false },
          { name: 'id', type: 'int', nullable: true },
        ],
      });

    // Assess
    expect(check).not.toThrow();
  });

  it('without a nullable column (readers fill in nulls)', () => {
    // Act
    const check = () => checkFileFitsTable(table, { columns: [{ name: 'id', type: 'int', nullable: true }] });

    // Assess
    expect(check).not.toThrow();
  });

  it('not with another type, an unknown column, or nulls in a non-nullable column', () => {
    // Prepare
    const strict = toDeltaSchema({ columns: [{ name: 'id', type: 'int', nullable: false }] });

    // Act
    const retyped = () =>
      checkFileFitsTable(table, { columns: [{ name: 'id', type: 'float', nullable: true }] });
    const extra = () =>
      checkFileFitsTable(table, {
        columns: [
          { name: 'id', type: 'int', nullable: true },
          { name: 'new', type: 'int', nullable: true },
        ],
      });
    const nullable = () =>
      checkFileFitsTable(strict, { columns: [{ name: 'id', type: 'int', nullable: true }] });
    const missing = () => checkFileFitsTable(strict, { columns: [] });

    // Assess
    expect(retyped).toThrow(/"id" is "double" in the file and "long" in the table/);
    expect(extra).toThrow(/"new" is not in the table/);
    expect(nullable).toThrow(/non-nullable/);
    expect(missing).toThrow(/lacks the table's non-nullable column "id"/);
  });
});

describe("a data file's new columns join the table", () => {
  const table = datasetTableSchema({
    columns: [
      { name: 'ts', type: 'timestamp', nullable: false },
      { name: 'temperature', type: 'float', nullable: true },
    ],
  });

  it('appended to the fields, nullable, the existing ones untouched', () => {
    // Act
    const evolved = evolveTableSchema(table, {
      columns: [
        { name: 'humidity', type: 'float', nullable: false },
        { name: 'ts', type: 'timestamp', nullable: false },
      ],
    });

    // Assess
    expect(evolved?.fields).toEqual([
      ...table.fields,
      { name: 'humidity', type: 'double', nullable: true, metadata: {} },
    ]);
  });

  it('and nothing changes for a file that fits as it is', () => {
    expect(
      evolveTableSchema(table, { columns: [{ name: 'temperature', type: 'float', nullable: true }] }),
    ).toBeUndefined();
  });

  it('but not a column of another type, nor a name that differs from a column only by case', () => {
    // Act
    const retyped = () =>
      evolveTableSchema(table, { columns: [{ name: 'temperature', type: 'int', nullable: true }] });
    const cased = () =>
      evolveTableSchema(table, { columns: [{ name: 'Temperature', type: 'float', nullable: true }] });

    // Assess
    expect(retyped).toThrow(SchemaMismatchError);
    expect(retyped).toThrow(/"temperature" is "long" in the file and "double" in the table/);
    expect(cased).toThrow(/differs from the table's "temperature" only by case/);
  });

  it('so that the file fits the evolved table, the table keeps its prefix, and evolving again adds nothing', () => {
    fc.assert(
      fc.property(arbitrarySchema, arbitrarySchema, (first, file) => {
        // Prepare
        const start = datasetTableSchema(first);
        let evolved: ReturnType<typeof evolveTableSchema>;
        try {
          evolved = evolveTableSchema(start, file);
        } catch (error) {
          // Refused only when a shared name has another type, or another case.
          expect(error).toBeInstanceOf(SchemaMismatchError);
          const clash = file.columns.some((c) =>
            first.columns.some(
              (t) =>
                t.name.toLowerCase() === c.name.toLowerCase() && (t.name !== c.name || t.type !== c.type),
            ),
          );
          expect(clash).toBe(true);
          return;
        }
        const after = evolved ?? start;

        // Assess
        expect(() => checkFileFitsTable(after, file)).not.toThrow();
        expect(after.fields.slice(0, start.fields.length)).toEqual(start.fields);
        expect(evolveTableSchema(after, file)).toBeUndefined();
        expect(evolved === undefined).toBe(
          file.columns.every((c) => first.columns.some((t) => t.name === c.name)),
        );
      }),
    );
  });
});
