/** fast-check arbitraries of Delta log actions, shaped as parseAction returns them. */
import fc from 'fast-check';
import type {
  Action,
  AddFile,
  Metadata,
  Protocol,
  RemoveFile,
  Txn,
} from '../../shared/domain/delta/actions.js';

const text = fc.string({ maxLength: 12 });
const long = fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 });
const nat = fc.nat({ max: 2 ** 53 - 1 });
const stringMap = fc.dictionary(text, text, { maxKeys: 3 });
const nullableMap = fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 3 });
/** Object keys that JSON and Parquet maps both keep as given (no `__proto__`). */
const safe = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== '__proto__')) as T;

export const arbitraryPath = fc.stringMatching(/^[a-z0-9-]{1,12}\.parquet$/);

export const arbitraryAdd: fc.Arbitrary<AddFile> = fc.record(
  {
    path: arbitraryPath,
    partitionValues: nullableMap.map(safe),
    size: nat,
    modificationTime: nat,
    dataChange: fc.boolean(),
    stats: text,
    tags: nullableMap.map(safe),
    baseRowId: long,
    defaultRowCommitVersion: nat,
    clusteringProvider: text,
  },
  { requiredKeys: ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange'] },
);

export const arbitraryRemove: fc.Arbitrary<RemoveFile> = fc.record(
  {
    path: arbitraryPath,
    deletionTimestamp: nat,
    dataChange: fc.boolean(),
    extendedFileMetadata: fc.boolean(),
    partitionValues: nullableMap.map(safe),
    size: nat,
    baseRowId: long,
    defaultRowCommitVersion: nat,
  },
  { requiredKeys: ['path', 'dataChange'] },
);

export const arbitraryTxn: fc.Arbitrary<Txn> = fc.record(
  { appId: text, version: long, lastUpdated: nat },
  { requiredKeys: ['appId', 'version'] },
);

export const arbitraryMetadata: fc.Arbitrary<Metadata> = fc.record(
  {
    id: fc.uuid(),
    name: text,
    description: text,
    format: fc.record({ provider: fc.constant('parquet'), options: stringMap.map(safe) }),
    schemaString: text,
    partitionColumns: fc.array(text, { maxLength: 2 }),
    createdTime: nat,
    configuration: stringMap.map(safe),
  },
  { requiredKeys: ['id', 'format', 'schemaString', 'partitionColumns', 'configuration'] },
);

export const arbitraryProtocol: fc.Arbitrary<Protocol> = fc.oneof(
  fc.record({ minReaderVersion: fc.constantFrom(1, 2), minWriterVersion: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    minReaderVersion: fc.constant(3),
    minWriterVersion: fc.constant(7),
    readerFeatures: fc.array(text, { maxLength: 2 }),
    writerFeatures: fc.array(text, { maxLength: 2 }),
  }),
);

/** The actions a checkpoint holds (no commitInfo). */
export const arbitraryStateAction: fc.Arbitrary<Action> = fc.oneof(
  arbitraryAdd.map((add) => ({ add })),
  arbitraryRemove.map((remove) => ({ remove })),
  arbitraryTxn.map((txn) => ({ txn })),
  arbitraryMetadata.map((metaData) => ({ metaData })),
  arbitraryProtocol.map((protocol) => ({ protocol })),
);

export const arbitraryAction: fc.Arbitrary<Action> = fc.oneof(
  arbitraryStateAction,
  fc
    .record(
      {
        timestamp: nat,
        operation: text,
        isBlindAppend: fc.boolean(),
        txnId: fc.uuid(),
        custom: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((commitInfo) => ({ commitInfo: JSON.parse(JSON.stringify(commitInfo)) })),
);
