/**
 * The pipeline's version stage, a person's promotion and the reads of a dataset's Delta table, against
 * in-memory stores and table logs: one accepted file is one commit, whatever is retried; a held file is
 * staged in no commit until promoted; the rows and files routes read the table at a version.
 */
import { describe, expect, it } from 'vitest';
import { TableWriters } from '../../shared/adapters/delta/table-writer.js';
import { queryRows } from '../../shared/app/datasets/rows.js';
import { versionDataset } from '../../shared/app/pipeline/version.js';
import { promoteVersion, versionFiles } from '../../shared/app/versions.js';
import type { DatasetConfig, DatasetRecord, DriftSettings } from '../../shared/domain/dataset.js';
import { actionsOf } from '../../shared/domain/delta/actions.js';
import { createProfiler, type DatasetProfile } from '../../shared/domain/profile/index.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import type { VersionRecord } from '../../shared/domain/version.js';
import { SchemaMismatchError } from '../../shared/errors.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import type {
  DatasetStore,
  ObjectStore,
  TableCatalog,
  TableWriterLeases,
  VersionStore,
} from '../../shared/ports.js';
import { afterDriftSchema } from '../../shared/schemas/ingestion.js';
import { MemoryTableLogs } from '../support/memory-table-log.js';
import { rangeSource } from './parse/sources.js';

const T0 = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const ROOT = 'tables/acme/meter/';

const schema: TableSchema = {
  columns: [
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'reading', type: 'float', nullable: false },
  ],
};

/** 8 hourly readings from hour `from`. */
const readings = (from: number) =>
  Array.from({ length: 8 }, (_, i) => ({ ts: T0 + (from + i) * HOUR, reading: from + i + 0.5 }));

/** In-memory bucket, dataset and version stores, and table logs: what the stage and the routes use. */
function world(settings: DriftSettings = {}, config: DatasetConfig = {}) {
  const objects = new Map<string, Uint8Array>();
  const dataset = { tenant: 'acme', dataset: 'meter', driftSettings: settings, config } as DatasetRecord;
  const versions = new Map<number, VersionRecord>();
  const store = {
    bucket: 'data',
    async stat(ref: { key: string }) {
      const bytes = objects.get(ref.key);
      if (!bytes) throw new Error(`no object ${ref.key}`);
      return { size: bytes.byteLength, eTag: 'e', lastModified: new Date(T0), metadata: {} };
    },
    async openRange(ref: { key: string }) {
      const bytes = objects.get(ref.key);
      if (!bytes) throw new Error(`no object ${ref.key}`);
      return rangeSource(bytes);
    },
    async copy(from: { key: string }, to: string) {
      if (!objects.has(to)) objects.set(to, objects.get(from.key) as Uint8Array);
    },
    async presignGet(key: string) {
      return `https://signed.example/${key}`;
    },
    async getJson(key: string) {
      const bytes = objects.get(key);
      return bytes && JSON.parse(Buffer.from(bytes).toString('utf8'));
    },
    async putJson(key: string, value: unknown) {
      objects.set(key, new Uint8Array(Buffer.from(JSON.stringify(value))));
    },
    async exists(key: string) {
      return objects.has(key);
    },
  } as unknown as ObjectStore;
  const datasets = {
    getDataset: async () => dataset,
    updateFile: async () => undefined,
    putValidationSuite: async () => true,
  } as unknown as DatasetStore;
  const versionStore: Partial<VersionStore> = {
    async commitVersion(draft) {
      const existing = [...versions.values()].find((v) => v.sourceFileId === draft.sourceFileId);
      if (existing) return { record: existing, created: false };
      const version = versions.size + 1;
      const record: VersionRecord = {
        ...draft,
        version,
        status: 'PENDING',
      };
      versions.set(version, record);
      return { record, created: true };
    },
    async completeVersion(_t, _d, version, status, hold) {
      const record = versions.get(version) as VersionRecord;
      if (record.promotion) return { promoted: false };
      versions.set(version, { ...record, status, ...(hold && { hold }) });
      if (status === 'HELD') return { promoted: false };
      dataset.currentVersion = Math.max(dataset.currentVersion ?? 0, version);
      return { promoted: dataset.currentVersion === version };
    },
    async recordTable(_t, _d, version, table) {
      const record = versions.get(version) as VersionRecord;
      if (table.version === undefined && record.table?.version !== undefined) return;
      versions.set(version, { ...record, table });
    },
    async promoteVersion(_t, _d, version, promotion) {
      const record = versions.get(version) as VersionRecord;
      const promoted = { ...record, status: 'READY' as const, promotion };
      versions.set(version, promoted);
      dataset.currentVersion = version;
      return promoted;
    },
    getVersion: async (_t, _d, version) => versions.get(version),
  };
  const logs = new MemoryTableLogs();
  const silent = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  // What the catalog was asked to register, in order (the Glue adapter has its own integration test).
  const registered: Array<{ dataset: string; location: string; columns: string[] }> = [];
  const catalog: TableCatalog = {
    async registerTable(entry) {
      registered.push({
        dataset: entry.dataset,
        location: entry.location,
        columns: entry.schema.columns.map((c) => c.name),
      });
      return 'created';
    },
  };
  // The leases' own rules are DynamoDB's conditions (table-writer-lease.test.ts); the stage here runs alone.
  const leases = new Map<string, { owner: string; until: string }>();
  const writers: TableWriterLeases = {
    async acquire(_t, dataset, lease) {
      const held = leases.get(dataset);
      if (held && held.owner !== lease.owner && held.until > lease.now) return held;
      leases.set(dataset, { owner: lease.owner, until: lease.until });
      return { owner: lease.owner, until: lease.until };
    },
    async release(_t, dataset, owner) {
      if (leases.get(dataset)?.owner === owner) leases.delete(dataset);
    },
  };
  const deps = {
    store,
    datasets,
    catalog,
    versions: versionStore as VersionStore,
    tables: new TableWriters(logs),
    writers,
    clock: { now: () => new Date(T0) },
    logger: silent,
    defaultSuite: suiteFromSchema,
  };
  return { objects, versions, log: logs.open(ROOT), deps, dataset, registered };
}

type World = ReturnType<typeof world>;

/** What the version stage receives for a file of these rows, its staged Parquet in the bucket. */
async function stagedState(
  w: World,
  n: number,
  rows: Record<string, CellValue>[],
  options: { schema?: TableSchema; severity?: 'NONE' | 'HIGH' } = {},
) {
  const fileSchema = options.schema ?? schema;
  const fileId = `f_${String(n).repeat(32).slice(0, 32)}`;
  const stagedKey = `staging/acme/meter/${fileId}/data.parquet`;
  const chunks: Uint8Array[] = [];
  await writeParquet(
    fileSchema,
    (async function* () {
      yield batchFromRows(fileSchema, rows);
    })(),
    async (chunk) => {
      chunks.push(chunk);
    },
  );
  w.objects.set(stagedKey, new Uint8Array(Buffer.concat(chunks)));
  // The profile stage's output for these rows, which the table's profile merges.
  const profiler = createProfiler(fileSchema);
  profiler.add(batchFromRows(fileSchema, rows));
  const profileKey = `reports/acme/meter/${fileId}/profile.json`;
  w.objects.set(profileKey, new Uint8Array(Buffer.from(JSON.stringify(profiler.result()))));
  return afterDriftSchema.parse({
    object: { bucket: 'data', key: `fresh/acme/meter/${n}.csv` },
    file: {
      fileId,
      tenant: 'acme',
      dataset: 'meter',
      object: { bucket: 'data', key: `fresh/acme/meter/${n}.csv` },
      sha256: String(n).repeat(64).slice(0, 64),
      size: 100,
      format: 'csv',
      dataType: 'custom',
      outcome: 'REGISTERED',
    },
    parse: {
      stagedKey,
      columnCount: fileSchema.columns.length,
      rowCount: rows.length,
      contentHash: String(n).repeat(64).slice(0, 64),
      metrics: {
        recordsRead: rows.length,
        recordsWritten: rows.length,
        recordsFailed: 0,
        duplicatesDropped: 0,
        bytesRead: 100,
        durationMs: 1,
        errorRate: 0,
      },
    },
    validate: { status: 'PASSED', reportKey: 'r', errors: 0, warnings: 0, inferredSuite: false },
    profile: { profileKey, rowCount: rows.length },
    drift: { status: 'COMPARED', severity: options.severity ?? 'NONE', reportKey: 'd', htmlKey: 'h' },
  });
}

const adds = async (w: World, version: number) =>
  actionsOf((await w.log.readCommit(version)) ?? [], 'add').map((a) => a.path);

describe('the version stage', () => {
  it("commits an accepted file's data file to the dataset's table once, however often it is retried", async () => {
    // Prepare
    const w = world();
    const state = await stagedState(w, 1, readings(0));

    // Act
    const first = await versionDataset(w.deps, state);
    const retried = await versionDataset(w.deps, state);

    // Assess
    expect(first).toMatchObject({ status: 'VERSIONED', version: 1, table_version: 0 });
    expect(retried).toEqual(first);
    expect((await w.log.list(0)).commits).toEqual([0]);
    expect(await adds(w, 0)).toEqual([`part-${state.file.fileId}.parquet`]);
    expect(w.objects.has(`${ROOT}part-${state.file.fileId}.parquet`)).toBe(true);
    expect(w.versions.get(1)?.table).toEqual({
      version: 0,
      dataFile: `part-${state.file.fileId}.parquet`,
      mode: 'append',
      filesAdded: 1,
      filesRemoved: 0,
      rowsAdded: 8,
      rowsRemoved: 0,
      rowsUpdated: 0,
      rowsDuplicate: 0,
      rowsCopied: 0,
      rowsTotal: 8,
      filesTotal: 1,
      profileKey: `${ROOT}_strata/profiles/v0.json`,
    });
  });

  it("keeps the table's profile at each Delta version: merged on append, made anew on overwrite", async () => {
    // Prepare
    const w = world();
    const profileAt = (v: number) =>
      JSON.parse(
        Buffer.from(w.objects.get(`${ROOT}_strata/profiles/v${v}.json`) ?? new Uint8Array()).toString(),
      ) as DatasetProfile;
    const first = await stagedState(w, 1, readings(0));
    await versionDataset(w.deps, first);
    // An append must not read the table's earlier files: take the first one away.
    const firstFile = `${ROOT}part-${first.file.fileId}.parquet`;
    const kept = w.objects.get(firstFile) as Uint8Array;
    w.objects.delete(firstFile);

    // Act
    await versionDataset(w.deps, await stagedState(w, 2, readings(8)));
    w.objects.set(firstFile, kept);
    w.dataset.config = { writeMode: 'overwrite' };
    await versionDataset(w.deps, await stagedState(w, 3, readings(100).slice(0, 3)));

    // Assess
    const reading = (p: DatasetProfile) => p.columns.find((c) => c.name === 'reading');
    expect(profileAt(0).rowCount).toBe(8);
    expect(profileAt(1).rowCount).toBe(16);
    expect(reading(profileAt(1))).toMatchObject({ count: 16, min: 0.5, max: 15.5, mean: 8 });
    expect(profileAt(2).rowCount).toBe(3);
    expect(reading(profileAt(2))).toMatchObject({ count: 3, min: 100.5, max: 102.5 });
  });

  it('reads the table log once for a file, not again to commit or to total the table', async () => {
    // Prepare
    const w = world();
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    const state = await stagedState(w, 2, readings(8));
    let listings = 0;
    const list = w.log.list.bind(w.log);
    w.log.list = async (from: number) => {
      listings++;
      return list(from);
    };

    // Act
    const second = await versionDataset(w.deps, state);

    // Assess
    expect(second).toMatchObject({ version: 2, table_version: 1 });
    expect(listings).toBe(1);
  });

  it('puts the next file in the next Delta version, with the totals of the table at it', async () => {
    // Prepare
    const w = world();
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));

    // Act
    const second = await versionDataset(w.deps, await stagedState(w, 2, readings(8)));

    // Assess
    expect(second).toMatchObject({ version: 2, table_version: 1 });
    expect(w.versions.get(2)?.table).toMatchObject({
      version: 1,
      rowsAdded: 8,
      rowsTotal: 16,
      filesTotal: 2,
    });
  });

  it('stages a held file under the table root in no commit; promoting it commits it once, twice or not', async () => {
    // Prepare
    const w = world({ driftGate: 'MODERATE' });
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    const heldState = await stagedState(w, 2, readings(8), { severity: 'HIGH' });

    // Act
    const held = await versionDataset(w.deps, heldState);
    const heldAgain = await versionDataset(w.deps, heldState);
    const commitsWhileHeld = (await w.log.list(0)).commits;
    const atRootWhileHeld = w.objects.has(`${ROOT}part-${heldState.file.fileId}.parquet`);
    const promoted = await promoteVersion(w.deps, 'acme', 'meter', 2, 'checked with the site');
    const again = await promoteVersion(w.deps, 'acme', 'meter', 2, 'checked with the site');
    const afterPromotion = await versionDataset(w.deps, heldState);

    // Assess
    const dataFile = `part-${heldState.file.fileId}.parquet`;
    expect(held).toMatchObject({ status: 'HELD', version: 2, table_version: null, promoted: false });
    expect(heldAgain).toEqual(held);
    expect(w.objects.has(`${ROOT}_staged/${dataFile}`)).toBe(true);
    expect(atRootWhileHeld).toBe(false);
    expect(commitsWhileHeld).toEqual([0]);
    expect(promoted.table).toMatchObject({
      version: 1,
      dataFile,
      rowsAdded: 8,
      rowsTotal: 16,
      filesTotal: 2,
    });
    expect(again.table?.version).toBe(1);
    expect(afterPromotion).toMatchObject({ version: 2, table_version: 1 });
    expect((await w.log.list(0)).commits).toEqual([0, 1]);
    expect(await adds(w, 1)).toEqual([dataFile]);
    expect(w.versions.get(2)?.table?.version).toBe(1);
  });

  it('refuses a file whose column has another type than the table, before a version number is taken', async () => {
    // Prepare
    const w = world();
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    const retyped: TableSchema = {
      columns: [
        { name: 'ts', type: 'timestamp', nullable: false },
        { name: 'reading', type: 'string', nullable: false },
      ],
    };
    const state = await stagedState(w, 2, [{ ts: T0, reading: 'high' }], { schema: retyped });

    // Act
    const attempt = versionDataset(w.deps, state);

    // Assess
    await expect(attempt).rejects.toThrow(SchemaMismatchError);
    expect([...w.versions.keys()]).toEqual([1]);
    expect((await w.log.list(0)).commits).toEqual([0]);
  });

  it('quarantines a file with a new column unless the dataset lets columns be added, before numbering', async () => {
    // Prepare
    const w = world();
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    const wider: TableSchema = {
      columns: [...schema.columns, { name: 'site', type: 'string', nullable: true }],
    };
    const rows = readings(8).map((r) => ({ ...r, site: 'north' }));

    // Act
    const attempt = versionDataset(w.deps, await stagedState(w, 2, rows, { schema: wider }));

    // Assess
    await expect(attempt).rejects.toThrow(/column "site" \(string\) is not in the table/);
    expect([...w.versions.keys()]).toEqual([1]);
  });

  it('lets a file with a new column add it to the table in its own commit with add_columns', async () => {
    // Prepare
    const w = world({}, { schemaEvolution: 'add_columns' });
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    const wider: TableSchema = {
      columns: [...schema.columns, { name: 'site', type: 'string', nullable: true }],
    };
    const rows = readings(8).map((r) => ({ ...r, site: 'north' }));

    // Act
    const second = await versionDataset(w.deps, await stagedState(w, 2, rows, { schema: wider }));

    // Assess
    expect(second).toMatchObject({ status: 'VERSIONED', table_version: 1 });
    expect(actionsOf((await w.log.readCommit(1)) ?? [], 'metaData')).toHaveLength(1);
    expect(w.registered.at(-1)).toEqual({
      dataset: 'meter',
      location: 's3://data/tables/acme/meter/',
      columns: ['ts', 'reading', 'site'],
    });
  });
});

describe('reads of the table', () => {
  async function twoVersionsAndAHeldOne() {
    const w = world({ driftGate: 'MODERATE' });
    await versionDataset(w.deps, await stagedState(w, 1, readings(0)));
    await versionDataset(w.deps, await stagedState(w, 2, readings(8)));
    await versionDataset(w.deps, await stagedState(w, 3, readings(16), { severity: 'HIGH' }));
    return w;
  }

  it('serve rows of the whole table, of a version at its Delta version, and of a held version alone', async () => {
    // Prepare
    const w = await twoVersionsAndAHeldOne();
    const rows = (query: object) => queryRows(w.deps, 'acme', 'meter', { limit: 100, ...query });

    // Act
    const latest = await rows({ last: 100 });
    const first = await rows({ last: 100, version: 1 });
    const held = await rows({ last: 100, version: 3 });
    const lastTwo = await rows({ last: 2 });
    const lastTwoAscending = await rows({ last: 2, order: 'asc' });
    const projected = await rows({ last: 1, columns: ['ts'] });
    const unknown = rows({ last: 1, columns: ['humidity'] });

    // Assess
    expect(latest).toMatchObject({ version: 2, delta_version: 1, count: 16 });
    expect(first).toMatchObject({ version: 1, delta_version: 0, count: 8 });
    expect(held).toMatchObject({ version: 3, delta_version: null, staged: true, count: 8 });
    expect(held.rows.at(-1)).toEqual({ ts: new Date(T0 + 16 * HOUR).toISOString(), reading: 16.5 });
    expect(lastTwo.rows.map((r) => r.reading)).toEqual([15.5, 14.5]);
    expect(lastTwoAscending.rows.map((r) => r.reading)).toEqual([14.5, 15.5]);
    expect(projected.rows).toEqual([{ ts: new Date(T0 + 15 * HOUR).toISOString() }]);
    await expect(unknown).rejects.toThrow('column "humidity" is not in the version');
    expect(lastTwo.scan).toMatchObject({ files: 2, filesRead: 1, rowGroupsRead: 1 });
  });

  it('page a range over the Delta version the first page read, even when the table grows meanwhile', async () => {
    // Prepare
    const w = await twoVersionsAndAHeldOne();
    const range = { start: T0, end: T0 + 100 * HOUR, limit: 5 };
    const first = await queryRows(w.deps, 'acme', 'meter', range);

    // Act: version 3 is promoted (a third file joins the table) between two pages.
    await promoteVersion(w.deps, 'acme', 'meter', 3, 'checked with the site');
    const seen = [...first.rows];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await queryRows(w.deps, 'acme', 'meter', { ...range, cursor });
      expect(page.delta_version).toBe(1);
      seen.push(...page.rows);
      cursor = page.nextCursor;
    }
    const now = await queryRows(w.deps, 'acme', 'meter', { last: 100, limit: 100 });

    // Assess
    expect(seen.map((r) => r.reading)).toEqual(Array.from({ length: 16 }, (_, i) => i + 0.5));
    expect(now).toMatchObject({ version: 3, delta_version: 2, count: 24 });
  });

  it('list the data files at a version, presigned, and a held version its staged file alone', async () => {
    // Prepare
    const w = await twoVersionsAndAHeldOne();

    // Act
    const second = await versionFiles(w.deps, 'acme', 'meter', 2, { limit: 1000 });
    const paged = await versionFiles(w.deps, 'acme', 'meter', 2, { limit: 1 });
    const rest = await versionFiles(w.deps, 'acme', 'meter', 2, { limit: 1, cursor: paged.nextCursor });
    const held = await versionFiles(w.deps, 'acme', 'meter', 3, { limit: 1000 });

    // Assess
    expect(second).toMatchObject({
      table_uri: 's3://data/tables/acme/meter/',
      delta_version: 1,
      staged: false,
      filesTotal: 2,
    });
    expect(second.files.map((f) => [f.rows, f.staged, f.url.endsWith(f.path)])).toEqual([
      [8, false, true],
      [8, false, true],
    ]);
    expect(second.files[0]?.stats?.minValues).toMatchObject({ reading: expect.any(Number) });
    expect([...paged.files, ...rest.files]).toEqual(second.files);
    expect(rest.nextCursor).toBeUndefined();
    expect(held).toMatchObject({ delta_version: null, staged: true, filesTotal: 1 });
    expect(held.files).toEqual([
      expect.objectContaining({
        rows: 8,
        staged: true,
        path: expect.stringMatching(/^_staged\/part-f_3+\.parquet$/),
      }),
    ]);
  });
});
