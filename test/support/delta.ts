/**
 * Conformance helpers: strata's Parquet files uploaded as a table's data files, and delta-rs (the real
 * engine, from PyPI, in a pinned venv) run on the table through test/support/delta_rs.py.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LocalCloudInfo } from '../../infra/local/cloud.js';
import { ensureDeltaRs } from '../../infra/local/servers/delta-rs.js';
import { fileStats } from '../../shared/domain/delta/stats.js';
import type { DataFile } from '../../shared/domain/delta/table.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'delta_rs.py');

export interface DeltaRsRead {
  version: number;
  schema: { type: 'struct'; fields: { name: string; type: unknown; nullable: boolean }[] };
  arrowSchema: [string, string, boolean][];
  /** Timestamps as epoch microseconds. */
  rows: Record<string, unknown>[];
  /** delta-rs's flattened add actions: path, size_bytes, num_records, null_count.<c>, min.<c>, max.<c>. */
  files: Record<string, unknown>[];
}

export class DeltaRs {
  private constructor(
    private readonly python: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(info: LocalCloudInfo): Promise<DeltaRs> {
    const python = await ensureDeltaRs();
    return new DeltaRs(python, {
      AWS_ENDPOINT_URL: info.endpoints.s3,
      AWS_ACCESS_KEY_ID: info.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.credentials.secretAccessKey,
      AWS_REGION: info.region,
    });
  }

  private async call(args: string[]): Promise<unknown> {
    const { stdout } = await run(this.python, [SCRIPT, ...args], {
      env: { ...process.env, ...this.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout);
  }

  read(uri: string, version?: number): Promise<DeltaRsRead> {
    return this.call([
      'read',
      uri,
      ...(version === undefined ? [] : [String(version)]),
    ]) as Promise<DeltaRsRead>;
  }

  /** `DeltaTable.create_checkpoint()` of the latest version. */
  checkpoint(uri: string): Promise<{ version: number }> {
    return this.call(['checkpoint', uri]) as Promise<{ version: number }>;
  }

  /** `write_deltalake(uri, rows, mode='append')` with the table's own schema; returns the new version. */
  async append(uri: string, rows: Record<string, unknown>[]): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'delta-rs-'));
    try {
      const file = join(dir, 'rows.json');
      writeFileSync(file, JSON.stringify(rows));
      return ((await this.call(['append', uri, file])) as { version: number }).version;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Writes `rows` with strata's Parquet writer to `<root><name>` and returns the data file to commit, its
 * stats computed from the footer as the version stage will.
 */
export async function putStrataParquet(
  s3: S3Client,
  bucket: string,
  root: string,
  name: string,
  schema: TableSchema,
  rows: Record<string, CellValue>[],
): Promise<DataFile> {
  const chunks: Uint8Array[] = [];
  async function* batches() {
    yield batchFromRows(schema, rows);
  }
  await writeParquet(schema, batches(), async (chunk) => {
    chunks.push(chunk);
  });
  const bytes = Buffer.concat(chunks);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${root}${name}`, Body: bytes }));
  const footer = await openParquet({
    size: bytes.byteLength,
    read: async (start, end) => new Uint8Array(bytes.subarray(start, end)),
  });
  return { path: name, size: bytes.byteLength, modificationTime: Date.now(), stats: fileStats(footer) };
}

/** A strata row as delta-rs returns it: timestamps in microseconds. */
export function asDeltaRsRow(schema: TableSchema, row: Record<string, CellValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of schema.columns) {
    const value = row[column.name] ?? null;
    out[column.name] = column.type === 'timestamp' && typeof value === 'number' ? value * 1000 : value;
  }
  return out;
}

/** Rows in one canonical order (by their JSON with sorted keys), to compare two reads as lists. */
export function sortRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (row: Record<string, unknown>) =>
    JSON.stringify(
      Object.keys(row)
        .sort()
        .map((k) => [k, row[k] ?? null]),
    );
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
