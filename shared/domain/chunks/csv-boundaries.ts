/**
 * Where a byte range of a CSV file begins its records. A quoted field may hold line breaks and delimiters,
 * so the bytes after a range's raw start cannot tell whether a line break there ends a record or sits
 * inside a quoted field: only the file read from its start can. Three rules make it exact anyway.
 *
 * 1. The contract of a range read (the tokenizer's): reading from `start`, a record boundary, to the
 *    range's `end`, the range owns the records that START before `end` (the one straddling `end` is read
 *    to its end) and reports `nextOffset`, where the next record starts (the file's size after the last).
 *    A record starts at a line start whose line is not empty (csv-parse's skip_empty_lines: a line that is
 *    nothing but the record delimiter is no record; `,` or `""` is).
 * 2. Guess, then verify left to right. The first chunk starts at the true start (after a byte-order mark
 *    and the header). Every other chunk guesses its first record start (`guessCsvRecordStart`) and reads
 *    from there, reporting `{assumedStart, nextOffset}`. Chunk i+1 is right iff its assumedStart equals
 *    chunk i's nextOffset and chunk i is right: by induction chunk i read from a true boundary, so its
 *    nextOffset is the true first record start at or after its end, which is chunk i+1's true start. The
 *    first wrong chunk is read again from that known start, and the check repeats: `verifyCsvChunks` says
 *    which chunks are settled, which to read again and from where, until none is left (each round settles
 *    at least one more chunk, so it ends).
 * 3. Exact starts in one round: each chunk also summarizes its raw range as a function of the quote state
 *    the range starts in (`summarizeCsvRange`: for each possible state, its first record start in the range
 *    and the state at its end). Composed left to right from the file's known start state, the summaries
 *    give every chunk's true start at once, so all wrong guesses are read again in parallel, once.
 *
 * Why a guess can never be certain from a range's own bytes: csv-parse with relax_quotes accepts every
 * byte sequence inside a quoted field up to a quote, and a quote followed by anything closes the field
 * (a non-delimiter after it is kept as text). No local pattern rules out "this line break is inside a
 * quoted field that opened before the range"; only a quote left open at the end of the file would, and
 * that is the end of the file, not the range. A chunk without any quote byte, say, reads the same under
 * both hypotheses until the file ends. So the guess below is a heuristic (it is right whenever the records
 * have the header's field count under one hypothesis only, the common case), and correctness rests on
 * rules 2 and 3, never on it.
 *
 * The scanner follows csv-parse with relax_quotes, escape = quote and a record delimiter fixed by
 * `discoverRecordDelimiter` (csv-parse's auto-discovery: the first CR LF, LF or CR outside quotes; after
 * that, the other line breaks are field text). It reads bytes: the encodings chunks are used with
 * (UTF-8, Latin-1, Windows-1252) never put a delimiter, quote, CR or LF byte inside another character.
 */
import { InternalError, InvalidInputError } from '../../errors.js';

export type RecordDelimiter = '\n' | '\r\n' | '\r';

export interface CsvByteDialect {
  /** One ASCII character. */
  delimiter: string;
  /** One ASCII character; also the escape (`""` inside a quoted field). */
  quote: string;
  recordDelimiter: RecordDelimiter;
}

/**
 * The quote state at a byte position (the state after the bytes before it):
 * - `line-start`: right after a record delimiter outside quotes (or at the data's start);
 * - `field-start`: right after a delimiter;
 * - `unquoted`: inside a field that is not quoted (or a closed quoted field followed by more text);
 * - `quoted`: inside a quoted field;
 * - `quote-in-quoted`: right after a quote inside a quoted field (the next byte says: `""` is an escaped
 *   quote, anything else closes the field);
 * - `cr-at-line-start`, `cr`: right after a CR outside quotes when the record delimiter is CR LF (the
 *   next byte says whether it was a line break or field text).
 */
export type CsvScanState =
  | 'line-start'
  | 'field-start'
  | 'unquoted'
  | 'quoted'
  | 'quote-in-quoted'
  | 'cr-at-line-start'
  | 'cr';

const STATE_NAMES: readonly CsvScanState[] = [
  'line-start',
  'field-start',
  'unquoted',
  'quoted',
  'quote-in-quoted',
  'cr-at-line-start',
  'cr',
];
const R = 0;
const F = 1;
const U = 2;
const Q = 3;
const QQ = 4;
const RC = 5;
const C = 6;

/** Step flags, above the 3 state bits. */
const RECORD_HERE = 1 << 3; // a record starts at this byte
const RECORD_BEFORE = 1 << 4; // a record started at the previous byte (a CR that turned out to be text)
const FIELD_END = 1 << 5; // a delimiter ended a field
const RECORD_END = 1 << 6; // a record delimiter ended a record
const STATE = 7;

const LF = 10;
const CR = 13;

interface Codes {
  d: number;
  q: number;
  /** 1: LF, 2: CR, 3: CR LF. */
  rd: 1 | 2 | 3;
}

function codesOf(dialect: CsvByteDialect): Codes {
  const d = asciiCode(dialect.delimiter, 'delimiter');
  const q = asciiCode(dialect.quote, 'quote');
  if (d === q || d === LF || d === CR || q === LF || q === CR) {
    throw new InvalidInputError('the delimiter and the quote must differ and be neither CR nor LF');
  }
  const rd = dialect.recordDelimiter === '\n' ? 1 : dialect.recordDelimiter === '\r' ? 2 : 3;
  return { d, q, rd };
}

function asciiCode(text: string, what: string): number {
  const code = text.charCodeAt(0);
  if (text.length !== 1 || code > 127) throw new InvalidInputError(`the ${what} must be one ASCII character`);
  return code;
}

/** Outside quotes, after a byte that is field text: a delimiter, a line break or more text. */
function afterText(c: number, k: Codes): number {
  if (c === k.d) return F | FIELD_END;
  if (k.rd === 1 ? c === LF : c === CR) return k.rd === 3 ? C : R | RECORD_END;
  return U;
}

/** One byte: the next state in the low bits, events in the flags. */
function step(s: number, c: number, k: Codes): number {
  switch (s) {
    case R:
      if (k.rd === 1 ? c === LF : c === CR) return k.rd === 3 ? RC : R; // an empty line, or maybe one
      return RECORD_HERE | step(F, c, k);
    case F:
      if (c === k.q) return Q;
      return afterText(c, k);
    case U:
      // A quote inside a field that is not quoted is text (relax_quotes).
      return afterText(c, k);
    case Q:
      return c === k.q ? QQ : Q;
    case QQ:
      // `""` is an escaped quote; any other byte after the quote closes the field and is read as text
      // outside quotes (a delimiter, a line break, or text that relax_quotes keeps).
      return c === k.q ? Q : afterText(c, k);
    case RC:
      // CR LF: an empty line. Otherwise the CR was the first field's text, so the record began at it.
      return c === LF ? R : RECORD_BEFORE | afterText(c, k);
    default: // C
      return c === LF ? R | RECORD_END : afterText(c, k);
  }
}

function statesOf(k: Codes): number[] {
  return k.rd === 3 ? [R, F, U, Q, QQ, RC, C] : [R, F, U, Q, QQ];
}

/**
 * csv-parse's auto-discovery of the record delimiter from the start of the file's bytes (after any
 * byte-order mark): the first CR LF, LF or CR outside quotes. Undefined when `head` has none, or ends in
 * a CR that the next byte would decide, while `complete` is false (more of the file follows).
 */
export function discoverRecordDelimiter(
  head: Uint8Array,
  dialect: Pick<CsvByteDialect, 'delimiter' | 'quote'>,
  complete: boolean,
): RecordDelimiter | undefined {
  // With the LF rule every CR is text, so the first CR or LF outside quotes is where the rules part.
  const k = codesOf({ ...dialect, recordDelimiter: '\n' });
  let s = R;
  for (let i = 0; i < head.length; i++) {
    const c = head[i] as number;
    const outside = s !== Q && !(s === QQ && c === k.q);
    if (outside && (c === LF || c === CR)) {
      if (c === LF) return '\n';
      if (i + 1 < head.length) return head[i + 1] === LF ? '\r\n' : '\r';
      return complete ? '\r' : undefined;
    }
    s = step(s, c, k) & STATE;
  }
  return undefined;
}

/** How the quote state at a range's start maps to what the range holds. */
export interface CsvLaneSummary {
  /** The quote state the range is assumed to start in. */
  from: CsvScanState;
  /** File offset of the first record that starts in the range under that assumption. */
  firstRecord: number | undefined;
  /** The state at the range's end under that assumption. */
  to: CsvScanState;
}

/** A range's summary: one lane per possible start state. Plain data, so a Map step can return it. */
export interface CsvRangeSummary {
  start: number;
  end: number;
  lanes: CsvLaneSummary[];
}

/** Lanes compare states every this many bytes: a lane that meets an earlier one's state there ends as it does. */
export const DEFAULT_CHECKPOINT_BYTES = 1 << 16;

interface LaneRun {
  /** Index in the bytes of the lane's first record start, -1 when none. */
  first: number;
  end: number;
  /** The state at each checkpoint of the range. */
  marks: Uint8Array;
}

/**
 * Runs one start state over bytes [from, to). Inside a quoted field it jumps to the next quote (the
 * bytes between change nothing); elsewhere it steps byte by byte. Once it has its first record start
 * and meets a lane already run in the same state at a checkpoint, the rest is that lane's run.
 */
function runLane(
  bytes: Uint8Array,
  from: number,
  to: number,
  s0: number,
  k: Codes,
  done: readonly LaneRun[],
  checkpoint: number,
): LaneRun {
  const marks = new Uint8Array(Math.floor((to - from) / checkpoint));
  let s = s0;
  let first = -1;
  let i = from;
  let mark = 0;
  let nextQuote = -2;
  while (i < to) {
    const stop = Math.min(to, from + (mark + 1) * checkpoint);
    for (; i < stop; i++) {
      if (s === Q) {
        // The next quote, looked up again only once passed (a file without quotes is one look).
        if (nextQuote !== -1 && nextQuote < i) nextQuote = bytes.indexOf(k.q, i);
        const at = nextQuote;
        if (at < 0 || at >= stop) {
          i = stop;
          break;
        }
        i = at;
        s = QQ;
        continue;
      }
      const r = step(s, bytes[i] as number, k);
      s = r & STATE;
      if (first === -1) {
        if (r & RECORD_HERE) first = i;
        // At the range's first byte that record began before the range: the previous range counted it.
        else if (r & RECORD_BEFORE && i > from) first = i - 1;
      }
    }
    if (mark < marks.length && i === from + (mark + 1) * checkpoint) {
      marks[mark] = s;
      if (first !== -1) {
        for (const other of done)
          if (other.marks[mark] === s) return { first, end: other.end, marks: other.marks };
      }
      mark++;
    }
  }
  // A CR ending the range at a line start: the byte after it says whether a record started at the CR.
  if (first === -1 && s === RC && to > from && bytes[to] !== LF) first = to - 1;
  return { first, end: s, marks };
}

/**
 * Summarizes the raw range [start, end) of the file: `bytes` holds the file from offset `base`, covering
 * the range and, unless the range ends the file, at least one byte after it (a CR at the range's end needs
 * the next byte to know whether a record started at it).
 *
 * Costs about one byte-by-byte pass (~130-160 MB/s on one core here): the lanes outside quotes meet at
 * the first line break, and a lane inside quotes only looks at quote bytes until it meets another. A lane
 * only joins another once it has its first record start, so a range in which no record starts (inside one
 * very long quoted record) runs each lane to its end: slower, and rare.
 */
export function summarizeCsvRange(
  bytes: Uint8Array,
  range: { base: number; start: number; end: number; size: number },
  dialect: CsvByteDialect,
  options: { checkpointBytes?: number } = {},
): CsvRangeSummary {
  const k = codesOf(dialect);
  const from = range.start - range.base;
  const to = range.end - range.base;
  if (from < 0 || to < from || to > bytes.length || (range.end < range.size && to >= bytes.length)) {
    throw new InternalError(
      `summarizeCsvRange: bytes from ${range.base} (${bytes.length} bytes) do not cover [${range.start}, ${range.end}] and the byte after it`,
    );
  }
  const done: LaneRun[] = [];
  const lanes: CsvLaneSummary[] = [];
  for (const s0 of statesOf(k)) {
    const run = runLane(
      bytes,
      from,
      to,
      s0,
      k,
      done,
      Math.max(1, options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES),
    );
    done.push(run);
    lanes.push({
      from: STATE_NAMES[s0] as CsvScanState,
      firstRecord: run.first === -1 ? undefined : range.base + run.first,
      to: STATE_NAMES[run.end] as CsvScanState,
    });
  }
  return { start: range.start, end: range.end, lanes };
}

/** Whether the quote state at a position can be `s` when the byte before it is `prev`. */
function possibleAfter(prev: number, s: number, k: Codes): boolean {
  switch (s) {
    case R:
      return k.rd === 2 ? prev === CR : prev === LF;
    case F:
      return prev === k.d;
    case QQ:
      return prev === k.q;
    case RC:
    case C:
      return prev === CR;
    case U:
      return prev !== k.d && !(k.rd === 1 && prev === LF) && !(k.rd !== 1 && prev === CR);
    default:
      return true;
  }
}

/** Preference among equally plausible start states: outside quotes first, as most line breaks are. */
const PREFERENCE = [U, F, R, C, RC, QQ, Q];

/**
 * A guess at the first record start at or after `start`, for a chunk that begins there without knowing
 * the quote state. `bytes` holds the file from offset `base` (ideally from a byte before `start`, which
 * rules some states out, up to a probe window after it, say 1 MiB). Each possible state is run over the
 * window, counting the fields of the records it sees whole; a state under which some record lacks the
 * header's `fields` count is implausible (a valid file has no ragged row). Of the plausible states, one
 * that finds a record start wins, then the one with more whole records, then outside quotes over inside.
 *
 * A guess, not a proof (see the file's comment): verify it with `verifyCsvChunks`. Undefined when the
 * window holds no record start under the chosen state and more of the file follows; the file's size when
 * the window reaches the end of the file and no record starts in it.
 */
export function guessCsvRecordStart(
  bytes: Uint8Array,
  at: { base: number; start: number; size: number },
  dialect: CsvByteDialect,
  options: { fields?: number } = {},
): number | undefined {
  const k = codesOf(dialect);
  const from = at.start - at.base;
  if (from < 0 || from > bytes.length) {
    throw new InternalError(`guessCsvRecordStart: bytes from ${at.base} do not reach ${at.start}`);
  }
  const eof = at.base + bytes.length >= at.size;
  const prev = from > 0 ? (bytes[from - 1] as number) : -1;
  const candidates = statesOf(k).filter((s) => prev === -1 || possibleAfter(prev, s, k));
  let best: { first: number; good: number; rank: number } | undefined;
  for (const s0 of candidates) {
    let s = s0;
    let first = -1;
    let fields = 0; // fields so far in the record being read, 0 before the first record start
    let good = 0;
    let bad = 0;
    for (let i = from; i < bytes.length && bad === 0; i++) {
      const r = step(s, bytes[i] as number, k);
      s = r & STATE;
      if (r & RECORD_HERE || (r & RECORD_BEFORE && i > from)) {
        if (first === -1) first = r & RECORD_HERE ? i : i - 1;
        fields = 1;
      }
      if (r & FIELD_END && fields > 0) fields++;
      if (r & RECORD_END && fields > 0) {
        if (options.fields === undefined || fields === options.fields) good++;
        else bad++;
        fields = 0;
      }
    }
    if (first === -1 && s === RC && eof && bytes.length > from) first = bytes.length - 1;
    if (bad > 0) continue;
    const rank = PREFERENCE.indexOf(s0);
    const better =
      best === undefined ||
      (first !== -1 && best.first === -1) ||
      ((first !== -1) === (best.first !== -1) &&
        (good > best.good || (good === best.good && rank < best.rank)));
    if (better) best = { first, good, rank };
  }
  if (best !== undefined && best.first !== -1) return at.base + best.first;
  return eof ? at.size : undefined;
}

/**
 * Every chunk's true first record start, from the summaries of consecutive raw ranges (the first starting
 * where the records begin, after a byte-order mark and the header: a line start): each range's lane for the
 * state the previous one ended in gives its first record start and the next range's start state. A range
 * in which no record starts (inside one long record, or nothing but empty lines) gets the next range's
 * start, which is then at or past its end: it owns no records. After the last, the file's size.
 */
export function csvChunkStarts(summaries: readonly CsvRangeSummary[], size: number): number[] {
  let state: CsvScanState = 'line-start';
  const firsts: (number | undefined)[] = [];
  for (let i = 0; i < summaries.length; i++) {
    const summary = summaries[i] as CsvRangeSummary;
    const previous = summaries[i - 1];
    if (previous !== undefined && previous.end !== summary.start) {
      throw new InternalError(
        `csvChunkStarts: range ${i} starts at ${summary.start}, not where range ${i - 1} ends`,
      );
    }
    const lane = summary.lanes.find((l) => l.from === state);
    if (lane === undefined)
      throw new InternalError(`csvChunkStarts: range ${i} has no lane for state ${state}`);
    firsts.push(lane.firstRecord);
    state = lane.to;
  }
  const starts: number[] = new Array(firsts.length);
  let next = size;
  for (let i = firsts.length - 1; i >= 0; i--) {
    next = firsts[i] ?? next;
    starts[i] = next;
  }
  return starts;
}

/** What a chunk's read reported (rule 1 of the file's comment). */
export interface CsvChunkRead {
  index: number;
  /** Where the read began: the range's start for the first chunk, a guess or a known start for the others. */
  assumedStart: number;
  /**
   * Where the record after the read's last starts (the file's size after the last record); undefined when
   * the read failed (a ragged row, a quote left open): from a wrong start that says nothing, from the true
   * start it is the file's error.
   */
  nextOffset: number | undefined;
}

export type CsvChunkStatus =
  /** The read holds exactly the chunk's records, which end where `nextOffset` says. */
  | { index: number; status: 'settled'; start: number; nextOffset: number }
  /** No record starts in the chunk's range: whatever its read produced must be dropped. */
  | { index: number; status: 'empty'; start: number }
  /** The read began at the true start and failed: its error is the file's (no earlier chunk failed). */
  | { index: number; status: 'failed'; start: number }
  /** The read began in the wrong place: read the range again from `start`, a true record start. */
  | { index: number; status: 'redo'; start: number }
  /** Not known yet: an earlier chunk is being read again. */
  | { index: number; status: 'pending' };

export interface CsvVerification {
  /**
   * Every chunk settled or empty: their reads, in chunk order, are the file's records exactly once. Or a
   * chunk failed and every chunk before it is settled or empty: the file fails with that chunk's error,
   * the first in file order, as reading the whole file would.
   */
  done: boolean;
  /** The index of the failed chunk, when `done` because one failed. */
  failed?: number;
  chunks: CsvChunkStatus[];
  /** The chunks to read again (all at once), each from its true start. */
  redo: { index: number; start: number }[];
}

/**
 * Checks the chunks' reads against each other (rule 2) or, given every range's summary, against the
 * true starts (rule 3; then every wrong read is named in one round, and a settled read whose nextOffset
 * contradicts the summaries, which only a reader and scanner that disagree can cause, is an
 * InternalError rather than data silently read twice or not at all). Call again with the redone reads in
 * place of the old ones until `done`.
 */
export function verifyCsvChunks(
  ranges: readonly { index: number; start: number; end: number }[],
  reads: readonly CsvChunkRead[],
  options: { size: number; summaries?: readonly CsvRangeSummary[] },
): CsvVerification {
  if (
    reads.length !== ranges.length ||
    reads.some((read, i) => read.index !== (ranges[i] as { index: number }).index)
  ) {
    throw new InternalError('verifyCsvChunks: one read per range, in range order');
  }
  const first = ranges[0];
  if (first !== undefined && (reads[0] as CsvChunkRead).assumedStart !== first.start) {
    throw new InternalError('verifyCsvChunks: the first chunk must be read from its range start');
  }
  const exact = options.summaries && csvChunkStarts(options.summaries, options.size);
  const chunks: CsvChunkStatus[] = [];
  let expected: number | undefined;
  let failed = false;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as { index: number; start: number; end: number };
    const read = reads[i] as CsvChunkRead;
    const index = range.index;
    const known = i === 0 ? read.assumedStart : (exact?.[i] ?? expected);
    if (exact && expected !== undefined && i > 0 && expected !== exact[i]) {
      throw new InternalError(
        `verifyCsvChunks: chunk ${i - 1} ended its records at ${expected}, the summaries say chunk ${i} starts at ${exact[i]}`,
      );
    }
    let status: CsvChunkStatus;
    if (known === undefined || failed) status = { index, status: 'pending' };
    else if (i > 0 && known >= range.end) status = { index, status: 'empty', start: known };
    else if (read.assumedStart !== known) status = { index, status: 'redo', start: known };
    else if (read.nextOffset === undefined) status = { index, status: 'failed', start: known };
    else status = { index, status: 'settled', start: known, nextOffset: read.nextOffset };
    chunks.push(status);
    if (status.status === 'settled') expected = status.nextOffset;
    else if (status.status === 'failed') failed = true;
    else if (status.status !== 'empty') expected = undefined;
  }
  if (exact && !failed && expected !== undefined && expected !== options.size) {
    throw new InternalError(
      `verifyCsvChunks: the last chunk ended its records at ${expected}, not at the end`,
    );
  }
  // Past a failure nothing needs reading again: the file fails whatever the later chunks hold.
  const firstOpen = chunks.findIndex((c) => c.status === 'redo' || c.status === 'pending');
  const failedAt = chunks.findIndex((c) => c.status === 'failed');
  const failedFirst = failedAt >= 0 && (firstOpen < 0 || firstOpen > failedAt);
  return {
    done: firstOpen < 0 || failedFirst,
    ...(failedFirst ? { failed: (chunks[failedAt] as CsvChunkStatus).index } : {}),
    chunks,
    redo: failedFirst
      ? []
      : chunks.flatMap((c) => (c.status === 'redo' ? [{ index: c.index, start: c.start }] : [])),
  };
}
