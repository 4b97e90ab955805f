import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { schemaPolicyOf, writeSettingsOf } from '../../domain/dataset.js';
import type { Snapshot } from '../../domain/delta/snapshot.js';
import { dataFilePaths, fileTransaction } from '../../domain/delta/table.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import type { TableSchema } from '../../domain/table.js';
import { evaluateGates, type VersionRecord, type VersionTable } from '../../domain/version.js';
import { TableBusyError } from '../../errors.js';
import type {
  Clock,
  DatasetStore,
  DatasetTables,
  Logger,
  ObjectStore,
  TableCatalog,
  TableWriterLeases,
  VersionStore,
} from '../../ports.js';
import type { afterDriftSchema, VersionOutput } from '../../schemas/ingestion.js';
import { checkWritable } from '../io/table-writes.js';
import { mapLimit } from '../lifecycle/moves.js';
import { openStaged, stagedKeysOf } from './artifacts.js';
import { publishFile } from './publish.js';

/** Server-side copies of a held chunked file's parts in flight at once. */
const STAGE_COPY_CONCURRENCY = 8;

/**
 * How long a dataset's writer lease lasts unless released: longer than the version function's timeout
 * (5 minutes), so a live holder never loses it; a dead one's ends by itself.
 */
export const TABLE_WRITER_LEASE_MS = 6 * 60_000;
/**
 * How long a stage waits in turn for another file's version stage before it fails with TableBusyError
 * and leaves the rest of the wait to Step Functions' retry: a burst of files into one dataset queues
 * there, costing state transitions rather than functions kept running to wait.
 */
export const TABLE_WRITER_WAIT_MS = 5_000;

export interface VersionDatasetDeps {
  store: ObjectStore;
  datasets: DatasetStore;
  versions: VersionStore;
  /** The datasets' Delta tables (`tables/<tenant>/<dataset>/`). */
  tables: DatasetTables;
  /** Where other engines find the tables by name (Glue Data Catalog). */
  catalog: TableCatalog;
  /** One version stage at a time per dataset: numbers and commits in the same order. */
  writers: TableWriterLeases;
  clock: Clock;
  logger: Logger;
  /** The suite a dataset gets from its first version's schema when nobody set one through the API. */
  defaultSuite: (schema: TableSchema) => unknown;
}

/**
 * Last stage: under the dataset's writer lease, allocate the next version number (gapless, conditional),
 * then apply the dataset's gates: a version within them is committed to the dataset's Delta table by the
 * dataset's write mode (one commit per file) and becomes READY and current; one that breaches a gate is
 * HELD, its data file staged under the table root in no commit until a person promotes it (write, audit,
 * publish). Each step is safe to repeat: a retried stage finds the number it already got, the data file
 * it wrote, the commit it made (the file's txn), and re-does only what is missing.
 *
 * The lease spans the number and the commit: files of one dataset versioned at once would otherwise take
 * numbers in one order and commit in another, and version N's table version would lack a version below
 * N that committed after it (reading "the current version" would miss that file's rows).
 */
export async function versionDataset(
  deps: VersionDatasetDeps,
  state: z.infer<typeof afterDriftSchema>,
): Promise<VersionOutput> {
  const { tenant, dataset, fileId } = state.file;
  return holdingTableWriter(deps, tenant, dataset, fileId, () => versionFile(deps, state));
}

/** Runs `work` holding the dataset's writer lease for `owner`, waiting in turn for it (see the constants). */
async function holdingTableWriter<T>(
  deps: Pick<VersionDatasetDeps, 'writers' | 'clock' | 'logger'>,
  tenant: string,
  dataset: string,
  owner: string,
  work: () => Promise<T>,
): Promise<T> {
  const asked = deps.clock.now().getTime();
  const deadline = asked + TABLE_WRITER_WAIT_MS;
  for (let pause = 50, refused = 0; ; pause = Math.min(pause * 2, 2_000), refused++) {
    const now = deps.clock.now();
    const lease = await deps.writers.acquire(tenant, dataset, {
      owner,
      now: now.toISOString(),
      until: new Date(now.getTime() + TABLE_WRITER_LEASE_MS).toISOString(),
    });
    if (lease.owner === owner) {
      // Queueing shows here (and as TableBusyError attempts on the run) when files of one dataset burst.
      if (refused > 0) {
        deps.logger.info('table writer lease taken after a wait', {
          tenant,
          dataset,
          owner,
          refused,
          waitedMs: now.getTime() - asked,
        });
      }
      break;
    }
    if (now.getTime() + pause > deadline) {
      throw new TableBusyError(
        `the table of dataset "${dataset}" is being written for file ${lease.owner} (lease until ${lease.until}); this file waits its turn`,
      );
    }
    // Jittered, so stages that lost the same race do not ask again at the same moment.
    await sleep(pause * (0.5 + Math.random() / 2));
  }
  try {
    return await work();
  } finally {
    // A lease left behind only delays the next file until it expires: not worth failing this one for.
    await deps.writers.release(tenant, dataset, owner).catch((error: unknown) => {
      deps.logger.warn('table writer lease not released', { tenant, dataset, owner, error: String(error) });
    });
  }
}

async function versionFile(
  deps: VersionDatasetDeps,
  state: z.infer<typeof afterDriftSchema>,
): Promise<VersionOutput> {
  const { file, parse, validate, profile, quality, drift } = state;
  const { tenant, dataset } = file;
  const root = datasetTableRoot(tenant, dataset);
  const stagedKeys = stagedKeysOf(file, parse);
  const [datasetRecord, staged, table] = await Promise.all([
    deps.datasets.getDataset(tenant, dataset),
    openStaged(deps, stagedKeys),
    deps.tables.open(root).snapshot(),
  ]);
  const settings = datasetRecord?.driftSettings ?? {};
  const config = datasetRecord?.config ?? {};
  const { schema } = staged;
  // Before a number is taken: a file that cannot join the table under the dataset's settings (columns
  // the table lacks without add_columns, a column of another type, a missing key column) fails the stage
  // here and is quarantined with every difference, rather than leaving a version PENDING or HELD that no
  // promotion could publish.
  checkWritable(table, schema, writeSettingsOf(config), schemaPolicyOf(config));
  if (validate.inferredSuite) {
    // Before the commit: a suite too large to store (a very wide file) fails the stage before a version
    // number is taken, rather than leaving that version PENDING. A retry finds it stored (onlyIfAbsent).
    await deps.datasets.putValidationSuite(tenant, dataset, deps.defaultSuite(schema), 'inferred', true);
  }
  const { record, created } = await deps.versions.commitVersion({
    tenant,
    dataset,
    contentHash: parse.contentHash,
    sourceSha256: file.sha256,
    sourceFileId: file.fileId,
    sourceKey: file.object.key,
    rowCount: parse.rowCount,
    schema,
    profileKey: profile.profileKey,
    validationReportKey: validate.reportKey,
    validationStatus: validate.status,
    tags: [],
    createdAt: deps.clock.now().toISOString(),
    ...(file.links && { links: file.links }),
    ...(quality && {
      quality: {
        status: quality.status,
        score: quality.score,
        reportKey: quality.reportKey,
        htmlKey: quality.htmlKey,
      },
    }),
    ...(drift && {
      drift: {
        status: drift.status,
        severity: drift.severity,
        referenceVersion: drift.referenceVersion,
        reportKey: drift.reportKey,
        htmlKey: drift.htmlKey,
      },
    }),
  });
  const hold = decideHold(deps, record, settings, { drift, quality }, table);
  let placement: VersionTable;
  if (hold) {
    // Each staged file (each chunk of a chunked one) waits as a data file of its own, for promotion to
    // commit together. Create-only: a retry finds the copies already there.
    const dataFiles = dataFilePaths(file.fileId, stagedKeys.length, true);
    await mapLimit(dataFiles, STAGE_COPY_CONCURRENCY, (dataFile, i) =>
      deps.store.copy({ bucket: deps.store.bucket, key: stagedKeys[i] as string }, `${root}${dataFile}`),
    );
    placement = {
      dataFile: dataFiles[0] as string,
      rowsAdded: staged.numRows,
      ...(stagedKeys.length > 1 && { chunkCount: stagedKeys.length }),
    };
  } else {
    placement = await publishFile(deps, {
      tenant,
      dataset,
      fileId: file.fileId,
      sourceKeys: stagedKeys,
      config,
      profileKey: profile.profileKey,
      table: { snapshot: table },
    });
  }
  await deps.versions.recordTable(tenant, dataset, record.version, placement);
  const { promoted } = await deps.versions.completeVersion(
    tenant,
    dataset,
    record.version,
    hold ? 'HELD' : 'READY',
    hold,
  );
  await deps.datasets.updateFile(tenant, file.fileId, { stage: 'version' });
  deps.logger.info('dataset version written', {
    tenant,
    dataset,
    version: record.version,
    created,
    promoted,
    rows: record.rowCount,
    tableVersion: placement.version,
    mode: placement.mode,
    rowsAdded: placement.rowsAdded,
    ...(hold && { held: hold.reasons }),
  });
  return {
    dataset_id: `${tenant}/${dataset}`,
    status: hold ? 'HELD' : 'VERSIONED',
    version: record.version,
    rows_ingested: record.rowCount,
    ...outputColumns(record.schema),
    table_version: placement.version ?? null,
    promoted,
  };
}

/**
 * Whether the version is held back. The first attempt to get this far decides, by the gates; a retried
 * stage keeps what was decided, even if the settings changed meanwhile: a file its earlier attempt
 * committed to the table is in it for good, and one it held stays held until a person promotes it.
 */
function decideHold(
  deps: Pick<VersionDatasetDeps, 'clock'>,
  record: VersionRecord,
  settings: Parameters<typeof evaluateGates>[0],
  verdicts: Pick<z.infer<typeof afterDriftSchema>, 'drift' | 'quality'>,
  table: Snapshot | undefined,
): VersionRecord['hold'] {
  const txn = fileTransaction(record.sourceFileId);
  if (table?.appTransactions.get(txn.appId)?.version === txn.version) return undefined;
  if (record.status === 'HELD') return record.hold;
  if (record.status === 'READY') return undefined;
  const verdict = evaluateGates(settings, {
    driftSeverity: verdicts.drift?.severity ?? 'NONE',
    qualityStatus: verdicts.quality?.status ?? 'EXCELLENT',
  });
  return verdict.hold ? { reasons: verdict.reasons, at: deps.clock.now().toISOString() } : undefined;
}

/** At most this many column names in the execution's output… */
export const OUTPUT_COLUMN_NAMES = 100;
/** …and at most this many bytes of them (as JSON): 100 names of 256 characters would be 26 KB. */
export const OUTPUT_COLUMN_BYTES = 8 * 1024;

/**
 * The column names the execution's output carries: the first ones, within both limits, since the output
 * is Step Functions state (256 KB at most, and a state over it fails the execution past every Catch). A
 * cut is never silent: `column_count` has them all and `columns_truncated` says names were left out.
 */
export function outputColumns(
  schema: TableSchema,
): Pick<VersionOutput, 'columns' | 'column_count' | 'columns_truncated'> {
  const columns: string[] = [];
  let bytes = 0;
  for (const { name } of schema.columns) {
    bytes += Buffer.byteLength(JSON.stringify(name)) + 1;
    if (columns.length === OUTPUT_COLUMN_NAMES || bytes > OUTPUT_COLUMN_BYTES) break;
    columns.push(name);
  }
  const count = schema.columns.length;
  return { columns, column_count: count, columns_truncated: columns.length < count };
}
