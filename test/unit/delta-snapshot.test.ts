import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, AddFile, LogEntry, Metadata } from '../../shared/domain/delta/actions.js';
import {
  advance,
  checkpointActions,
  checkWritable,
  parseLastCheckpoint,
  replay,
  rowCount,
  type Snapshot,
  tombstoneRetentionMs,
} from '../../shared/domain/delta/snapshot.js';
import { TableLogCorruptError, UnsupportedTableError } from '../../shared/errors.js';

const metadata: Metadata = {
  id: 'table-1',
  format: { provider: 'parquet', options: {} },
  schemaString: '{"type":"struct","fields":[]}',
  partitionColumns: [],
  configuration: {},
};

const add = (path: string, extra: Partial<AddFile> = {}): Action => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true, ...extra },
});
const remove = (path: string, deletionTimestamp?: number): Action => ({
  remove: { path, dataChange: true, ...(deletionTimestamp !== undefined && { deletionTimestamp }) },
});
const create: Action[] = [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, { metaData: metadata }];

/** A snapshot as a plain value, without what a checkpoint does not keep (which commit held a txn). */
function plain(snapshot: Snapshot) {
  return {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    files: Object.fromEntries(snapshot.files),
    tombstones: Object.fromEntries(snapshot.tombstones),
    txns: Object.fromEntries([...snapshot.appTransactions].map(([k, { committedIn: _, ...t }]) => [k, t])),
  };
}

/** Valid logs: version 0 creates the table; each later commit touches any path at most once. */
const arbitraryLog: fc.Arbitrary<LogEntry[]> = fc
  .array(
    fc.record({
      files: fc.uniqueArray(
        fc.record({
          path: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
          op: fc.constantFrom('add', 'remove'),
          size: fc.nat(99),
        }),
        { selector: (f) => f.path, maxLength: 3 },
      ),
      txn: fc.option(fc.record({ appId: fc.constantFrom('x', 'y'), version: fc.nat(9) }), { nil: undefined }),
      configuration: fc.option(fc.dictionary(fc.constantFrom('k1', 'k2'), fc.string({ maxLength: 3 })), {
        nil: undefined,
      }),
      writer: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
    }),
    { maxLength: 12 },
  )
  .map((commits) => [
    { version: 0, actions: create },
    ...commits.map((c, i): LogEntry => {
      const actions: Action[] = c.files.map((f) =>
        f.op === 'add' ? add(f.path, { size: f.size }) : remove(f.path, 1000 + i),
      );
      if (c.txn) actions.push({ txn: c.txn });
      if (c.configuration) actions.push({ metaData: { ...metadata, configuration: c.configuration } });
      if (c.writer) actions.push({ protocol: { minReaderVersion: 1, minWriterVersion: c.writer } });
      actions.unshift({ commitInfo: { operation: 'WRITE' } });
      return { version: i + 1, actions };
    }),
  ]);

describe('snapshot replay', () => {
  it('keeps the newest add or remove per file, the latest protocol, metadata and txn per app', () => {
    // Prepare
    const log: LogEntry[] = [
      { version: 0, actions: [...create, add('a'), add('b'), { txn: { appId: 'x', version: 1 } }] },
      { version: 1, actions: [remove('a', 5), add('c'), { txn: { appId: 'x', version: 2 } }] },
      {
        version: 2,
        actions: [
          add('a', { size: 9 }),
          remove('b', 6),
          { metaData: { ...metadata, configuration: { k: 'v' } } },
          { protocol: { minReaderVersion: 1, minWriterVersion: 1 } },
        ],
      },
    ];

    // Act
    const snapshot = replay(undefined, log);

    // Assess
    expect(snapshot.version).toBe(2);
    expect([...snapshot.files.keys()].sort()).toEqual(['a', 'c']);
    expect(snapshot.files.get('a')?.size).toBe(9);
    expect([...snapshot.tombstones.keys()]).toEqual(['b']);
    expect(snapshot.metadata.configuration).toEqual({ k: 'v' });
    expect(snapshot.protocol.minWriterVersion).toBe(1);
    expect(snapshot.appTransactions.get('x')).toEqual({ appId: 'x', version: 2, committedIn: 1 });
  });

  it('gives a checkpoint plus the commits after it the state of all commits', () => {
    fc.assert(
      fc.property(arbitraryLog, fc.nat(), (log, cut) => {
        // Prepare
        const k = cut % log.length;
        const checkpoint = {
          version: k,
          actions: checkpointActions(replay(undefined, log.slice(0, k + 1)), 0),
        };

        // Act
        const fromCheckpoint = replay(checkpoint, log.slice(k + 1));

        // Assess
        expect(plain(fromCheckpoint)).toEqual(plain(replay(undefined, log)));
      }),
    );
  });

  it('advances commit by commit to the state a full replay gives', () => {
    fc.assert(
      fc.property(arbitraryLog, (log) => {
        // Act
        let snapshot = replay(undefined, log.slice(0, 1));
        for (const entry of log.slice(1)) snapshot = advance(snapshot, entry);

        // Assess
        expect(plain(snapshot)).toEqual(plain(replay(undefined, log)));
      }),
    );
  });

  it('refuses a log with a gap or without protocol and metadata', () => {
    // Act
    const gap = () =>
      replay(undefined, [
        { version: 0, actions: create },
        { version: 2, actions: [] },
      ]);
    const bare = () => replay(undefined, [{ version: 0, actions: [add('a')] }]);
    const empty = () => replay(undefined, []);

    // Assess
    expect(gap).toThrow(/no version 1 before version 2/);
    expect(bare).toThrow(TableLogCorruptError);
    expect(empty).toThrow(TableLogCorruptError);
  });

  it('counts rows from the files’ statistics when every file has them', () => {
    // Prepare
    const counted = replay(undefined, [
      {
        version: 0,
        actions: [
          ...create,
          add('a', { stats: '{"numRecords":3}' }),
          add('b', { stats: '{"numRecords":4}' }),
        ],
      },
    ]);
    const unknown = advance(counted, { version: 1, actions: [add('c')] });

    // Act / Assess
    expect(rowCount(counted)).toBe(7);
    expect(rowCount(unknown)).toBeUndefined();
  });
});

describe('checkpoint content', () => {
  it('holds protocol, metadata, txns, live files and unexpired tombstones without stats, and no commitInfo', () => {
    // Prepare
    const day = 86_400_000;
    const snapshot = replay(undefined, [
      { version: 0, actions: [{ commitInfo: {} }, ...create, add('old'), add('new'), add('live')] },
      {
        version: 1,
        actions: [
          { remove: { path: 'old', dataChange: true, deletionTimestamp: 0, stats: '{}' } },
          { remove: { path: 'new', dataChange: true, deletionTimestamp: 7 * day, tags: { a: 'b' } } },
          { txn: { appId: 'x', version: 3 } },
        ],
      },
    ]);

    // Act
    const actions = checkpointActions(snapshot, 7 * day + 1);

    // Assess
    expect(actions).toEqual([
      create[0],
      create[1],
      { txn: { appId: 'x', version: 3 } },
      add('live'),
      { remove: { path: 'new', dataChange: true, deletionTimestamp: 7 * day } },
    ]);
  });

  it("reads the table's tombstone retention, keeping tombstones when it cannot", () => {
    // Act
    const of = (value?: string) =>
      tombstoneRetentionMs({
        ...metadata,
        configuration: value === undefined ? {} : { 'delta.deletedFileRetentionDuration': value },
      });

    // Assess
    expect(of()).toBe(7 * 86_400_000);
    expect(of('interval 2 days')).toBe(2 * 86_400_000);
    expect(of('interval 30 minutes')).toBe(30 * 60_000);
    expect(of('2 fortnights')).toBe(Number.POSITIVE_INFINITY);
  });

  it('points _last_checkpoint at a classic checkpoint only', () => {
    // Act / Assess
    expect(parseLastCheckpoint('{"version":10,"size":4,"sizeInBytes":99,"numOfAddFiles":2}')).toEqual({
      version: 10,
      size: 4,
      sizeInBytes: 99,
      numOfAddFiles: 2,
    });
    expect(parseLastCheckpoint('{"version":10,"size":4,"parts":3}')).toBeUndefined();
    expect(parseLastCheckpoint('garbage')).toBeUndefined();
  });
});

describe('what strata may write', () => {
  const base = replay(undefined, [{ version: 0, actions: create }]);

  it('a reader 1 / writer 2 table without invariants', () => {
    // Act / Assess
    expect(() => checkWritable(base, [add('a')])).not.toThrow();
    expect(() => checkWritable(base, [remove('a')])).not.toThrow();
  });

  it('not a table with table features, column invariants, or data removed from an append-only table', () => {
    // Prepare
    const featured = advance(base, {
      version: 1,
      actions: [
        { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: [] } },
      ],
    });
    const invariant = advance(base, {
      version: 1,
      actions: [
        {
          metaData: {
            ...metadata,
            schemaString: JSON.stringify({
              type: 'struct',
              fields: [{ name: 'x', type: 'long', nullable: true, metadata: { 'delta.invariants': '{}' } }],
            }),
          },
        },
      ],
    });
    const appendOnly = advance(base, {
      version: 1,
      actions: [{ metaData: { ...metadata, configuration: { 'delta.appendOnly': 'true' } } }],
    });

    // Act / Assess
    expect(() => checkWritable(featured, [add('a')])).toThrow(UnsupportedTableError);
    expect(() => checkWritable(invariant, [add('a')])).toThrow(/invariants/);
    expect(() => checkWritable(appendOnly, [add('a')])).not.toThrow();
    expect(() => checkWritable(appendOnly, [remove('a')])).toThrow(/append-only/);
  });
});
