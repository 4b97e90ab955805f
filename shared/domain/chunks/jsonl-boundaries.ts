/**
 * Where a byte range of a JSON Lines file begins its records. JSON text escapes line breaks inside
 * strings, so every LF is a line end and a range's first line starts right after the first LF at or after
 * its raw start (or at the raw start itself when the byte before it is an LF): exact from the range's own
 * bytes, no verification needed. A CR before the LF belongs to the line it ends (the reader drops it), so a
 * CR LF pair cut in two by a range end still ends one line; a lone CR is text. Blank lines are lines but
 * not records (the reader skips them); a line longer than a range simply leaves the ranges it covers
 * without a line start, and they own no records.
 *
 * A range owns the lines that start in it (the last one read past its end), so its records run from
 * `jsonlLineStart(start)` to `jsonlLineStart(end)`.
 */
import { InternalError } from '../../errors.js';

const LF = 10;

/**
 * The first line start at or after `start`. `bytes` holds the file from offset `base`, from the byte
 * before `start` (unless `start` is 0) for as far as the caller has read. Undefined when no line starts in
 * `bytes` and more of the file follows; the file's size when the file ends first.
 */
export function jsonlLineStart(
  bytes: Uint8Array,
  at: { base: number; start: number; size: number },
): number | undefined {
  if (at.start <= 0) return 0;
  const before = at.start - 1 - at.base;
  if (before < 0 || before >= bytes.length) {
    throw new InternalError(`jsonlLineStart: bytes from ${at.base} do not hold the byte before ${at.start}`);
  }
  if (bytes[before] === LF) return at.start;
  const found = bytes.indexOf(LF, before + 1);
  if (found >= 0) return at.base + found + 1;
  return at.base + bytes.length >= at.size ? at.size : undefined;
}
