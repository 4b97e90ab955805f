/**
 * Snappy block compression (the format Parquet's SNAPPY codec holds), the reference algorithm as
 * snappyjs and hyparquet-writer implement it, written straight into one preallocated output array:
 * the same-format port that appends byte by byte through a growable writer spent most of its time in
 * the appends. Pure JavaScript, so the Lambda bundle needs no native binary.
 *
 * The compressor is made by a factory that refers to nothing outside itself, so that a worker thread can
 * run the very same code from its source text (snappy-worker.ts), whatever the bundler renamed.
 */

/**
 * A Snappy compressor with its own scratch: each call's result is a view of a buffer reused by the next
 * call, so a caller that keeps it copies it first. Self-contained (see above): no reference to this
 * module's other names.
 */
export function snappyCompressor(): (input: Uint8Array) => Uint8Array {
  const MAX_HASH_TABLE_BITS = 14;
  const MAX_OFFSET = 0xffff;
  const INPUT_MARGIN = 15;
  const hashTables: (Uint32Array | undefined)[] = [];

  let scratch = new Uint8Array(0);

  function compress(input: Uint8Array): Uint8Array {
    // The most bytes the input can take compressed (the reference's bound), plus the length varint.
    const bound = 32 + input.length + Math.floor(input.length / 6) + 5;
    if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
    const out = scratch;
    let op = 0;
    // Preamble: the uncompressed length as a varint.
    let len = input.length;
    while (len >= 0x80) {
      out[op++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    out[op++] = len;
    op = compressInto(input, out, op);
    return out.subarray(0, op);
  }

  function emitLiteral(out: Uint8Array, op: number, input: Uint8Array, ip: number, len: number): number {
    const n = len - 1;
    if (n < 60) {
      out[op++] = n << 2;
    } else if (n < 0x100) {
      out[op++] = 60 << 2;
      out[op++] = n;
    } else if (n < 0x10000) {
      out[op++] = 61 << 2;
      out[op++] = n & 0xff;
      out[op++] = n >>> 8;
    } else if (n < 0x1000000) {
      out[op++] = 62 << 2;
      out[op++] = n & 0xff;
      out[op++] = (n >>> 8) & 0xff;
      out[op++] = n >>> 16;
    } else {
      out[op++] = 63 << 2;
      out[op++] = n & 0xff;
      out[op++] = (n >>> 8) & 0xff;
      out[op++] = (n >>> 16) & 0xff;
      out[op++] = n >>> 24;
    }
    if (len < 24) {
      for (let i = 0; i < len; i++) out[op + i] = input[ip + i] as number;
    } else {
      out.set(input.subarray(ip, ip + len), op);
    }
    return op + len;
  }

  function emitCopyLessThan64(out: Uint8Array, op: number, offset: number, len: number): number {
    if (len < 12 && offset < 2048) {
      out[op++] = 1 + ((len - 4) << 2) + ((offset >>> 8) << 5);
      out[op++] = offset & 0xff;
    } else {
      out[op++] = 2 + ((len - 1) << 2);
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
    }
    return op;
  }

  function emitCopy(out: Uint8Array, op: number, offset: number, len: number): number {
    let rest = len;
    while (rest >= 68) {
      op = emitCopyLessThan64(out, op, offset, 64);
      rest -= 64;
    }
    if (rest > 64) {
      op = emitCopyLessThan64(out, op, offset, 60);
      rest -= 60;
    }
    return emitCopyLessThan64(out, op, offset, rest);
  }

  function compressInto(input: Uint8Array, out: Uint8Array, start: number): number {
    const inputSize = input.length;
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    let op = start;
    let hashTableBits = 1;
    while (1 << hashTableBits <= inputSize && hashTableBits <= MAX_HASH_TABLE_BITS) hashTableBits++;
    hashTableBits--;
    const shift = 32 - hashTableBits;
    let table = hashTables[hashTableBits];
    if (!table) {
      table = new Uint32Array(1 << hashTableBits);
      hashTables[hashTableBits] = table;
    }
    table.fill(0);

    let nextEmit = 0;
    if (inputSize >= INPUT_MARGIN) {
      const ipLimit = inputSize - INPUT_MARGIN;
      let ip = 1;
      let nextHash = Math.imul(view.getInt32(ip, true), 0x1e35a7bd) >>> shift;
      outer: for (;;) {
        let skip = 32;
        let nextIp = ip;
        let candidate = 0;
        do {
          ip = nextIp;
          const hash = nextHash;
          const step = skip >>> 5;
          skip++;
          nextIp = ip + step;
          if (ip > ipLimit) break outer;
          // Past the limit the hash is never used: the next round stops first.
          nextHash = nextIp <= ipLimit ? Math.imul(view.getInt32(nextIp, true), 0x1e35a7bd) >>> shift : 0;
          candidate = table[hash] as number;
          table[hash] = ip;
        } while (ip - candidate > MAX_OFFSET || view.getInt32(ip, true) !== view.getInt32(candidate, true));

        op = emitLiteral(out, op, input, nextEmit, ip - nextEmit);

        do {
          const base = ip;
          let matched = 4;
          // Four bytes at a time while they fit, then byte by byte.
          while (
            ip + matched + 4 <= inputSize &&
            view.getInt32(ip + matched, true) === view.getInt32(candidate + matched, true)
          )
            matched += 4;
          while (ip + matched < inputSize && input[ip + matched] === input[candidate + matched]) matched++;
          ip += matched;
          op = emitCopy(out, op, base - candidate, matched);
          nextEmit = ip;
          if (ip >= ipLimit) break outer;
          const prevHash = Math.imul(view.getInt32(ip - 1, true), 0x1e35a7bd) >>> shift;
          table[prevHash] = ip - 1;
          const curHash = Math.imul(view.getInt32(ip, true), 0x1e35a7bd) >>> shift;
          candidate = table[curHash] as number;
          table[curHash] = ip;
        } while (ip - candidate <= MAX_OFFSET && view.getInt32(ip, true) === view.getInt32(candidate, true));

        ip++;
        nextHash = Math.imul(view.getInt32(ip, true), 0x1e35a7bd) >>> shift;
      }
    }
    if (nextEmit < inputSize) op = emitLiteral(out, op, input, nextEmit, inputSize - nextEmit);
    return op;
  }

  return compress;
}

/** Compresses `input` on this thread; the result is a view of a buffer reused by the next call. */
export const snappyCompress = snappyCompressor();
