/**
 * Step Functions state is capped at 256 KB, and a state over it fails the execution with
 * States.DataLimitExceeded, which no Catch sees: the file would not even be quarantined. The stages pass
 * keys and counts, never schemas or reports; these tests run every stage over the widest file the parser
 * accepts (2,000 columns, names of 256 characters) and check what each adds to the state stays small.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { TableWriters } from '../../shared/adapters/delta/table-writer.js';
import { packJson } from '../../shared/adapters/dynamo/packed-json.js';
import type { StageDeps } from '../../shared/app/pipeline/artifacts.js';
import { driftStage } from '../../shared/app/pipeline/drift.js';
import { parseStage } from '../../shared/app/pipeline/parse.js';
import { profileStage } from '../../shared/app/pipeline/profile.js';
import { qualityStage } from '../../shared/app/pipeline/quality.js';
import { validateStage } from '../../shared/app/pipeline/validate.js';
import {
  OUTPUT_COLUMN_NAMES,
  outputColumns,
  type VersionDatasetDeps,
  versionDataset,
} from '../../shared/app/pipeline/version.js';
import type { DatasetRecord } from '../../shared/domain/dataset.js';
import type { FileRecord } from '../../shared/domain/file-record.js';
import { COLUMN_TYPES, type ColumnType, type TableSchema } from '../../shared/domain/table.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import type { VersionRecord } from '../../shared/domain/version.js';
import { InvalidInputError } from '../../shared/errors.js';
import { openParquet } from '../../shared/formats/parquet.js';
import type { DatasetStore, ObjectStore, VersionStore } from '../../shared/ports.js';
import {
  afterDriftSchema,
  afterParseSchema,
  afterProfileSchema,
  afterQualitySchema,
  afterRegisterSchema,
  afterValidateSchema,
} from '../../shared/schemas/ingestion.js';
import { MemoryTableLogs } from '../support/memory-table-log.js';
import { rangeSource } from './parse/sources.js';

/** Far below 256 KB: the state holds a few of these, plus the object key twice and an error's cause. */
const STAGE_BUDGET = 16 * 1024;
const WIDTH = 2000;
const NAME_LENGTH = 256;

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * The widest header the parser accepts with the default limits. Names of 4-byte characters (256 code
 * points, 1 KB of UTF-8 each): the worst case for anything that would carry them.
 */
function wideCsv(rows: number, shift = 0): { csv: string; names: string[] } {
  const names = Array.from({ length: WIDTH }, (_, i) => {
    const head = `c${i}_`;
    return head + '🙂'.repeat(NAME_LENGTH - head.length);
  });
  const lines = [names.map((n) => `"${n}"`).join(',')];
  for (let r = 0; r < rows; r++) {
    lines.push(names.map((_, i) => (i % 2 === 0 ? String(r * 3 + i + shift) : `v${(r + i) % 4}`)).join(','));
  }
  return { csv: `${lines.join('\n')}\n`, names };
}

/** In-memory bucket, dataset and version stores: enough for every stage. */
function world() {
  const objects = new Map<string, Uint8Array>();
  const dataset: DatasetRecord = { tenant: 'acme', dataset: 'wide' } as DatasetRecord;
  const versions = new Map<number, VersionRecord>();
  const store = {
    bucket: 'data',
    async *read(ref: { key: string }) {
      yield objects.get(ref.key) as Uint8Array;
    },
    async write(key: string, chunks: AsyncIterable<Uint8Array>) {
      const parts: Uint8Array[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      objects.set(key, new Uint8Array(Buffer.concat(parts)));
      return { size: objects.get(key)?.byteLength ?? 0 };
    },
    async openRange(ref: { key: string }) {
      return rangeSource(objects.get(ref.key) as Uint8Array);
    },
    async putJson(key: string, value: unknown) {
      objects.set(key, new TextEncoder().encode(JSON.stringify(value)));
    },
    async getJson(key: string) {
      const bytes = objects.get(key);
      return bytes && JSON.parse(new TextDecoder().decode(bytes));
    },
    async copy(from: { key: string }, to: string) {
      if (!objects.has(to)) objects.set(to, objects.get(from.key) as Uint8Array);
    },
    async exists(key: string) {
      return objects.has(key);
    },
    async stat(ref: { key: string }) {
      const size = objects.get(ref.key)?.byteLength ?? 0;
      return { size, eTag: 'e', lastModified: new Date('2026-06-01T00:00:00Z'), metadata: {} };
    },
  } as unknown as ObjectStore;
  const datasets = {
    getDataset: async () => dataset,
    updateFile: async (_t: string, _f: string, _fields: Partial<FileRecord>) => undefined,
    // As the DynamoDB adapters store them: compressed when large, refused when still too large.
    putValidationSuite: async (_t: string, _d: string, suite: unknown) => {
      packJson(suite, 'the validation suite');
      dataset.validationSuite ??= suite as DatasetRecord['validationSuite'];
      return true;
    },
  } as unknown as DatasetStore;
  const versionStore = {
    async commitVersion(draft) {
      packJson(draft.schema, 'the schema');
      const version = versions.size + 1;
      const record: VersionRecord = {
        ...draft,
        version,
        status: 'PENDING',
      };
      versions.set(version, record);
      return { record, created: true };
    },
    async completeVersion(_t, _d, version, status) {
      const record = versions.get(version) as VersionRecord;
      versions.set(version, { ...record, status });
      dataset.currentVersion = version;
      return { promoted: true };
    },
    async recordTable(_t, _d, version, table) {
      versions.set(version, { ...(versions.get(version) as VersionRecord), table });
    },
    getVersion: async (_t, _d, version) => versions.get(version),
  } as Pick<VersionStore, 'commitVersion' | 'completeVersion' | 'getVersion' | 'recordTable'> as VersionStore;
  const silent = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const deps: StageDeps & VersionDatasetDeps & { versions: VersionStore } = {
    store,
    datasets,
    versions: versionStore,
    tables: new TableWriters(new MemoryTableLogs()),
    // The state's size is the question here, not where the catalog is.
    catalog: { registerTable: async () => 'unchanged' },
    // One stage at a time here: the lease is always free.
    writers: { acquire: async (_t, _d, lease) => lease, release: async () => undefined },
    clock: { now: () => new Date('2026-06-01T00:00:00Z') },
    logger: silent,
    metrics: { add: () => undefined },
    defaultSuite: suiteFromSchema,
  };
  return { objects, deps, versions };
}

/** Drops one file and runs register's answer through every stage, parsing the state as each handler does. */
async function ingest(w: ReturnType<typeof world>, name: string, csv: string) {
  const object = { bucket: 'data', key: `fresh/acme/wide/${name}` };
  w.objects.set(object.key, new TextEncoder().encode(csv));
  const file = {
    fileId: `f_${name.replace(/\W/g, '').padEnd(32, '0')}`,
    tenant: 'acme',
    dataset: 'wide',
    object,
    sha256: 'a'.repeat(64),
    size: csv.length,
    format: 'csv',
    dataType: 'custom',
    outcome: 'REGISTERED' as const,
  };
  const outputs: Record<string, unknown> = {};
  let state: Record<string, unknown> = { object, file };
  const step = async <S extends z.ZodType>(
    stage: string,
    schema: S,
    run: (input: z.infer<S>) => Promise<unknown>,
  ) => {
    outputs[stage] = await run(schema.parse(state));
    state = { ...state, [stage]: outputs[stage] };
  };
  await step('parse', afterRegisterSchema, (s) => parseStage(w.deps, s));
  await step('validate', afterParseSchema, (s) => validateStage(w.deps, s));
  await step('profile', afterValidateSchema, (s) => profileStage(w.deps, s));
  await step('quality', afterProfileSchema, (s) => qualityStage(w.deps, s));
  await step('drift', afterQualitySchema, (s) => driftStage(w.deps, s));
  await step('version', afterDriftSchema, (s) => versionDataset(w.deps, s));
  return { outputs, state };
}

describe('the state of an ingestion of the widest file the parser accepts', () => {
  it('stays far below 256 KB at every stage, the first version and one compared for drift', async () => {
    // Prepare
    const w = world();
    const first = wideCsv(4);
    const second = wideCsv(4, 1);
    const schemaBytes = bytesOf(first.names);

    // Act
    const one = await ingest(w, 'one.csv', first.csv);
    const two = await ingest(w, 'two.csv', second.csv);

    // Assess
    expect(schemaBytes).toBeGreaterThan(2_000_000);
    for (const { outputs, state } of [one, two]) {
      for (const [stage, output] of Object.entries(outputs)) {
        expect(bytesOf(output), stage).toBeLessThan(STAGE_BUDGET);
      }
      expect(bytesOf(state)).toBeLessThan(STAGE_BUDGET);
    }
    expect(two.outputs.drift).toMatchObject({ status: 'COMPARED', referenceVersion: 1 });
    expect(two.outputs.version).toMatchObject({
      status: 'VERSIONED',
      version: 2,
      rows_ingested: 4,
      column_count: WIDTH,
      columns_truncated: true,
    });
    const output = two.outputs.version as { columns: string[] };
    expect(output.columns.length).toBeGreaterThan(0);
    expect(output.columns).toEqual(first.names.slice(0, output.columns.length));
  }, 60_000);

  it('takes the schema from the staged file: the version records every column as parsed', async () => {
    // Prepare
    const w = world();
    const { csv, names } = wideCsv(3);

    // Act
    await ingest(w, 'one.csv', csv);

    // Assess
    const record = w.versions.get(1) as VersionRecord;
    expect(record.schema.columns.map((c) => c.name)).toEqual(names);
    expect(record.schema.columns.slice(0, 2)).toEqual([
      { name: names[0], type: 'int', nullable: false },
      { name: names[1], type: 'string', nullable: false },
    ]);
    const dataFile = `tables/acme/${record.dataset}/${record.table?.dataFile}`;
    const committed = await openParquet(rangeSource(w.objects.get(dataFile) as Uint8Array));
    expect(committed.schema).toEqual(record.schema);
  }, 30_000);

  it('still completes an execution whose state the previous parse function made, with the whole schema', async () => {
    // Prepare: what the parse stage answered before it stopped passing the schema.
    const w = world();
    const { outputs, state } = await ingest(w, 'one.csv', 'id,name\n1,a\n2,b\n');
    const parse = outputs.parse as { columnCount?: number };
    const { columnCount: _dropped, ...previous } = parse;
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'name', type: 'string', nullable: false },
      ],
    };
    const inFlight = { ...state, parse: { ...previous, schema } };

    // Act
    const validated = await validateStage(w.deps, afterParseSchema.parse(inFlight));
    const parsed = afterDriftSchema.parse({ ...inFlight, validate: validated });

    // Assess
    expect(validated.status).toBe('PASSED');
    expect(parsed.parse.schema).toEqual(schema);
  });
});

describe('a file whose schema is too large to record even compressed', () => {
  it('fails the version stage with InvalidInputError before a version number is taken', async () => {
    // Prepare: 2,000 names of 256 random letters and digits barely compress.
    const w = world();
    const names = Array.from({ length: WIDTH }, (_, i) =>
      `c${i}_${randomBytes(NAME_LENGTH).toString('base64url')}`.slice(0, NAME_LENGTH),
    );
    const csv = `${names.join(',')}\n${names.map((_, i) => i).join(',')}\n`;

    // Act
    const run = ingest(w, 'random.csv', csv);

    // Assess
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(run).rejects.toThrow(/^the validation suite is \d+ KB as JSON and still \d+ KB compressed/);
    expect(w.versions.size).toBe(0);
  }, 60_000);
});

describe('the column names of the execution’s output', () => {
  it('are the first names, within 100 and 8 KiB, and say when and how many were left out', () => {
    const names = fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: NAME_LENGTH }), {
      maxLength: WIDTH,
    });
    const schemas = names.map(
      (list): TableSchema => ({
        columns: list.map((name, i) => ({
          name,
          type: COLUMN_TYPES[i % COLUMN_TYPES.length] as ColumnType,
          nullable: true,
        })),
      }),
    );
    fc.assert(
      fc.property(schemas, (schema) => {
        const out = outputColumns(schema);
        const all = schema.columns.map((c) => c.name);
        expect(bytesOf(out)).toBeLessThan(9 * 1024);
        expect(out.columns.length).toBeLessThanOrEqual(OUTPUT_COLUMN_NAMES);
        expect(out.columns).toEqual(all.slice(0, out.columns.length));
        expect(out.column_count).toBe(all.length);
        expect(out.columns_truncated).toBe(out.columns.length < all.length);
      }),
      { numRuns: 200 },
    );
  });

  it('lists every name of a narrow file, untruncated', () => {
    // Prepare
    const schema: TableSchema = {
      columns: ['id', 'name', 'zip'].map((name) => ({ name, type: 'string' as const, nullable: true })),
    };

    // Act
    const out = outputColumns(schema);

    // Assess
    expect(out).toEqual({ columns: ['id', 'name', 'zip'], column_count: 3, columns_truncated: false });
  });
});
