/**
 * What the benchmark cases share: running a case in a child process of the bench bundle (so each has its
 * own peak RSS), medians, and the number formats and table layout of the printed results.
 */
import { spawn } from 'node:child_process';
export const RESULT_MARK = '@@bench-result ';
export const MB = 1_000_000;

/** The kinds of child process the bench entry runs (`--child <kind> <json args>`). */
export type ChildKind =
  | 'ours'
  | 'duckdb'
  | 'drift-ours'
  | 'drift-duckdb'
  | 'pull-ours'
  | 'pull-driver'
  | 'commit-ours'
  | 'client-parquet'
  | 'duck-engine'
  | 'duck-sniff';

/**
 * Runs one case in a child process of the bench entry `self` (its file path); resolves with the result
 * the child printed.
 */
export function runChild<T>(
  self: string,
  kind: ChildKind,
  args: unknown,
  nodeFlags: string[] = [],
): Promise<T> {
  // Under tsx (development), the child needs tsx's loader too; the bundle needs nothing.
  const execArgv = self.endsWith('.ts') ? process.execArgv : [];
  const child = spawn(
    process.execPath,
    [...execArgv, ...nodeFlags, self, '--child', kind, JSON.stringify(args)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) {
        reject(new Error(`${kind} child exited with ${code}: ${out.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(RESULT_MARK.length)) as T);
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const fmtMs = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
export const fmtRate = (perSecond: number): string =>
  perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : `${Math.round(perSecond / 1e3)} k`;
export const fmtMb = (bytes: number): string => `${Math.round(bytes / MB)} MB`;
export const fmtRatio = (r: number): string => (r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}
