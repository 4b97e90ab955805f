/**
 * `npm run bench -- --case engine`: the engine question on the pipeline case's 1M × 8 files. For CSV and
 * Parquet input: our parse phase (parseFile → writeParquet, the `ours` child of the pipeline case) against
 * DuckDB doing the same job — read the file with its own sniffing and inference and `COPY … TO` Parquet —
 * with threads=1 and threads=2, each in its own process (time, peak RSS, output size); runs alternate so
 * neither side always meets the busier minute. Then the semantics: small CSV files of edge cases read by
 * DuckDB's `read_csv` (its types, and whether it reads the whole file with them) and by our parseFile
 * (our types, and the first row's values). Nothing is asserted.
 */
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFile } from '../../shared/domain/parse/parse-file.js';
import type { CellValue } from '../../shared/domain/table.js';
import { fmtMb, fmtMs, fmtRatio, MB, median, runChild, table } from './common.js';
import { type DataSet, ensureDataSet } from './data.js';
import type { DuckEngineArgs, DuckEngineResult, DuckSniffResult } from './engine-duckdb.js';
import type { OurPhaseArgs, PhaseResult } from './ours.js';

type Format = 'csv' | 'parquet';

export interface EngineOptions {
  rows: number;
  seed: number;
  runs: number;
  formats: Format[];
  out: string;
}

interface Side {
  label: string;
  ms: number;
  maxRss: number;
  outputBytes: number;
  runsMs: number[];
}

export interface EngineFormatResult {
  format: Format;
  inputBytes: number;
  ours: Side;
  duckdb: { threads: number; side: Side; types: Record<string, string> }[];
}

export interface SniffCase {
  name: string;
  what: string;
  duckdb: DuckSniffResult['files'][number];
  ours: { types: Record<string, string>; firstRow: Record<string, CellValue> } | { error: string };
}

export interface EngineCaseResult {
  rows: number;
  duckdbVersion: string;
  formats: EngineFormatResult[];
  sniff: SniffCase[];
}

const THREADS = [1, 2];

/** Edge cases where a reader's type inference decides what the data means. */
function edgeCases(dir: string): { name: string; what: string; path: string }[] {
  const lines = (rows: string[]) => `${rows.join('\n')}\n`;
  const cases: { name: string; what: string; text: string }[] = [
    {
      name: 'zero-padded ids',
      what: 'codes with leading zeros',
      text: lines(['id,name', '007,a', '010,b', '123,c']),
    },
    {
      name: 'exponents',
      what: 'numbers in exponent notation',
      text: lines(['x,y', '1e3,1', '2.5E-1,2', '-4e2,3']),
    },
    {
      name: 'minutes',
      what: 'timestamps without seconds',
      text: lines(['at,v', '2024-01-02 10:15,1', '2024-01-03 11:30,2']),
    },
    {
      name: 'dates',
      what: 'dates without a time',
      text: lines(['day,v', '2024-01-02,1', '2024-02-29,2']),
    },
    {
      name: 'NA tokens',
      what: 'NA and empty as missing numbers',
      text: lines(['n,m', '1,4', 'NA,', '3,NA']),
    },
    {
      name: 'yes/no',
      what: 'booleans spelled yes/no',
      text: lines(['ok,v', 'yes,1', 'no,2', 'yes,3']),
    },
    {
      // Past DuckDB's default sniffing sample (20,480 rows): a type decided on a sample meets a value it
      // cannot hold; ours reads every value before deciding (its first pass).
      name: 'late text',
      what: '30,000 integers, then one word in the same column',
      text: `id,v\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i % 97}`).join('\n')}\n30000,unknown\n`,
    },
  ];
  mkdirSync(dir, { recursive: true });
  return cases.map((c, i) => {
    const path = join(dir, `edge-${i}.csv`);
    writeFileSync(path, c.text);
    return { name: c.name, what: c.what, path };
  });
}

async function oursOn(path: string): Promise<SniffCase['ours']> {
  try {
    const parsed = await parseFile({ format: 'csv', open: () => createReadStream(path) });
    let firstRow: Record<string, CellValue> | undefined;
    for await (const batch of parsed.batches) {
      firstRow ??= Object.fromEntries(
        parsed.schema.columns.map((c, i) => [c.name, batch.columns[i]?.[0] ?? null]),
      );
    }
    return {
      types: Object.fromEntries(
        parsed.schema.columns.map((c) => [c.name, `${c.type}${c.nullable ? '?' : ''}`]),
      ),
      firstRow: firstRow ?? {},
    };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}` };
  }
}

function side(label: string, results: { ms: number; maxRss: number; outputBytes: number }[]): Side {
  return {
    label,
    ms: median(results.map((r) => r.ms)),
    maxRss: median(results.map((r) => r.maxRss)),
    outputBytes: results[0]?.outputBytes ?? 0,
    runsMs: results.map((r) => Math.round(r.ms)),
  };
}

export async function benchEngine(
  self: string,
  options: EngineOptions,
  log: (line: string) => void,
): Promise<EngineCaseResult> {
  const data: DataSet = await ensureDataSet(join(options.out, 'data'), options.rows, options.seed);
  const work = join(options.out, 'work', 'engine');
  mkdirSync(work, { recursive: true });
  const formats: EngineFormatResult[] = [];
  let duckdbVersion = '';
  for (const format of options.formats) {
    const input = format === 'csv' ? data.csv : data.parquet;
    const ours: { ms: number; maxRss: number; outputBytes: number }[] = [];
    const duck = new Map<number, DuckEngineResult[]>(THREADS.map((t) => [t, []]));
    for (let run = 0; run < options.runs; run++) {
      const runOurs = async () => {
        const args: OurPhaseArgs = {
          phase: 'parse',
          format,
          input: input.path,
          staged: join(work, `${format}.ours.parquet`),
        };
        const r = await runChild<PhaseResult>(self, 'ours', args);
        const outputBytes = Number((r.extra as { stagedBytes?: number } | undefined)?.stagedBytes ?? 0);
        ours.push({ ms: r.ms, maxRss: r.maxRss, outputBytes });
        log(
          `  engine ${format} run ${run + 1}: ours parse+write ${fmtMs(r.ms)}, peak RSS ${fmtMb(r.maxRss)}`,
        );
      };
      const runDuck = async () => {
        for (const threads of THREADS) {
          const args: DuckEngineArgs = {
            mode: 'copy',
            format,
            input: input.path,
            output: join(work, `${format}.duckdb-${threads}.parquet`),
            threads,
          };
          const r = await runChild<DuckEngineResult>(self, 'duck-engine', args);
          duckdbVersion = r.version;
          duck.get(threads)?.push(r);
          log(
            `  engine ${format} run ${run + 1}: DuckDB read+COPY threads=${threads} ${fmtMs(r.ms)}, ` +
              `peak RSS ${fmtMb(r.maxRss)}`,
          );
        }
      };
      // Alternating which goes first, so neither always runs in the busier minute.
      if (run % 2 === 0) {
        await runOurs();
        await runDuck();
      } else {
        await runDuck();
        await runOurs();
      }
    }
    formats.push({
      format,
      inputBytes: input.bytes,
      ours: side('ours (parseFile → writeParquet, 1 thread)', ours),
      duckdb: THREADS.map((threads) => {
        const results = duck.get(threads) ?? [];
        return {
          threads,
          types: results[0]?.types ?? {},
          side: side(
            `DuckDB read_${format} → COPY parquet, threads=${threads}`,
            results.map((r) => ({ ms: r.ms, maxRss: r.maxRss, outputBytes: r.outputBytes ?? 0 })),
          ),
        };
      }),
    });
  }

  const files = edgeCases(join(work, 'edge'));
  const sniffed = await runChild<DuckSniffResult>(self, 'duck-sniff', {
    files: files.map((f) => ({ name: f.name, path: f.path })),
  });
  duckdbVersion ||= sniffed.version;
  const sniff: SniffCase[] = [];
  for (const [i, file] of files.entries()) {
    sniff.push({
      name: file.name,
      what: file.what,
      duckdb: sniffed.files[i] ?? { name: file.name, read: { error: 'not run' } },
      ours: await oursOn(file.path),
    });
  }
  return { rows: data.rows, duckdbVersion, formats, sniff };
}

export function printEngine(r: EngineCaseResult): string {
  const out: string[] = [
    `Engine: our parse phase vs DuckDB ${r.duckdbVersion} doing the same job (read → Parquet), ` +
      `${r.rows.toLocaleString('en-US')} rows × 8 columns; each its own process, medians`,
  ];
  for (const f of r.formats) {
    const rows: string[][] = [['parse → Parquet', 'time', 'MB/s', 'peak RSS', 'Parquet out', 'ours ×']];
    for (const s of [f.ours, ...f.duckdb.map((d) => d.side)]) {
      rows.push([
        s.label,
        fmtMs(s.ms),
        (f.inputBytes / MB / (s.ms / 1000)).toFixed(1),
        fmtMb(s.maxRss),
        `${(s.outputBytes / MB).toFixed(1)} MB`,
        s === f.ours ? '' : `${fmtRatio(f.ours.ms / s.ms)} time, ${fmtRatio(f.ours.maxRss / s.maxRss)} RSS`,
      ]);
    }
    out.push(`\n${f.format.toUpperCase()} input, ${(f.inputBytes / MB).toFixed(1)} MB`, table(rows));
    const duckTypes = f.duckdb[0]?.types ?? {};
    out.push(
      `DuckDB's types: ${Object.entries(duckTypes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  out.push('\nType inference on edge cases (CSV): DuckDB read_csv vs our parseFile');
  const rows: string[][] = [['case', 'DuckDB types', 'DuckDB reads', 'our types', 'our first row']];
  for (const c of r.sniff) {
    const duckTypes = c.duckdb.types
      ? Object.entries(c.duckdb.types)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : '-';
    const reads = 'rows' in c.duckdb.read ? `${c.duckdb.read.rows} rows` : c.duckdb.read.error.slice(0, 90);
    const ours =
      'error' in c.ours
        ? [c.ours.error.slice(0, 60), '']
        : [
            Object.entries(c.ours.types)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
            JSON.stringify(c.ours.firstRow),
          ];
    rows.push([`${c.name} (${c.what})`, duckTypes, reads, ...ours]);
  }
  out.push(table(rows));
  return out.join('\n');
}
