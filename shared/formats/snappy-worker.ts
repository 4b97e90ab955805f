/**
 * Snappy compression of Parquet pages on a worker thread, so that a writer's compression (about a sixth of
 * a parse) runs beside the parsing of the next row group instead of after it. One worker per process,
 * started at first use from the compressor's own source text (snappyCompressor is self-contained), so the
 * same code runs in a Lambda bundle, under tsx and in tests without a separate file to ship. The worker
 * holds the process open only while it has work.
 *
 * Pages go over copied and come back compressed in transferred buffers. If the worker cannot start or
 * dies, the pages are compressed on the calling thread: the bytes are the same.
 */
import { Worker } from 'node:worker_threads';
import { snappyCompressor } from './snappy.js';

// `__name`: a helper some bundler settings wrap named functions in; harmless when unused.
const SOURCE = `
var __name = (target) => target;
const { parentPort } = require('node:worker_threads');
const compress = (${snappyCompressor.toString()})();
parentPort.on('message', ({ id, pages }) => {
  const out = pages.map((page) => compress(page).slice().buffer);
  parentPort.postMessage({ id, pages: out }, out);
});
`;

interface Job {
  resolve(pages: Uint8Array[]): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
let broken = false;
let nextId = 0;
const jobs = new Map<number, Job>();

function failAll(error: Error): void {
  broken = true;
  worker = undefined;
  for (const job of jobs.values()) job.reject(error);
  jobs.clear();
}

function started(): Worker | undefined {
  if (broken) return undefined;
  if (worker) return worker;
  try {
    const w = new Worker(SOURCE, { eval: true });
    w.on('message', ({ id, pages }: { id: number; pages: ArrayBuffer[] }) => {
      const job = jobs.get(id);
      jobs.delete(id);
      if (jobs.size === 0) w.unref();
      job?.resolve(pages.map((b) => new Uint8Array(b)));
    });
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`snappy worker exited with code ${code}`)));
    w.unref();
    worker = w;
    return w;
  } catch {
    broken = true;
    return undefined;
  }
}

/** Whether the worker was started, and is (or was last) working; `failed` once it could not start or died. */
export function snappyWorkerStatus(): 'unused' | 'started' | 'failed' {
  return broken ? 'failed' : worker ? 'started' : 'unused';
}

/** The pages compressed on this thread, each a fresh array. */
function compressHere(pages: readonly Uint8Array[]): Uint8Array[] {
  const compress = snappyCompressor();
  return pages.map((page) => compress(page).slice());
}

/**
 * The pages Snappy-compressed, in order, each a fresh array. The pages are copied to the worker (one
 * memcpy each, a few milliseconds for a row group), so that if the worker dies they are still here to be
 * compressed on this thread.
 */
export async function compressPages(pages: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const w = started();
  if (!w) return compressHere(pages);
  const id = nextId++;
  try {
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, pages });
    });
  } catch {
    return compressHere(pages);
  }
}
