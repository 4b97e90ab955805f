/**
 * Connects a producer that pushes chunks (a Parquet writer's sink) to a consumer that pulls them (a
 * multipart upload), with backpressure: `push` resolves only once the consumer has taken the chunk, so
 * at most one chunk waits between them and memory stays flat.
 */
export interface Channel<T> extends AsyncIterable<T> {
  push(value: T): Promise<void>;
  close(): void;
  /** Ends the consumer's iteration with this error (the upload aborts instead of completing). */
  fail(error: unknown): void;
}

/** What the producer sees when the consumer stopped reading; the consumer's own error is the real one. */
class ConsumerStopped extends Error {
  override readonly name = 'ConsumerStopped';
}

export function createChannel<T>(): Channel<T> {
  let pending: { value: T; taken: () => void; rejected: (e: unknown) => void } | undefined;
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let waitingReject: ((error: unknown) => void) | undefined;
  let done = false;
  let failure: { error: unknown } | undefined;

  const settleWaiter = () => {
    if (!waiting) return;
    const resolve = waiting;
    const reject = waitingReject;
    if (failure) {
      waiting = undefined;
      waitingReject = undefined;
      reject?.(failure.error);
    } else if (pending) {
      waiting = undefined;
      waitingReject = undefined;
      const { value, taken } = pending;
      pending = undefined;
      taken();
      resolve({ value, done: false });
    } else if (done) {
      waiting = undefined;
      waitingReject = undefined;
      resolve({ value: undefined, done: true });
    }
  };

  return {
    push(value: T) {
      if (failure) return Promise.reject(failure.error);
      if (done) return Promise.reject(new Error('push after close'));
      return new Promise<void>((taken, rejected) => {
        pending = { value, taken, rejected };
        settleWaiter();
      });
    },
    close() {
      done = true;
      settleWaiter();
    },
    fail(error: unknown) {
      failure = { error };
      pending?.rejected(error);
      pending = undefined;
      settleWaiter();
    },
    [Symbol.asyncIterator]() {
      return {
        next: () =>
          new Promise<IteratorResult<T>>((resolve, reject) => {
            waiting = resolve;
            waitingReject = reject;
            settleWaiter();
          }),
        return: async () => {
          // The consumer stopped early (the upload failed): stop the producer too.
          failure ??= { error: new ConsumerStopped('consumer stopped reading') };
          pending?.rejected(failure.error);
          pending = undefined;
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * Runs `produce` (pushing into a channel) and `consume` (reading it) together; the first failure of
 * either ends both, and its error is the one thrown.
 */
export async function pipeThrough<T, R>(
  produce: (push: (value: T) => Promise<void>) => Promise<void>,
  consume: (source: AsyncIterable<T>) => Promise<R>,
): Promise<R> {
  const channel = createChannel<T>();
  const producer = produce((value) => channel.push(value)).then(
    () => channel.close(),
    (error: unknown) => {
      channel.fail(error);
      throw error;
    },
  );
  const consumer = consume(channel).catch((error: unknown) => {
    channel.fail(error);
    throw error;
  });
  const [produced, consumed] = await Promise.allSettled([producer, consumer]);
  if (produced.status === 'rejected' && !(produced.reason instanceof ConsumerStopped)) throw produced.reason;
  if (consumed.status === 'rejected') throw consumed.reason;
  if (produced.status === 'rejected') throw produced.reason;
  return consumed.value;
}
