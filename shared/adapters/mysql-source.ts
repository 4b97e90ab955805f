/**
 * The MySQL/MariaDB pull connector, with the PostgreSQL source's guarantees: one consistent snapshot
 * per pull, rows streamed (the driver pauses the socket when we stop reading, so a Lambda's memory stays
 * bounded by the batch), batches cut only where the incremental value changes, and an exact watermark
 * (the column's text form). MySQL compares a column with a string parameter as a double when the column
 * is numeric, which would misplace a BIGINT above 2^53 or a long DECIMAL; so a zero-row probe reads the
 * incremental column's type first and the parameter is CAST to it.
 *
 * The connection is opened by a factory from the wiring (the one place that turns a secret into driver
 * options), lazily inside pull(), so building a source opens nothing and each pull has its own session.
 */
import type { Readable } from 'node:stream';
import type { Connection, FieldPacket } from 'mysql2';
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

/** MySQL and MariaDB limit identifiers to 64 characters. */
const MYSQL_MAX_IDENTIFIER_BYTES = 256;
const MYSQL_MAX_IDENTIFIER_CHARS = 64;

/** Seconds the server waits for us to read while a slow batch upload holds the stream (Lambda max). */
const NET_WRITE_TIMEOUT_SECONDS = 900;

export function quoteMysqlIdentifier(name: string, what = 'column'): string {
  checkIdentifier(name, MYSQL_MAX_IDENTIFIER_BYTES, what);
  if ([...name].length > MYSQL_MAX_IDENTIFIER_CHARS) {
    throw new SourceError(
      `${what} ${JSON.stringify(name)} is longer than ${MYSQL_MAX_IDENTIFIER_CHARS} characters`,
    );
  }
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `db.table` or `table`, each part backticked. */
export function quoteMysqlTable(table: string): string {
  return splitQualifiedName(table, '`', 2)
    .map((part) => quoteMysqlIdentifier(part, 'table'))
    .join('.');
}

/** Protocol column types (stable wire constants; mysql2 exposes them only untyped). */
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  NEWDECIMAL: 246,
} as const;

const UNSIGNED_FLAG = 32;

function columnTypeOf(field: FieldPacket): number | undefined {
  return field.columnType ?? field.type;
}

function isUnsigned(field: FieldPacket): boolean {
  const flags = field.flags;
  return typeof flags === 'number' ? (flags & UNSIGNED_FLAG) !== 0 : flags.includes('UNSIGNED');
}

/**
 * Declared dataset type of a result column. TINYINT(1) is MySQL's BOOLEAN; BIGINT is left to inference
 * (see SourceColumn).
 */
export function mysqlColumnType(field: FieldPacket): ColumnType | undefined {
  switch (columnTypeOf(field)) {
    case T.TINY:
      return field.columnLength === 1 ? 'bool' : 'int';
    case T.LONGLONG:
      return undefined;
    case T.SHORT:
    case T.LONG:
    case T.INT24:
    case T.YEAR:
      return 'int';
    case T.FLOAT:
    case T.DOUBLE:
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return 'float';
    case T.DATE:
    case T.NEWDATE:
    case T.DATETIME:
    case T.DATETIME2:
    case T.TIMESTAMP:
    case T.TIMESTAMP2:
      return 'timestamp';
    default:
      return 'string';
  }
}

/**
 * The parameter placeholder for `col > ?`, cast to the column's type so the comparison is exact (a bare
 * string parameter against a numeric column compares as doubles). Strings compare in the column's
 * collation, as ORDER BY sorts them.
 */
export function mysqlWatermarkPlaceholder(field: FieldPacket | undefined): string {
  if (field === undefined) return '?';
  switch (columnTypeOf(field)) {
    case T.TINY:
    case T.SHORT:
    case T.LONG:
    case T.INT24:
    case T.LONGLONG:
    case T.YEAR:
      return isUnsigned(field) ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)';
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return `CAST(? AS DECIMAL(65, ${Math.max(0, Math.min(field.decimals, 38))}))`;
    case T.DATE:
    case T.NEWDATE:
      return 'CAST(? AS DATE)';
    case T.DATETIME:
    case T.DATETIME2:
    case T.TIMESTAMP:
    case T.TIMESTAMP2:
      return 'CAST(? AS DATETIME(6))';
    case T.TIME:
    case T.TIME2:
      return 'CAST(? AS TIME(6))';
    default:
      return '?';
  }
}

function sourceOf(config: Pick<DatabaseConnectorConfig, 'table' | 'query'>): string {
  return config.table !== undefined
    ? quoteMysqlTable(config.table)
    : // The newline keeps a trailing `-- comment` in the query from swallowing the parenthesis.
      `(\n${sourceQueryText(config.query ?? '')}\n) AS strata_source`;
}

/** The statement a pull streams, with its parameters. `incrementalColumn` comes from the probe. */
export function buildMysqlQuery(
  config: Pick<DatabaseConnectorConfig, 'table' | 'query' | 'incrementalField'>,
  from: Watermark | undefined,
  incrementalColumn?: FieldPacket,
): { sql: string; values: Watermark[] } {
  const source = sourceOf(config);
  if (config.incrementalField === undefined) return { sql: `SELECT * FROM ${source}`, values: [] };
  const col = quoteMysqlIdentifier(config.incrementalField, 'incremental field');
  const after = from === undefined ? '' : ` AND ${col} > ${mysqlWatermarkPlaceholder(incrementalColumn)}`;
  return {
    sql:
      `SELECT *, CAST(${col} AS CHAR) AS \`${WATERMARK_ALIAS}\` FROM ${source} ` +
      `WHERE ${col} IS NOT NULL${after} ORDER BY ${col}`,
    values: from === undefined ? [] : [from],
  };
}

/** Watermark of a row: numbers for integer columns when exact, the text otherwise. */
function watermarkOf(text: string, field: FieldPacket | undefined): Watermark {
  const type = field === undefined ? undefined : columnTypeOf(field);
  const integer =
    type === T.TINY ||
    type === T.SHORT ||
    type === T.LONG ||
    type === T.INT24 ||
    type === T.LONGLONG ||
    type === T.YEAR;
  return integer ? parseInt8(text) : text;
}

// ---------------------------------------------------------------- errors

const TRANSIENT_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_FORCING_CLOSE',
  'ER_ABORTING_CONNECTION',
  'ER_NEW_ABORTING_CONNECTION',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_PACKETS_OUT_OF_ORDER',
  'ER_OUT_OF_RESOURCES',
  'ER_OUTOFMEMORY',
  'ER_CANT_CREATE_THREAD',
  'ER_LOCK_TABLE_FULL',
  'ER_TOO_MANY_CONCURRENT_TRXS',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  ...TRANSIENT_NETWORK_CODES,
]);

/** The same by server errno, for codes mysql2 has no name for (MariaDB's own). */
const TRANSIENT_ERRNOS = new Set([
  1040, 1053, 1077, 1078, 1079, 1080, 1152, 1153, 1158, 1159, 1160, 1161, 1184, 1203, 1205, 1213, 1317, 1927,
  1969, 2006, 2013, 3024, 4031,
]);

const TRANSIENT_MESSAGES =
  /connection lost|closed state|server has gone away|connection was killed|read ECONNRESET/i;

/**
 * A driver error as our error: TransientError when a retry may help, SourceError otherwise. The server's
 * message is kept (it names tables and columns, never the password); Node's socket messages (which
 * repeat host:port) are replaced by their code, and the raw error is not attached.
 */
export function mysqlError(error: unknown, password: string | undefined): StrataError {
  if (error instanceof StrataError) return error;
  const e = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  const sqlState = typeof e.sqlState === 'string' ? e.sqlState : undefined;
  const message = redact(typeof e.message === 'string' ? e.message : String(error), password);
  // 2000–2999 are client-library codes; mysql2's own errors carry negative errnos and no SQLSTATE.
  const fromServer =
    sqlState !== undefined && errno !== undefined && errno > 0 && (errno < 2000 || errno >= 3000);
  const transient =
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    (errno !== undefined && TRANSIENT_ERRNOS.has(errno)) ||
    (sqlState !== undefined && (sqlState.startsWith('08') || sqlState === '40001')) ||
    TRANSIENT_MESSAGES.test(message);
  const text = fromServer
    ? `mysql: ${message} (${code ?? 'errno'} ${errno}, SQLSTATE ${sqlState})`
    : code !== undefined && /^E[A-Z_]+$/.test(code) && !code.startsWith('ER_')
      ? `mysql: cannot reach the server (${code})`
      : `mysql: ${message}${code === undefined ? '' : ` (${code})`}`;
  if (code === 'ENOTFOUND') return new SourceError('mysql: the host name does not resolve (ENOTFOUND)');
  return transient ? new TransientError(text) : new SourceError(text);
}

// ---------------------------------------------------------------- the source

/** Per-query driver options: the adapter's guarantees must not depend on how the wiring set the driver. */
const QUERY_OPTIONS = {
  rowsAsArray: true,
  // BIGINT beyond 2^53 as exact text, else a number.
  supportBigNumbers: true,
  // DATETIME (no zone) read as UTC; TIMESTAMP arrives in the session zone, set to UTC below.
  timezone: 'Z',
} as const;

/**
 * Pulls a table or query after a watermark from MySQL or MariaDB. `open` returns a new, not yet used
 * callback-API connection (`mysql.createConnection(...)` from 'mysql2'); it is called once per pull.
 */
export class MysqlSource implements RecordSource {
  constructor(
    private readonly open: () => Connection,
    private readonly config: DatabaseConnectorConfig,
  ) {}

  pull(from: Watermark | undefined): AsyncIterable<SourceRecordBatch> {
    // Fail on a bad identifier before anything connects.
    buildMysqlQuery(this.config, undefined);
    return this.batches(this.config.incrementalField === undefined ? undefined : from);
  }

  private async *batches(from: Watermark | undefined): AsyncGenerator<SourceRecordBatch> {
    let connection: Connection | undefined;
    let password: string | undefined;
    let completed = false;
    let fatal: Error | undefined;
    let stream: Readable | undefined;
    const incremental = this.config.incrementalField;
    try {
      connection = this.open();
      const conn = connection;
      password = typeof conn.config?.password === 'string' ? conn.config.password : undefined;
      // A lost connection is reported only here (unheard, it would crash the process), not to a streaming
      // query, whose stream would otherwise wait forever: end the stream with it.
      conn.on('error', (error: Error) => {
        fatal ??= error;
        stream?.destroy(error);
      });
      await new Promise<void>((resolve, reject) => {
        conn.connect((error) => (error ? reject(error) : resolve()));
      });
      const run = (sql: string) =>
        new Promise<FieldPacket[]>((resolve, reject) => {
          conn.query({ sql, ...QUERY_OPTIONS }, (error, _rows, fields) =>
            error ? reject(error) : resolve((fields ?? []) as FieldPacket[]),
          );
        });
      await run(`SET time_zone = '+00:00', net_write_timeout = ${NET_WRITE_TIMEOUT_SECONDS}`);
      // The snapshot is consistent only under REPEATABLE READ, whatever the server's default is.
      await run('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await run('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');

      let incrementalColumn: FieldPacket | undefined;
      if (incremental !== undefined && from !== undefined) {
        const probe = await run(`SELECT * FROM ${sourceOf(this.config)} LIMIT 0`);
        incrementalColumn = probe.find((f) => f.name === incremental);
      }
      const query = buildMysqlQuery(this.config, from, incrementalColumn);
      stream = conn
        .query({ sql: query.sql, values: query.values, ...QUERY_OPTIONS })
        .stream({ highWaterMark: Math.min(this.config.batchSize, 1_000) });
      let fields: FieldPacket[] = [];
      const rowStream = stream;
      rowStream.on('fields', (f: FieldPacket[]) => {
        fields = f;
      });
      const rowsOf = rowStream[Symbol.asyncIterator]() as AsyncIterator<unknown[]>;
      const read = async (max: number) => {
        const rows: unknown[][] = [];
        while (rows.length < max) {
          const next = await rowsOf.next();
          if (next.done) break;
          rows.push(next.value);
        }
        return rows;
      };
      const key = incremental !== undefined ? (row: unknown[]) => String(row[row.length - 1]) : undefined;

      try {
        for await (const rows of cutBatches(read, this.config.batchSize, key)) {
          const data = incremental !== undefined ? fields.slice(0, -1) : fields;
          const records = rows.map((row) => {
            const record: Record<string, unknown> = {};
            data.forEach((field, i) => {
              record[field.name] = row[i];
            });
            return record;
          });
          const columns: SourceColumn[] = data.map((f) => ({ name: f.name, type: mysqlColumnType(f) }));
          let watermark: Watermark | undefined;
          const last = rows[rows.length - 1];
          if (key !== undefined && last !== undefined) {
            watermark = watermarkOf(
              key(last),
              data.find((f) => f.name === incremental),
            );
          }
          yield { records, columns, watermark, read: rows.length, skipped: 0 };
        }
      } finally {
        // Abandoned mid-stream: stop buffering rows (the socket is closed below).
        rowStream.destroy();
      }
      await run('COMMIT');
      completed = true;
    } catch (error) {
      // After a lost connection, later commands fail with "closed state": the loss is the cause.
      throw mysqlError(fatal ?? error, password);
    } finally {
      if (connection !== undefined) await closeConnection(connection, completed);
    }
  }
}

/**
 * After a complete pull, a polite QUIT. Otherwise the socket is destroyed: QUIT would queue behind a
 * result the server is still sending, and the server ends the session when its next write fails.
 */
async function closeConnection(connection: Connection, graceful: boolean): Promise<void> {
  if (!graceful) {
    connection.destroy();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => connection.end(() => resolve())),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        connection.destroy();
        resolve();
      }, 5_000);
    }),
  ]);
  clearTimeout(timer);
}
