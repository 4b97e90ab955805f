import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action, LogEntry } from '../../shared/domain/delta/actions.js';
import { findConflict, holdsTransaction, type PendingCommit } from '../../shared/domain/delta/conflicts.js';

const add = (path: string): Action => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
});
const remove = (path: string, dataChange = true): Action => ({ remove: { path, dataChange } });
const info = (isBlindAppend?: boolean): Action => ({
  commitInfo: { operation: 'WRITE', ...(isBlindAppend !== undefined && { isBlindAppend }) },
});
const metaData: Action = {
  metaData: {
    id: 't',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration: {},
  },
};
const protocol: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };

const blindAppend = (path: string): PendingCommit => ({
  actions: [info(true), add(path)],
  isBlindAppend: true,
});
/** Replaces the table's content: reads it whole, removes what it read, adds the new data. */
const overwrite = (removes: string[], adds: string[]): PendingCommit => ({
  actions: [info(false), ...removes.map((p) => remove(p)), ...adds.map(add)],
  isBlindAppend: false,
});
const winner = (actions: Action[]): LogEntry => ({ version: 8, actions });

describe('a blind append that lost the race', () => {
  it('commutes with any append, blind or not, and with removes of files it never read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }),
        fc.array(fc.constantFrom('p', 'q'), { maxLength: 2 }),
        fc.option(fc.boolean(), { nil: undefined }),
        (adds, removes, blind) => {
          // Prepare
          const won = winner([info(blind), ...adds.map(add), ...removes.map((p) => remove(p))]);

          // Act
          const conflict = findConflict(blindAppend('mine'), won);

          // Assess
          expect(conflict).toBeUndefined();
        },
      ),
    );
  });

  it('conflicts with a concurrent protocol or metadata change', () => {
    // Act
    const byProtocol = findConflict(blindAppend('mine'), winner([info(), protocol]));
    const byMetadata = findConflict(blindAppend('mine'), winner([info(), metaData]));

    // Assess
    expect(byProtocol).toMatchObject({ reason: 'ProtocolChanged', winningVersion: 8 });
    expect(byMetadata).toMatchObject({ reason: 'MetadataChanged', winningVersion: 8 });
  });

  it('conflicts with a winner that set a txn of the same app', () => {
    // Prepare
    const mine: PendingCommit = {
      ...blindAppend('mine'),
      actions: [...blindAppend('mine').actions, { txn: { appId: 'a', version: 2 } }],
    };

    // Act
    const sameApp = findConflict(mine, winner([info(true), add('w'), { txn: { appId: 'a', version: 1 } }]));
    const otherApp = findConflict(mine, winner([info(true), add('w'), { txn: { appId: 'b', version: 2 } }]));

    // Assess
    expect(sameApp?.reason).toBe('ConcurrentTransaction');
    expect(otherApp).toBeUndefined();
  });
});

describe('an overwrite that lost the race', () => {
  it('conflicts with concurrent adds unless the winner was a blind append', () => {
    // Act
    const afterBlind = findConflict(overwrite(['a'], ['b']), winner([info(true), add('c')]));
    const afterWrite = findConflict(overwrite(['a'], ['b']), winner([info(false), add('c')]));
    // delta-rs writes no isBlindAppend: its appends count as not blind.
    const afterUnmarked = findConflict(overwrite(['a'], ['b']), winner([info(), add('c')]));

    // Assess
    expect(afterBlind).toBeUndefined();
    expect(afterWrite?.reason).toBe('ConcurrentAppend');
    expect(afterUnmarked?.reason).toBe('ConcurrentAppend');
  });

  it('conflicts with blind appends too when it changes the metadata', () => {
    // Prepare
    const replace: PendingCommit = {
      ...overwrite(['a'], ['b']),
      actions: [...overwrite(['a'], ['b']).actions, metaData],
    };

    // Act
    const conflict = findConflict(replace, winner([info(true), add('c')]));

    // Assess
    expect(conflict?.reason).toBe('ConcurrentAppend');
  });

  it('conflicts with a concurrent removal of data it read, not with a rearrangement', () => {
    // Act
    const deleted = findConflict(overwrite(['a'], ['b']), winner([info(false), remove('z')]));
    const compacted = findConflict(overwrite([], ['b']), winner([info(false), remove('z', false)]));

    // Assess
    expect(deleted?.reason).toBe('ConcurrentDeleteRead');
    expect(compacted).toBeUndefined();
  });

  it('conflicts with a winner removing the same file, even without data change', () => {
    // Prepare: a pending commit that removes without reading (dataChange false)
    const rearrange: PendingCommit = {
      actions: [info(false), remove('a', false), add('b')],
      isBlindAppend: true,
    };

    // Act
    const conflict = findConflict(rearrange, winner([info(false), remove('a', false)]));

    // Assess
    expect(conflict?.reason).toBe('ConcurrentDeleteDelete');
  });
});

describe('a retried commit', () => {
  it('is recognised by its txn app and version', () => {
    // Prepare
    const entry = winner([info(true), add('f'), { txn: { appId: 'file-1', version: 3 } }]);

    // Act / Assess
    expect(holdsTransaction(entry, { appId: 'file-1', version: 3 })).toBe(true);
    expect(holdsTransaction(entry, { appId: 'file-1', version: 4 })).toBe(false);
    expect(holdsTransaction(entry, { appId: 'file-2', version: 3 })).toBe(false);
  });
});
