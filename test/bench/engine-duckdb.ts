/**
 * DuckDB doing what our parse stage does, in its own child process (so its peak RSS is its own), with a
 * chosen number of threads:
 * - `copy`: read the file (`read_csv` / `read_parquet`, its own sniffing and type inference) and write it
 *   as Parquet (`COPY … TO … (FORMAT parquet)`): the parse stage's work (source → canonical Parquet);
 * - `load`: `CREATE TABLE t AS SELECT * FROM read_…` (what the pipeline case times as DuckDB's load);
 * - `sniff`: no timing: the types DuckDB's CSV reader gives each column of small files, and whether it
 *   reads the whole file with them (the engine case compares them with the types we infer).
 */
import { statSync } from 'node:fs';

export interface DuckEngineArgs {
  mode: 'copy' | 'load';
  format: 'csv' | 'parquet';
  input: string;
  /** Where `copy` writes its Parquet. */
  output?: string;
  threads: number;
}

export interface DuckEngineResult {
  mode: 'copy' | 'load';
  format: 'csv' | 'parquet';
  threads: number;
  version: string;
  ms: number;
  rows: number;
  /** Peak RSS of the process (bytes) at the end. */
  maxRss: number;
  /** RSS before the timed statement (node + DuckDB's library loaded). */
  startRss: number;
  outputBytes?: number;
  types: Record<string, string>;
}

export interface DuckSniffArgs {
  files: { name: string; path: string }[];
}

export interface DuckSniffResult {
  version: string;
  files: {
    name: string;
    /** Column → DuckDB type, or absent when the reader failed. */
    types?: Record<string, string>;
    /** What reading the whole file with those types did: rows, or the error's first line. */
    read: { rows: number } | { error: string };
  }[];
}

const lit = (value: string): string => `'${value.replaceAll("'", "''")}'`;

async function open(threads?: number) {
  // Loaded here, not at the top: the bench bundle is also what our phases' child processes run, and the
  // native library must not count in their RSS.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
  const connection = await instance.connect();
  const all = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  const [settings] = await all("SELECT version() AS v, current_setting('threads')::VARCHAR AS t");
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  return { connection, all, version: String(settings?.v), threads: String(settings?.t), close };
}

const num = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : Number(value));

export async function runDuckEngine(args: DuckEngineArgs): Promise<DuckEngineResult> {
  const db = await open(args.threads);
  if (db.threads !== String(args.threads))
    throw new Error(`asked ${args.threads} threads, got ${db.threads}`);
  const reader = `${args.format === 'csv' ? 'read_csv' : 'read_parquet'}(${lit(args.input)})`;
  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  let rows: number;
  if (args.mode === 'copy') {
    if (!args.output) throw new Error('copy needs an output path');
    const copied = await db.all(`COPY (SELECT * FROM ${reader}) TO ${lit(args.output)} (FORMAT parquet)`);
    rows = num(copied[0]?.Count ?? Object.values(copied[0] ?? {})[0]);
  } else {
    await db.connection.run(`CREATE TABLE t AS SELECT * FROM ${reader}`);
    const [counted] = await db.all('SELECT count(*) AS n FROM t');
    rows = num(counted?.n);
  }
  const ms = performance.now() - started;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const described = await db.all(
    args.mode === 'copy'
      ? `DESCRIBE SELECT * FROM read_parquet(${lit(args.output as string)})`
      : 'DESCRIBE t',
  );
  const types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
  const result: DuckEngineResult = {
    mode: args.mode,
    format: args.format,
    threads: args.threads,
    version: db.version,
    ms,
    rows,
    maxRss,
    startRss,
    types,
    ...(args.output && args.mode === 'copy' && { outputBytes: statSync(args.output).size }),
  };
  db.close();
  return result;
}

export async function runDuckSniff(args: DuckSniffArgs): Promise<DuckSniffResult> {
  const db = await open();
  const files: DuckSniffResult['files'] = [];
  for (const file of args.files) {
    const reader = `read_csv(${lit(file.path)})`;
    let types: Record<string, string> | undefined;
    try {
      const described = await db.all(`DESCRIBE SELECT * FROM ${reader}`);
      types = Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
      // Materialized: a bare count(*) is answered without converting a single value.
      await db.connection.run(`CREATE OR REPLACE TEMP TABLE sniffed AS SELECT * FROM ${reader}`);
      const [counted] = await db.all('SELECT count(*) AS n FROM sniffed');
      files.push({ name: file.name, types, read: { rows: num(counted?.n) } });
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      files.push({ name: file.name, ...(types && { types }), read: { error: message } });
    }
  }
  db.close();
  return { version: db.version, files };
}
