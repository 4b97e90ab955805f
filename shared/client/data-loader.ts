/**
 * `createDataLoader({dataset, batchSize, shuffle, seed, split, …})`: a dataset's table (or a training
 * set's files) as an async iterable of fixed-size batches for a training loop, with bounded memory.
 *
 * Memory: the loader holds at most `bufferRows` rows, counting the row group it is reading (a row group is
 * fetched and decoded whole), the shuffle buffer and the batch being filled; `stats.peakBufferedRows`
 * says how many it held at most. Before reading the next row group it hands rows out until that row group
 * fits, so the bound holds whatever the table's size.
 *
 * Shuffling (like tf.data's): a seeded shuffle of the file order, then a seeded random pick from the
 * buffer for every row handed out. Order is a function of the seed, the epoch and the files alone; every
 * row comes exactly once per epoch. How well rows mix is bounded by the buffer: rows of one row group
 * can only meet rows of the row groups buffered with them.
 *
 * Splits: `split: {train: 0.8, test: 0.2}` assigns each row by a seeded hash of a key column
 * (`splitKey`), or else of its position (data file path and row number), so a row lands in the same
 * split on every epoch, with or without shuffling. A key column keeps the split across versions whose
 * files an upsert rewrote; position does not.
 */
import type { RecordBatch as ArrowRecordBatch } from 'apache-arrow';
import type { CellValue, RecordBatch, TableSchema } from '../domain/table.js';
import { seededRandom, seedOf } from '../domain/table-sample.js';
import { arrowBatchOf, arrowSchemaOf } from './arrow.js';
import { ApiError, type ClientConfig } from './http.js';
import { createStrataClient, type StrataClient } from './strata.js';
import {
  batchRows,
  openTableFile,
  projectSchema,
  type ReadCounter,
  type Row,
  type TableFile,
  tableSource,
  unionSchemas,
} from './table-reader.js';

export const DEFAULT_BUFFER_ROWS = 50_000;

// ---------------------------------------------------------------------------------------------------------
// Pure parts: file order, split assignment, the bounded shuffle buffer

/** Fisher–Yates with a seeded generator: a permutation of 0…n-1 that depends on nothing but the seed. */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** A 32-bit seed from a seed and an epoch: each epoch its own order, the same one every run. */
export function epochSeed(seed: number, epoch: number): number {
  return seedOf(`${seed >>> 0}:${epoch}`);
}

/** Ratios by split name, each ≥ 0, summing to 1. */
export type SplitRatios = Record<string, number>;

export function checkSplitRatios(ratios: SplitRatios): void {
  const values = Object.values(ratios);
  if (values.length === 0 || values.some((r) => !Number.isFinite(r) || r < 0)) {
    throw new ApiError(400, 'InvalidInputError', 'split ratios must be finite numbers ≥ 0', ratios);
  }
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) {
    throw new ApiError(400, 'InvalidInputError', `split ratios must sum to 1 (they sum to ${sum})`, ratios);
  }
}

/** A uniform number in [0, 1) from a seed and a text: the row's place on the split line. */
export function splitPoint(seed: number, text: string): number {
  // FNV-1a of the text seeded with the seed, then MurmurHash3's finalizer so close texts spread.
  let h = seedOf(`${seed >>> 0}\u0000${text}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The split whose cumulative interval holds `point` (names in the order given). */
export function splitOf(ratios: SplitRatios, point: number): string {
  let edge = 0;
  let last = '';
  for (const [name, ratio] of Object.entries(ratios)) {
    if (ratio <= 0) continue;
    edge += ratio;
    last = name;
    if (point < edge) return name;
  }
  return last;
}

/** What the loader buffers, and the most it ever did (the memory bound's evidence). */
export interface LoaderStats {
  bufferedRows: number;
  peakBufferedRows: number;
  rowsRead: number;
  rowsYielded: number;
}

export function newStats(): LoaderStats {
  return { bufferedRows: 0, peakBufferedRows: 0, rowsRead: 0, rowsYielded: 0 };
}

export interface BufferOptions {
  batchSize: number;
  /** The most rows held at once: the chunk being taken in, the buffer and the batch being filled. */
  capacity: number;
  /** A seeded generator to pick rows at random; absent, rows keep their order. */
  random?: () => number;
  stats?: LoaderStats;
}

/** A chunk of rows not read yet, whose size is known (a row group, from its file's footer). */
export interface PendingChunk<T> {
  size: number;
  /** At most `size` rows. */
  load(): Promise<readonly T[]>;
}

/**
 * Chunks of rows in, batches of `batchSize` rows out (the last one shorter), never holding more than
 * `capacity` rows: before a chunk is loaded, rows are handed out until it fits beside what is held. A
 * chunk larger than `capacity - batchSize + 1` cannot fit beside a batch being filled, and is refused.
 */
export async function* bufferedBatches<T>(
  chunks: AsyncIterable<PendingChunk<T>>,
  options: BufferOptions,
): AsyncGenerator<T[]> {
  const { batchSize, capacity, random } = options;
  const stats = options.stats ?? newStats();
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ApiError(400, 'InvalidInputError', `batchSize ${batchSize} is not an integer ≥ 1`, undefined);
  }
  if (!Number.isSafeInteger(capacity) || capacity < batchSize) {
    throw new ApiError(
      400,
      'InvalidInputError',
      `the buffer (${capacity} rows) is smaller than a batch`,
      undefined,
    );
  }
  // The buffer is a plain array with a moving head: FIFO without shifting, random pick by swap-remove.
  let buffer: T[] = [];
  let head = 0;
  let batch: T[] = [];
  const held = () => buffer.length - head + batch.length;
  const note = (extra = 0) => {
    stats.bufferedRows = held() + extra;
    if (stats.bufferedRows > stats.peakBufferedRows) stats.peakBufferedRows = stats.bufferedRows;
  };
  const take = (): T => {
    if (random) {
      const i = head + Math.floor(random() * (buffer.length - head));
      const row = buffer[i] as T;
      buffer[i] = buffer[buffer.length - 1] as T;
      buffer.pop();
      return row;
    }
    const row = buffer[head] as T;
    head++;
    if (head > 4096 && head * 2 > buffer.length) {
      buffer = buffer.slice(head);
      head = 0;
    }
    return row;
  };
  function* handOut(room: number): Generator<T[]> {
    while (buffer.length > head && held() > room) {
      batch.push(take());
      if (batch.length === batchSize) {
        const full = batch;
        batch = [];
        stats.rowsYielded += full.length;
        note();
        yield full;
      }
    }
  }
  for await (const chunk of chunks) {
    if (chunk.size > capacity - batchSize + 1) {
      throw new ApiError(
        400,
        'InvalidInputError',
        `a row group of ${chunk.size} rows does not fit the loader's buffer of ${capacity} rows beside a batch of ${batchSize}: raise bufferRows`,
        undefined,
      );
    }
    // With the buffer empty, what is held is a batch short of full: the size check above leaves room.
    yield* handOut(capacity - chunk.size);
    const rows = await chunk.load();
    note(rows.length);
    for (const row of rows) buffer.push(row);
    stats.rowsRead += rows.length;
  }
  yield* handOut(0);
  note();
  if (batch.length > 0) {
    const last = batch;
    batch = [];
    stats.rowsYielded += last.length;
    note();
    yield last;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The loader

export type LoaderOutput = 'arrow' | 'rows';

/** What a loader hands out: Arrow record batches, or arrays of row objects. */
export type LoaderBatch<A extends LoaderOutput> = A extends 'rows' ? Row[] : ArrowRecordBatch;

export interface DataLoaderOptions<A extends LoaderOutput = LoaderOutput> extends ClientConfig {
  dataset?: string;
  /** Default: the dataset's current version. */
  version?: number;
  /** A training set's id instead of a dataset: its files (or its table version). */
  trainingSet?: string;
  batchSize: number;
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
  columns?: string[];
  split?: SplitRatios;
  /** The column whose value decides a row's split (default: the row's position). */
  splitKey?: string;
  /** Rows the loader may hold at once (default 50 000). */
  bufferRows?: number;
  /** `arrow` (default): Arrow record batches; `rows`: row objects, timestamps as ISO 8601. */
  as?: A;
}

export interface EpochOptions {
  /** Each epoch has its own order (default 0). */
  epoch?: number;
  /** Only this split's rows (a name of `split`). */
  split?: string;
}

/** A row on its way through the buffer: its cells in schema order. */
type Cells = CellValue[];

interface LoaderFiles {
  schema: TableSchema;
  files: TableFile[];
}

/** The manifest's table version, or each selected file's data file found in its version's listing. */
async function trainingSetFiles(client: StrataClient, id: string, doFetch: typeof fetch) {
  const detail = await client.getTrainingSet(id);
  const { manifest } = detail;
  if (manifest.table) {
    return tableSource(client, manifest.table.dataset, manifest.table.version, { fetch: doFetch });
  }
  const listings = new Map<
    string,
    Promise<Map<string, { url: string; size: number; rows: number | null }>>
  >();
  const locate = (dataset: string, version: number, path: string) => {
    const k = `${dataset}@${version}`;
    let listing = listings.get(k);
    if (!listing) {
      listing = (async () => {
        const found = new Map<string, { url: string; size: number; rows: number | null }>();
        let cursor: string | undefined;
        do {
          const page = await client.versionFiles(dataset, version, cursor === undefined ? {} : { cursor });
          for (const f of page.files) found.set(f.path, { url: f.url, size: f.size, rows: f.rows });
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        return found;
      })();
      listings.set(k, listing);
    }
    return listing.then((m) => {
      const file = m.get(path);
      if (!file) throw new ApiError(410, 'GoneError', `data file ${path} of ${k} is gone`, undefined);
      return file;
    });
  };
  // A file committed as its chunk files is read from all of them, in order.
  const parts = manifest.files.flatMap((f) =>
    (f.dataFiles ?? [f.dataFile]).map((d) => ({ f, path: d.path })),
  );
  const files: TableFile[] = await Promise.all(
    parts.map(async ({ f, path }) => {
      const found = await locate(f.dataset, f.version, path);
      return {
        path: `${f.dataset}/${path}`,
        size: found.size,
        rows: f.dataFiles ? found.rows : f.rows,
        url: found.url,
        refresh: async () => {
          listings.delete(`${f.dataset}@${f.version}`);
          return (await locate(f.dataset, f.version, path)).url;
        },
      };
    }),
  );
  // The files may come from versions with different columns: the union, in order of appearance.
  const schemas = await Promise.all(
    manifest.files.map(async (f) => (await client.getVersion(f.dataset, f.version)).schema),
  );
  return { schema: unionSchemas(schemas), files };
}

export function createDataLoader<A extends LoaderOutput = 'arrow'>(options: DataLoaderOptions<A>) {
  const { batchSize, shuffle = false, seed = 0, columns, split, splitKey } = options;
  const capacity = options.bufferRows ?? DEFAULT_BUFFER_ROWS;
  if ((options.dataset === undefined) === (options.trainingSet === undefined)) {
    throw new ApiError(400, 'InvalidInputError', 'name a dataset or a training set, not both', undefined);
  }
  if (split) checkSplitRatios(split);
  const client = createStrataClient(options);
  const doFetch = options.fetch ?? fetch;
  const stats = newStats();
  const counter: ReadCounter = { requests: 0, bytes: 0 };
  let resolved: Promise<LoaderFiles> | undefined;
  // One listing for every epoch: the epochs of a run read the same files.
  const files = () => {
    resolved ??= options.trainingSet
      ? trainingSetFiles(client, options.trainingSet, doFetch)
      : tableSource(client, options.dataset as string, options.version, { fetch: doFetch });
    return resolved;
  };

  async function* epochBatches(epochOptions: EpochOptions): AsyncGenerator<LoaderBatch<A>> {
    const { epoch = 0 } = epochOptions;
    const only = epochOptions.split;
    if (only !== undefined && !(split && only in split)) {
      throw new ApiError(400, 'InvalidInputError', `split "${only}" is not one of the loader's`, undefined);
    }
    const source = await files();
    const schema = projectSchema(source.schema, columns);
    const keyIndex =
      splitKey === undefined ? -1 : source.schema.columns.findIndex((c) => c.name === splitKey);
    if (splitKey !== undefined && keyIndex < 0) {
      throw new ApiError(400, 'InvalidInputError', `split key "${splitKey}" is not in the table`, undefined);
    }
    // The split key is read even when not asked for; it is dropped from what is handed out.
    const readSchema =
      keyIndex >= 0 && !schema.columns.some((c) => c.name === splitKey)
        ? { columns: [...schema.columns, source.schema.columns[keyIndex] as TableSchema['columns'][number]] }
        : schema;
    const keyAt = splitKey === undefined ? -1 : readSchema.columns.findIndex((c) => c.name === splitKey);
    const width = schema.columns.length;
    const eSeed = epochSeed(seed, epoch);
    const order = shuffle ? shuffledOrder(source.files.length, eSeed) : source.files.map((_, i) => i);

    const toCells = (file: TableFile, batch: RecordBatch, first: number): Cells[] => {
      const rows: Cells[] = [];
      for (let r = 0; r < batch.numRows; r++) {
        if (split && only !== undefined) {
          const text = keyAt >= 0 ? `k:${String(batch.columns[keyAt]?.[r])}` : `p:${file.path}#${first + r}`;
          if (splitOf(split, splitPoint(seed, text)) !== only) continue;
        }
        const cells: Cells = new Array(width);
        for (let c = 0; c < width; c++) cells[c] = batch.columns[c]?.[r] ?? null;
        rows.push(cells);
      }
      return rows;
    };

    async function* chunks(): AsyncGenerator<PendingChunk<Cells>> {
      for (const index of order) {
        const file = source.files[index] as TableFile;
        const opened = await openTableFile(file, readSchema, { fetch: doFetch, counter });
        let first = 0;
        for (const [group, size] of opened.rowGroups.entries()) {
          const start = first;
          first += size;
          yield { size, load: async () => toCells(file, await opened.read(group), start) };
        }
      }
    }

    const arrowSchema = arrowSchemaOf(schema);
    const random = shuffle ? seededRandom(eSeed ^ 0x5bd1e995) : undefined;
    for await (const rows of bufferedBatches(chunks(), {
      batchSize,
      capacity,
      stats,
      ...(random && { random }),
    })) {
      const batch: RecordBatch = {
        schema,
        numRows: rows.length,
        columns: schema.columns.map((_, c) => rows.map((row) => row[c] ?? null)),
      };
      yield (options.as === 'rows' ? batchRows(batch) : arrowBatchOf(batch, arrowSchema)) as LoaderBatch<A>;
    }
  }

  return {
    /** Epoch 0, every split. */
    [Symbol.asyncIterator](): AsyncIterator<LoaderBatch<A>> {
      return epochBatches({})[Symbol.asyncIterator]();
    },
    /** One pass over the rows: an epoch's own order, optionally one split. */
    batches(epochOptions: EpochOptions = {}): AsyncIterable<LoaderBatch<A>> {
      return epochBatches(epochOptions);
    },
    /** The table's schema as the loader hands it out (after `columns`). */
    async schema(): Promise<TableSchema> {
      return projectSchema((await files()).schema, columns);
    },
    /** Rows held now and at most so far, rows read and handed out. */
    stats,
    /** Ranged GETs and bytes read from the data files. */
    reads: counter,
  };
}

export type DataLoader = ReturnType<typeof createDataLoader>;
