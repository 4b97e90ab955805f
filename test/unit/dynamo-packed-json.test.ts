import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  INLINE_JSON_BYTES,
  PACKED_LIMIT_BYTES,
  packJson,
  unpackJson,
} from '../../shared/adapters/dynamo/packed-json.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import { InvalidInputError } from '../../shared/errors.js';

function schemaOf(names: string[]): TableSchema {
  return { columns: names.map((name, i) => ({ name, type: 'float', nullable: i % 2 === 0 })) };
}

describe('JSON values packed for a DynamoDB item', () => {
  it('stores a small value as it is, as items written before are', () => {
    // Prepare
    const schema = schemaOf(['id', 'amount']);

    // Act
    const stored = packJson(schema, 'the schema');

    // Assess
    expect(stored).toBe(schema);
    expect(unpackJson(stored)).toEqual(schema);
  });

  it('compresses the schema and inferred suite of 2,000 columns of 200-character names to fit an item', () => {
    // Prepare
    const schema = schemaOf(
      Array.from({ length: 2000 }, (_, i) => `col${String(i).padStart(4, '0')}_`.padEnd(200, 'x')),
    );
    const suite = suiteFromSchema(schema);

    // Act
    const storedSchema = packJson(schema, 'the schema');
    const storedSuite = packJson(suite, 'the validation suite');

    // Assess
    expect(Buffer.byteLength(JSON.stringify(schema))).toBeGreaterThan(400 * 1024);
    expect(Buffer.byteLength(JSON.stringify(suite))).toBeGreaterThan(1024 * 1024);
    // A Uint8Array: the document client stores it as a Binary attribute (the integration test reads it back).
    expect(storedSchema).toBeInstanceOf(Uint8Array);
    expect((storedSchema as Uint8Array).byteLength).toBeLessThan(INLINE_JSON_BYTES);
    expect((storedSuite as Uint8Array).byteLength).toBeLessThan(INLINE_JSON_BYTES);
    expect(unpackJson(storedSchema)).toEqual(schema);
    expect(unpackJson(storedSuite)).toEqual(suite);
  });

  it('refuses, naming the sizes, a value that stays too large compressed', () => {
    // Prepare: names of random letters barely compress.
    const schema = schemaOf(Array.from({ length: 2000 }, () => randomBytes(192).toString('base64')));

    // Act
    const pack = () => packJson(schema, 'the schema of 2000 columns');

    // Assess
    expect(pack).toThrow(InvalidInputError);
    expect(pack).toThrow(
      new RegExp(
        `^the schema of 2000 columns is \\d+ KB as JSON and still \\d+ KB compressed, more than the ${PACKED_LIMIT_BYTES / 1024} KB`,
      ),
    );
  });
});
