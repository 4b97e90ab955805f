import { describe, expect, it } from 'vitest';
import { TableWriter } from '../../shared/adapters/delta/table-writer.js';
import { type Action, actionsOf } from '../../shared/domain/delta/actions.js';
import { serializeSchema } from '../../shared/domain/delta/schema.js';
import { tableSchema } from '../../shared/domain/delta/snapshot.js';
import type { FileStats } from '../../shared/domain/delta/stats.js';
import { addDataFile, commitActions, type DataFile } from '../../shared/domain/delta/table.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { SchemaMismatchError } from '../../shared/errors.js';
import type { TableLog } from '../../shared/ports.js';
import { MemoryTableLogs } from '../support/memory-table-log.js';

const base: TableSchema = {
  columns: [
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'temperature', type: 'float', nullable: true },
  ],
};
const wider: TableSchema = {
  columns: [...base.columns, { name: 'humidity', type: 'float', nullable: true }],
};

const stats = (rows: number): FileStats => ({
  numRecords: rows,
  minValues: {},
  maxValues: {},
  nullCount: {},
});
const file = (path: string, rows = 4): DataFile => ({
  path,
  size: 100,
  modificationTime: 1,
  stats: stats(rows),
});

/** The log, with one commit of another writer slipped in just before this writer's first commit attempt. */
function racedBy(log: TableLog, competing: (version: number) => Action[]): TableLog {
  let raced = false;
  return Object.assign(Object.create(log) as TableLog, {
    async writeCommit(version: number, actions: readonly Action[]) {
      if (!raced) {
        raced = true;
        await log.writeCommit(version, competing(version));
      }
      return log.writeCommit(version, actions);
    },
  });
}

const blindAppend = (path: string): Action[] =>
  commitActions([{ add: addDataFile(file(path)) }], {
    operation: 'WRITE',
    isBlindAppend: true,
    txnId: `other-${path}`,
    timestamp: 2,
  });

describe('appending a file with new columns', () => {
  it("adds them to the table's schema in the file's own commit", async () => {
    // Prepare
    const log = new MemoryTableLogs().open('tables/acme/readings/');
    const writer = new TableWriter(log);
    await writer.append({ schema: base, files: [file('a.parquet')] });

    // Act
    const result = await writer.append({ schema: wider, files: [file('b.parquet')], evolveSchema: true });

    // Assess
    expect(result).toMatchObject({ version: 1, status: 'committed' });
    const commit = (await log.readCommit(1)) ?? [];
    expect(actionsOf(commit, 'metaData')).toHaveLength(1);
    expect(actionsOf(commit, 'add').map((a) => a.path)).toEqual(['b.parquet']);
    expect(actionsOf(commit, 'commitInfo')[0]).toMatchObject({ isBlindAppend: false });
    const snapshot = await writer.snapshot();
    expect(snapshot && tableSchema(snapshot).fields.map((f) => f.name)).toEqual([
      'ts',
      'temperature',
      'humidity',
    ]);
  });

  it('refuses them without evolveSchema, and refuses a column of another type either way', async () => {
    // Prepare
    const writer = new TableWriter(new MemoryTableLogs().open('tables/acme/readings/'));
    await writer.append({ schema: base, files: [file('a.parquet')] });
    const retyped: TableSchema = { columns: [{ name: 'temperature', type: 'int', nullable: true }] };

    // Act
    const strict = writer.append({ schema: wider, files: [file('b.parquet')] });
    const evolving = writer.append({ schema: retyped, files: [file('c.parquet')], evolveSchema: true });

    // Assess
    await expect(strict).rejects.toThrow(SchemaMismatchError);
    await expect(evolving).rejects.toThrow(SchemaMismatchError);
    expect((await writer.snapshot())?.version).toBe(0);
  });
});

describe('an append that loses to a commit it must not be put on top of', () => {
  it('reads the table again after a concurrent schema change, and still commits once', async () => {
    // Prepare
    const log = new MemoryTableLogs().open('tables/acme/readings/');
    await new TableWriter(log).append({ schema: base, files: [file('a.parquet')] });
    const before = await new TableWriter(log).snapshot();
    const changed = racedBy(log, () => [
      {
        metaData: {
          ...(before?.metadata ?? ({} as never)),
          schemaString: serializeSchema({
            type: 'struct',
            fields: [
              ...(before ? tableSchema(before).fields : []),
              { name: 'site', type: 'string', nullable: true, metadata: {} },
            ],
          }),
        },
      },
    ]);

    // Act
    const result = await new TableWriter(changed).append({
      schema: base,
      files: [file('b.parquet')],
      txn: { appId: 'strata-file-b', version: 1 },
    });

    // Assess
    expect(result).toMatchObject({ version: 2, status: 'committed' });
    expect((await log.list(0)).commits).toEqual([0, 1, 2]);
    const snapshot = await new TableWriter(log).snapshot();
    expect([...(snapshot?.files.keys() ?? [])].sort()).toEqual(['a.parquet', 'b.parquet']);
    expect(snapshot?.appTransactions.get('strata-file-b')).toMatchObject({ version: 1, committedIn: 2 });
  });

  it('reads the table again when it changes the schema and another writer appended first', async () => {
    // Prepare
    const log = new MemoryTableLogs().open('tables/acme/readings/');
    await new TableWriter(log).append({ schema: base, files: [file('a.parquet')] });
    const appended = racedBy(log, () => blindAppend('other.parquet'));

    // Act
    const result = await new TableWriter(appended).append({
      schema: wider,
      files: [file('b.parquet')],
      evolveSchema: true,
    });

    // Assess
    expect(result).toMatchObject({ version: 2, status: 'committed' });
    const snapshot = await new TableWriter(log).snapshot();
    expect(snapshot?.files.size).toBe(3);
    expect(snapshot && tableSchema(snapshot).fields.map((f) => f.name)).toContain('humidity');
  });
});
