import { TransientError } from '../errors.js';
import { networkCode, TRANSIENT_NETWORK_CODES } from './network-errors.js';

/** The SDK marks throttling and 5xx as retryable; those become TransientError so Step Functions retries. */
export function isRetryableSdkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; name?: string };
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'].includes(e.name ?? '')) return true;
  // A server that is down or restarting: the SDK gives up after its own retries and throws the socket
  // error (its name is often just "Error"); the stage's retry, seconds later, may find it back.
  const code = networkCode(error) ?? e.name;
  return code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
}

export function sdkErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/** Rethrows a retryable SDK error as TransientError (cause kept); anything else unchanged. */
export function rethrowSdkError(operation: string, error: unknown): never {
  if (isRetryableSdkError(error)) {
    throw new TransientError(`${operation} failed transiently: ${sdkErrorName(error) ?? 'unknown'}`, {
      cause: error,
    });
  }
  throw error;
}
