/**
 * The PostgreSQL pull connector. A pull must neither skip nor repeat a row across runs, and a Lambda's
 * memory must not grow with the table, so: one query in one REPEATABLE READ snapshot (batches agree with
 * each other), streamed through a cursor `batchSize` rows at a time, ordered by the incremental column,
 * and cut only where that column's value changes. The watermark is the column's own text form, passed
 * back as a parameter whose type PostgreSQL infers from the column, so a timestamptz with microseconds
 * (which a JS Date would round) compares exactly on the next run.
 *
 * The client arrives unconnected from the wiring (the one place that turns a secret into driver options);
 * this adapter connects it, and ends it however the iteration ends: finished, failed or abandoned.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { type DatabaseConnectorConfig, redact, type Watermark } from '../domain/connectors.js';
import type { SourceColumn } from '../domain/source-records.js';
import type { ColumnType } from '../domain/table.js';
import { SourceError, StrataError, TransientError } from '../errors.js';
import type { RecordSource, SourceRecordBatch } from '../ports.js';
import { TRANSIENT_NETWORK_CODES } from './network-errors.js';
import {
  checkIdentifier,
  cutBatches,
  parseInt8,
  sourceQueryText,
  splitQualifiedName,
  WATERMARK_ALIAS,
} from './sql-source.js';

// ---------------------------------------------------------------- PostgreSQL specifics

/** PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated, which would read another table. */
const PG_MAX_IDENTIFIER_BYTES = 63;

export function quotePgIdentifier(name: string, what = 'column'): string {
  checkIdentifier(name, PG_MAX_IDENTIFIER_BYTES, what);
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.table` or `table`, each part quoted. */
export function quotePgTable(table: string): string {
  return splitQualifiedName(table, '"', 2)
    .map((part) => quotePgIdentifier(part, 'table'))
    .join('.');
}

/** The one statement a pull runs, with its parameters. */
export function buildPostgresQuery(
  config: Pick<DatabaseConnectorConfig, 'table' | 'query' | 'incrementalField'>,
  from: Watermark | undefined,
): { text: string; values: Watermark[] } {
  const source =
    config.table !== undefined
      ? quotePgTable(config.table)
      : // The newline keeps a trailing `-- comment` in the query from swallowing the parenthesis.
        `(\n${sourceQueryText(config.query ?? '')}\n) AS strata_source`;
  if (config.incrementalField === undefined) return { text: `SELECT * FROM ${source}`, values: [] };
  const col = quotePgIdentifier(config.incrementalField, 'incremental field');
  // $1 takes the column's type (PostgreSQL infers an untyped parameter from the other operand), so the
  // text watermark is parsed exactly as the column's type.
  const after = from === undefined ? '' : ` AND ${col} > $1`;
  return {
    text:
      `SELECT *, (${col})::text AS "${WATERMARK_ALIAS}" FROM ${source} ` +
      `WHERE ${col} IS NOT NULL${after} ORDER BY ${col}`,
    values: from === undefined ? [] : [from],
  };
}

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
} as const;

/** Declared dataset type of a result column; int8 is left to inference (see SourceColumn). */
export function pgColumnType(oid: number): ColumnType | undefined {
  switch (oid) {
    case OID.bool:
      return 'bool';
    case OID.int8:
      return undefined;
    case OID.int2:
    case OID.int4:
      return 'int';
    case OID.float4:
    case OID.float8:
    case OID.numeric:
      return 'float';
    case OID.date:
    case OID.timestamp:
    case OID.timestamptz:
      return 'timestamp';
    default:
      return 'string';
  }
}

const DATE_TEXT = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIMESTAMP_TEXT = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?( BC)?$/;

function utcDate(y: string, mo: string, d: string, bc: string | undefined, h = 0, mi = 0, s = 0, ms = 0) {
  const year = bc === undefined ? Number(y) : 1 - Number(y);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, Number(mo) - 1, Number(d));
  date.setUTCHours(h, mi, s, ms);
  return date;
}

/** `timestamp without time zone` as UTC: the driver's default would read it in the Lambda's local zone. */
export function parseTimestampAsUtc(text: string): Date | number | string {
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-infinity') return Number.NEGATIVE_INFINITY;
  const m = TIMESTAMP_TEXT.exec(text);
  if (m === null) return text;
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  return utcDate(m[1] ?? '', m[2] ?? '', m[3] ?? '', m[8], Number(m[4]), Number(m[5]), Number(m[6]), ms);
}

/** `date` as UTC midnight (the driver's default is local midnight). */
export function parseDateAsUtc(text: string): Date | number | string {
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-infinity') return Number.NEGATIVE_INFINITY;
  const m = DATE_TEXT.exec(text);
  return m === null ? text : utcDate(m[1] ?? '', m[2] ?? '', m[3] ?? '', m[4]);
}

const TEXT_PARSERS = new Map<number, (text: string) => unknown>([
  [OID.int8, parseInt8],
  [OID.date, parseDateAsUtc],
  [OID.timestamp, parseTimestampAsUtc],
  // The driver would make an object of it; its text (`1 day 02:00:00`) is the useful form.
  [OID.interval, (text) => text],
  [OID.numeric, (text) => text],
]);

/** Per-query parsers: never the process-wide pg.types, which other code in the Lambda may rely on. */
const QUERY_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    (format === undefined || format === 'text' ? TEXT_PARSERS.get(oid) : undefined) ??
    pg.types.getTypeParser(oid, format),
} as unknown as pg.CustomTypesConfig;

/** Watermark of a row: numbers for small integer columns, the exact text otherwise. */
function watermarkOf(text: string, oid: number | undefined): Watermark {
  if (oid === OID.int2 || oid === OID.int4) return Number(text);
  if (oid === OID.int8) return parseInt8(text);
  return text;
}

// ---------------------------------------------------------------- errors

/** SQLSTATEs (exact or class prefix) a retry may fix. */
const TRANSIENT_SQLSTATES = ['08', '53', '57P01', '57P02', '57P03', '57014', '40001', '40P01', '55P03', '58'];

const TRANSIENT_MESSAGES =
  /connection terminated|terminating connection|connection timeout|timeout expired|server closed the connection|Connection ended|not queryable/i;

/**
 * A driver error as our error: TransientError when a retry may help, SourceError otherwise. The message
 * keeps the server's text (it names tables and columns, never the password) but not the raw error, whose
 * fields may hold the host; the password is cut out in case a driver ever echoes it.
 */
export function postgresError(error: unknown, password: string | undefined): StrataError {
  if (error instanceof StrataError) return error;
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = redact(typeof e.message === 'string' ? e.message : String(error), password);
  // Before the SQLSTATE shape: a socket code of five capitals (EPIPE, from a write to a connection the
  // server just closed) has it too.
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    // Node's message repeats host:port; the code says enough.
    return new TransientError(`postgresql: cannot reach the server (${code})`);
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const text = `postgresql: ${message} (SQLSTATE ${code})`;
    return TRANSIENT_SQLSTATES.some((p) => code.startsWith(p))
      ? new TransientError(text)
      : new SourceError(text);
  }
  if (code === 'ENOTFOUND') return new SourceError('postgresql: the host name does not resolve (ENOTFOUND)');
  if (TRANSIENT_MESSAGES.test(message)) return new TransientError(`postgresql: ${message}`);
  return new SourceError(`postgresql: ${message}${code === undefined ? '' : ` (${code})`}`);
}

// ---------------------------------------------------------------- the source

/**
 * Pulls a table or query after a watermark. One pull per instance: a pg.Client connects once, so the
 * wiring builds a source (and a client) per run.
 */
export class PostgresSource implements RecordSource {
  private used = false;

  constructor(
    private readonly client: pg.Client,
    private readonly config: DatabaseConnectorConfig,
  ) {}

  pull(from: Watermark | undefined): AsyncIterable<SourceRecordBatch> {
    if (this.used) throw new Error('PostgresSource pulls once: build a new source (and client) per run');
    this.used = true;
    // Fail on a bad identifier before anything connects.
    const query = buildPostgresQuery(
      this.config,
      this.config.incrementalField === undefined ? undefined : from,
    );
    return this.batches(query);
  }

  private async *batches(query: { text: string; values: Watermark[] }): AsyncGenerator<SourceRecordBatch> {
    const client = this.client;
    const password = typeof client.password === 'string' ? client.password : undefined;
    // An error while no query is active (the backend killed between statements) is emitted on the
    // client; unheard, it would crash the process. It is the cause of whatever fails next.
    let fatal: unknown;
    client.on('error', (error) => {
      fatal ??= error;
    });
    const incremental = this.config.incrementalField !== undefined;
    try {
      await client.connect();
      // One snapshot for the whole pull; session settings make the text forms parseable and exact.
      await client.query(
        'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; ' +
          "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; " +
          "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3",
      );
      const cursor = client.query(
        new Cursor<unknown[]>(query.text, query.values, { rowMode: 'array', types: QUERY_TYPES }),
      );
      let fields: pg.FieldDef[] = [];
      const read = (max: number) =>
        new Promise<unknown[][]>((resolve, reject) => {
          cursor.read(max, (error, rows, result) => {
            if (error) return reject(error);
            if (fields.length === 0 && result?.fields) fields = result.fields;
            resolve(rows);
          });
        });
      const key = incremental ? (row: unknown[]) => String(row[row.length - 1]) : undefined;

      for await (const rows of cutBatches(read, this.config.batchSize, key)) {
        const data = incremental ? fields.slice(0, -1) : fields;
        const records = rows.map((row) => {
          const record: Record<string, unknown> = {};
          data.forEach((field, i) => {
            record[field.name] = row[i];
          });
          return record;
        });
        const columns: SourceColumn[] = data.map((f) => ({ name: f.name, type: pgColumnType(f.dataTypeID) }));
        let watermark: Watermark | undefined;
        const last = rows[rows.length - 1];
        if (key !== undefined && last !== undefined) {
          const oid = data.find((f) => f.name === this.config.incrementalField)?.dataTypeID;
          watermark = watermarkOf(key(last), oid);
        }
        yield { records, columns, watermark, read: rows.length, skipped: 0 };
      }
      await cursor.close();
      await client.query('COMMIT');
    } catch (error) {
      throw postgresError(fatal ?? error, password);
    } finally {
      // The listener stays: a late socket error on the ended client must not crash the process either.
      await endQuietly(client);
    }
  }
}

/** Ends the client whatever state it is in (an open cursor makes pg destroy the socket). */
async function endQuietly(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 5_000);
    }),
  ]);
  clearTimeout(timer);
}
