import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { StageDeps } from '../../../shared/app/pipeline/artifacts.js';
import { parseStage, RENAMES_RECORDED } from '../../../shared/app/pipeline/parse.js';
import { validateStage, validationAlong } from '../../../shared/app/pipeline/validate.js';
import type { DatasetConfig } from '../../../shared/domain/dataset.js';
import type { FileRecord } from '../../../shared/domain/file-record.js';
import { createProfiler } from '../../../shared/domain/profile/index.js';
import { createValidator, validationSuiteSchema } from '../../../shared/domain/validation/index.js';
import { numericRanges, openParquet } from '../../../shared/formats/parquet.js';
import type { DatasetStore, ObjectStore } from '../../../shared/ports.js';
import { type afterRegisterSchema, parseOutputSchema } from '../../../shared/schemas/ingestion.js';
import { opener, rangeSource } from './sources.js';

/** The parse stage over one in-memory object, with the dataset config given; records what it wrote. */
function harness(body: Uint8Array | string, config: DatasetConfig = {}, validationSuite?: unknown) {
  const updates: Partial<FileRecord>[] = [];
  const logs: Record<string, unknown>[] = [];
  const written = new Map<string, Uint8Array>();
  const json = new Map<string, unknown>();
  const store = {
    bucket: 'data',
    read: () => opener(body)(),
    async putJson(key: string, value: unknown) {
      json.set(key, JSON.parse(JSON.stringify(value)));
    },
    getJson: async (key: string) => json.get(key),
    async write(key: string, chunks: AsyncIterable<Uint8Array>) {
      const parts: Uint8Array[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      written.set(key, new Uint8Array(Buffer.concat(parts)));
      return { size: written.get(key)?.byteLength ?? 0 };
    },
  } as unknown as ObjectStore;
  const datasets = {
    getDataset: async () => ({
      config,
      ...(validationSuite !== undefined && { validationSuite, suiteSource: 'api' }),
    }),
    updateFile: async (_tenant: string, _fileId: string, fields: Partial<FileRecord>) => {
      updates.push(fields);
    },
  } as unknown as DatasetStore;
  const deps: StageDeps = {
    store,
    datasets,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    logger: {
      debug: () => undefined,
      info: (_message, ...extra) => logs.push(Object.assign({}, ...extra)),
      warn: () => undefined,
      error: () => undefined,
    },
    metrics: { add: () => undefined },
  };
  const object = { bucket: 'data', key: 'fresh/acme/people/people.csv' };
  const state = {
    object,
    file: {
      fileId: `f_${'0'.repeat(32)}`,
      tenant: 'acme',
      dataset: 'people',
      object,
      sha256: 'x',
      size: 0,
      format: 'csv',
      dataType: 'sample',
      outcome: 'REGISTERED',
    },
  } satisfies z.infer<typeof afterRegisterSchema>;
  return { run: () => parseStage(deps, state), updates, logs, written, json, deps, state };
}

describe('parse stage', () => {
  it('records the encoding and the renamed header columns on the file and in its output', async () => {
    // Prepare
    const stage = harness('\uFEFFid,id,v\n1,2,x\n');

    // Act
    const output = await stage.run();

    // Assess
    expect(stage.updates[0]?.parse).toMatchObject({
      columns: 3,
      encoding: { name: 'utf-8', bom: true },
      renamedColumns: [{ from: 'id', to: 'id_2', index: 1 }],
      renamedColumnCount: 1,
    });
    expect(output.columnCount).toBe(3);
    const staged = await openParquet(rangeSource(stage.written.get(output.stagedKey) ?? new Uint8Array()));
    expect(staged.schema.columns.map((c) => c.name)).toEqual(['id', 'id_2', 'v']);
    expect(parseOutputSchema.parse(output)).toMatchObject({
      encoding: { name: 'utf-8', bom: true },
      renamedColumnCount: 1,
    });
    expect(stage.logs[0]).toMatchObject({ renamedColumnCount: 1 });
  });

  it('passes on the staged key and the column count, never the schema: the staged file holds it', async () => {
    // Prepare
    const stage = harness('id,price,name,paid,at\n1,2.5,,true,2026-01-01T00:00:00Z\n2,,b,false,\n');

    // Act
    const output = await stage.run();

    // Assess
    expect(output).not.toHaveProperty('schema');
    expect(output).toMatchObject({ columnCount: 5, rowCount: 2 });
    const staged = await openParquet(rangeSource(stage.written.get(output.stagedKey) ?? new Uint8Array()));
    expect(staged.schema).toEqual({
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'price', type: 'float', nullable: true },
        { name: 'name', type: 'string', nullable: true },
        { name: 'paid', type: 'bool', nullable: false },
        { name: 'at', type: 'timestamp', nullable: true },
      ],
    });
  });

  it('profiles the rows as it writes them: the output names the profile, the staged file’s own', async () => {
    // Prepare: more values than the profiler keeps exactly, so the histograms need pass 1's ranges.
    const rows = Array.from(
      { length: 30_000 },
      (_, i) =>
        `${i},${(i * 7919) % 1000}.5,${new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()},u${i % 50}`,
    );
    const stage = harness(`id,price,at,user\n${rows.join('\n')}\n`);

    // Act
    const output = await stage.run();

    // Assess
    expect(output.profileKey).toBe(`reports/acme/people/${`f_${'0'.repeat(32)}`}/profile.json`);
    const staged = await openParquet(rangeSource(stage.written.get(output.stagedKey) ?? new Uint8Array()));
    const profiler = createProfiler(staged.schema, {
      ranges: numericRanges(staged.schema, staged.rowGroups),
    });
    for await (const batch of staged.readRowGroups()) profiler.add(batch);
    expect(stage.json.get(output.profileKey ?? '')).toEqual(JSON.parse(JSON.stringify(profiler.result())));
    expect(stage.logs[0]).toMatchObject({ profiled: true });
  });

  it('validates the rows as it writes them: the validate stage judges that report, the staged file’s', async () => {
    // Prepare: a suite whose uniqueness check fails on the repeated id 7.
    const suite = {
      checks: [
        { type: 'uniqueness', columns: ['id'] },
        { type: 'range', column: 'v', min: 0, max: 100 },
      ],
    };
    const rows = Array.from({ length: 2_000 }, (_, i) => `${i},${i % 90}`);
    const stage = harness(`id,v\n${rows.join('\n')}\n7,120\n`, {}, suite);

    // Act
    const output = await stage.run();
    const validated = validateStage(stage.deps, { ...stage.state, parse: output });

    // Assess
    await expect(validated).rejects.toMatchObject({ name: 'ValidationFailedError' });
    const key = `reports/acme/people/${`f_${'0'.repeat(32)}`}/validation.json`;
    expect(output.validation).toEqual({ reportKey: key, inferredSuite: false });
    const staged = await openParquet(rangeSource(stage.written.get(output.stagedKey) ?? new Uint8Array()));
    const validator = createValidator(validationSuiteSchema.parse(suite), staged.schema, {
      now: new Date('2026-01-01T00:00:00Z'),
      projected: true,
    });
    for await (const batch of staged.readRowGroups({ columns: [...validator.columns] })) validator.add(batch);
    expect(stage.json.get(key)).toEqual(
      JSON.parse(
        JSON.stringify({
          fileId: stage.state.file.fileId,
          source: stage.state.file.object.key,
          suiteSource: 'api',
          ...validator.report(),
        }),
      ),
    );
    expect(stage.updates.at(-1)).toMatchObject({
      stage: 'validate',
      validation: { status: 'FAILED', reportKey: key },
    });
  });

  it('leaves the validation to the validate stage when the stored suite does not parse', async () => {
    // Act
    const stage = harness('id,v\n1,2\n', {}, { checks: [{ type: 'no-such-check' }] });
    const output = await stage.run();

    // Assess: nothing judged here; the validate stage reads the suite again and reports its error.
    expect(output).not.toHaveProperty('validation');
    expect([...stage.json.keys()].some((key) => key.endsWith('/validation.json'))).toBe(false);
  });

  it('leaves the validation to the validate stage when its uniqueness sets outgrow the parse', () => {
    // Prepare
    const schema = { columns: [{ name: 'id', type: 'int' as const, nullable: false }] };
    const deps = { store: {} as ObjectStore, clock: { now: () => new Date(0) } };
    const file = { tenant: 'acme', dataset: 'people', fileId: 'f', object: { key: 'k' } };
    const suite = { validationSuite: { checks: [{ type: 'uniqueness', columns: ['id'] }] } };
    const along = validationAlong(deps, file, suite, schema, 10);

    // Act
    along?.add({ schema, numRows: 6, columns: [[1, 2, 3, 4, 5, 6]] });
    along?.add({ schema, numRows: 6, columns: [[7, 8, 9, 10, 11, 12]] });

    // Assess
    return expect(along?.save()).resolves.toBeUndefined();
  });

  it('leaves the profile to the profile stage when a dropped row held a column’s extreme value', async () => {
    // Prepare: id 1 again, with the largest v, after more rows than the profiler keeps exactly.
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i},${i % 100}`);
    const stage = harness(`id,v\n${rows.join('\n')}\n1,5000\n`, { dedupKeys: ['id'] });

    // Act
    const output = await stage.run();

    // Assess
    expect(output.rowCount).toBe(30_000);
    expect(output).not.toHaveProperty('profileKey');
    expect([...stage.json.keys()].some((key) => key.endsWith('/profile.json'))).toBe(false);
  });

  it('records no renames for a file whose header needed none', async () => {
    // Act
    const stage = harness('id,v\n1,x\n');
    const output = await stage.run();

    // Assess
    expect(stage.updates[0]?.parse).not.toHaveProperty('renamedColumns');
    expect(output).not.toHaveProperty('renamedColumnCount');
    expect(output.encoding).toEqual({ name: 'utf-8', bom: false });
  });

  it('keeps the first renames on the file record and counts them all', async () => {
    // Prepare
    const width = RENAMES_RECORDED + 50;
    const stage = harness(`${Array(width).fill('x').join(',')}\n${Array(width).fill('1').join(',')}\n`);

    // Act
    await stage.run();

    // Assess
    const parse = stage.updates[0]?.parse;
    expect(parse?.renamedColumns).toHaveLength(RENAMES_RECORDED);
    expect(parse?.renamedColumnCount).toBe(width - 1);
  });

  it("applies the dataset config's encoding, empty-batch and column settings", async () => {
    // Prepare
    const legacy = harness(Uint8Array.from([...Buffer.from('name\ncaf'), 0xe9, 0x0a]), {
      encoding: 'windows-1252',
    });
    const headerOnly = harness('id,name\n', { allowEmptyBatches: true });
    const narrow = harness('a,b\n1,2\n', { maxColumns: 1 });
    const shortNames = harness('name\nx\n', { maxColumnNameLength: 3 });

    // Act
    const legacyOutput = await legacy.run();
    const headerOnlyOutput = await headerOnly.run();

    // Assess
    expect(legacyOutput.encoding).toEqual({ name: 'windows-1252', bom: false });
    expect(headerOnlyOutput.rowCount).toBe(0);
    await expect(narrow.run()).rejects.toMatchObject({ name: 'TooManyColumnsError' });
    await expect(shortNames.run()).rejects.toMatchObject({ name: 'ColumnNameTooLongError' });
  });

  it('fails with a typed error the state machine records, for empty and undecodable files', async () => {
    await expect(harness('').run()).rejects.toMatchObject({ name: 'EmptyFileError' });
    await expect(harness('id,name\n').run()).rejects.toMatchObject({ name: 'EmptyFileError' });
    await expect(harness(Uint8Array.from([0x61, 0x0a, 0xff])).run()).rejects.toMatchObject({
      name: 'EncodingError',
      line: 2,
      offset: 2,
    });
  });
});
