/**
 * CSV: dialect sniffing and header detection. The records themselves are read from the bytes by
 * csv-tokenizer.ts (RFC 4180 quoting, quoted delimiters and newlines, "" escapes, LF / CRLF / CR line
 * endings), after encoding.ts has checked them (and dropped a byte-order mark). Memory holds one record
 * plus one input chunk, whatever the file size.
 *
 * Sniffing looks at the first 64 Ki characters: for each delimiter (, ; TAB |) and quote (" ') it splits
 * the complete records of the sample and scores how consistently they have the same field count (then how
 * many fields). The most consistent split with at least two fields wins, earlier candidates on ties; a
 * sample with no such split is a one-column comma file.
 *
 * Header detection: the first record is a header when every field is a non-empty string token (not a
 * number, bool, timestamp or null/missing token) and none of them reappears as a value of its column in the
 * next records (data repeats; names do not). Repeated names do not disqualify a header (exports of joined
 * tables repeat `id`): `uniqueColumnNames` renames them. Otherwise the columns are named column_1,
 * column_2, ... . Both can be forced with options.
 */

import { classifyToken } from './infer.js';

export interface CsvDialect {
  delimiter: string;
  quote: string;
}

export interface CsvOptions {
  delimiter?: string;
  quote?: string;
  /** Force the first record to be (or not be) the header instead of detecting it. */
  header?: boolean;
}

export const SNIFF_CHARS = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'];
const QUOTES = ['"', "'"];
const SNIFF_RECORDS = 200;

/**
 * Field counts of the first records of `sample` when split with `delimiter` and `quote`. A quote opens a
 * quoted field only at a field's start (as csv-parse with relaxed quotes reads it). When the sample is
 * not the complete file, the last (possibly cut) record is left out.
 */
export function fieldCounts(sample: string, delimiter: string, quote: string, complete: boolean): number[] {
  const counts: number[] = [];
  const d = delimiter.charCodeAt(0);
  const q = quote.charCodeAt(0);
  let fields = 1;
  let atFieldStart = true;
  let inQuotes = false;
  let content = false;
  for (let i = 0; i < sample.length && counts.length < SNIFF_RECORDS; i++) {
    const c = sample.charCodeAt(i);
    if (inQuotes) {
      if (c === q) {
        if (sample.charCodeAt(i + 1) === q) i++;
        else inQuotes = false;
      }
      continue;
    }
    if (c === 10 || c === 13) {
      if (content) counts.push(fields);
      fields = 1;
      atFieldStart = true;
      content = false;
      continue;
    }
    content = true;
    if (c === d) {
      fields++;
      atFieldStart = true;
    } else if (atFieldStart && c === q) {
      inQuotes = true;
      atFieldStart = false;
    } else {
      atFieldStart = false;
    }
  }
  if (complete && content && !inQuotes && counts.length < SNIFF_RECORDS) counts.push(fields);
  return counts;
}

/** Picks delimiter and quote from the start of the file (`complete` when the sample is the whole file). */
export function sniffDialect(sample: string, complete: boolean): CsvDialect {
  const text = sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample;
  let best: CsvDialect = { delimiter: ',', quote: '"' };
  let bestConsistency = 0;
  let bestFields = 1;
  for (const quote of QUOTES) {
    for (const delimiter of DELIMITERS) {
      const counts = fieldCounts(text, delimiter, quote, complete);
      if (counts.length === 0) continue;
      const frequency = new Map<number, number>();
      for (const n of counts) frequency.set(n, (frequency.get(n) ?? 0) + 1);
      let mode = 1;
      let modeCount = 0;
      for (const [n, f] of frequency) {
        if (f > modeCount || (f === modeCount && n > mode)) {
          mode = n;
          modeCount = f;
        }
      }
      if (mode < 2) continue;
      const consistency = modeCount / counts.length;
      if (consistency > bestConsistency || (consistency === bestConsistency && mode > bestFields)) {
        best = { delimiter, quote };
        bestConsistency = consistency;
        bestFields = mode;
      }
    }
  }
  return best;
}

/** Whether `first` reads as column names, judged against the records that follow it. */
export function looksLikeHeader(first: readonly string[], next: readonly (readonly string[])[]): boolean {
  for (const name of first) {
    if (name.trim() === '' || classifyToken(name) !== 'string') return false;
  }
  return !next.some((record) => record.some((value, i) => value === first[i]));
}

/** A header name the parser had to change, so that the change is on record. */
export interface ColumnRename {
  /** The name in the file ('' for a blank one). */
  from: string;
  to: string;
  /** 0-based position of the column. */
  index: number;
}

/**
 * Column names from a header: a blank name becomes column_<position>, and a repeated name gets the first
 * free suffix (`id`, `id_2`, `id_3`). A generated name never takes a name the header itself has, wherever
 * it stands, so no header name is renamed because of a generated one. Every change is returned.
 */
export function uniqueColumnNames(header: readonly string[]): { names: string[]; renamed: ColumnRename[] } {
  const reserved = new Set(header.filter((name) => name.trim() !== ''));
  const taken = new Set<string>();
  const renamed: ColumnRename[] = [];
  const free = (base: string, first: number): string => {
    for (let n = first; ; n++) {
      const candidate = n === 1 ? base : `${base}_${n}`;
      if (!taken.has(candidate) && !reserved.has(candidate)) return candidate;
    }
  };
  const names = header.map((from, index) => {
    let to: string;
    if (from.trim() === '') to = free(`column_${index + 1}`, 1);
    else if (taken.has(from)) to = free(from, 2);
    else to = from;
    taken.add(to);
    if (to !== from) renamed.push({ from, to, index });
    return to;
  });
  return { names, renamed };
}

/** Column names: the header's (see uniqueColumnNames), or column_1..n. */
export function columnNames(
  header: readonly string[] | undefined,
  width: number,
): { names: string[]; renamed: ColumnRename[] } {
  if (header) return uniqueColumnNames(header);
  return { names: Array.from({ length: width }, (_, i) => `column_${i + 1}`), renamed: [] };
}
