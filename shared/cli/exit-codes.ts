/**
 * What `strata` exits with, in one place: every command ends through `exitCodeFor` (an error) or
 * returns one of these codes, and `strata --help` prints `EXIT_CODES_HELP` from the same table.
 */
import { ApiError } from '../client/http.js';

export const EXIT = {
  /** The command did what it was asked and the outcome is good. */
  OK: 0,
  /** The command ran, but the outcome is negative: a file quarantined or held, drift over --fail-on, … */
  NEGATIVE: 1,
  /** Bad usage or configuration: unknown option, missing STRATA_API_URL, no checkout for `up`. */
  USAGE: 2,
  /** The API refused the request (4xx): not found, invalid input, bad API key, conflict. */
  API: 3,
  /** The server failed (5xx) or could not be reached (refused, DNS, timeout). */
  SERVER: 4,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    ok
  1    ran, but the outcome is negative (a file quarantined or its version HELD, drift at or above
       --fail-on, an empty training-set selection, a connector run FAILED, no local cloud to stop)
  2    usage or configuration error (bad option, STRATA_API_URL/STRATA_API_KEY missing)
  3    the API refused the request (4xx: not found, invalid input, bad API key, a connector
       run already in progress)
  4    server error (5xx) or the API could not be reached
  130  interrupted (Ctrl-C)`;

/** An error the CLI raises itself, with the code it means. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The API could not be reached at all (connection refused, DNS, TLS, timeout). */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/**
 * 4xx answers that mean "the request was fine, the answer is no": a negative outcome, not a refusal.
 * (`POST /training-sets` answers 422 EmptySelectionError when no file fits the criteria.)
 */
const NEGATIVE_API_ERRORS = new Set(['EmptySelectionError']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ApiError) {
    if (NEGATIVE_API_ERRORS.has(error.errorName)) return EXIT.NEGATIVE;
    return error.status >= 500 ? EXIT.SERVER : EXIT.API;
  }
  if (error instanceof UnreachableError) return EXIT.SERVER;
  // Commander's own exits: --help and --version are 0, anything else it refused is usage.
  const { code, exitCode } = (error ?? {}) as { code?: unknown; exitCode?: unknown };
  if (typeof code === 'string' && code.startsWith('commander.')) return exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  return EXIT.NEGATIVE;
}

/** Several outcomes (one per file): the most serious code wins (4 > 3 > 2 > 1 > 0). */
export function worstExit(codes: Iterable<ExitCode>): ExitCode {
  let worst: ExitCode = EXIT.OK;
  for (const code of codes) if (rank(code) > rank(worst)) worst = code;
  return worst;
}

function rank(code: ExitCode): number {
  return code === EXIT.INTERRUPTED ? 100 : code;
}

/** A one-line message for stderr. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // `HTTP403` is the client's stand-in when the body named no error (API Gateway's own answers).
    const status = error.errorName.startsWith('HTTP')
      ? String(error.status)
      : `${error.status} ${error.errorName}`;
    if (error.status === 401 || error.status === 403) {
      return `${status}: ${error.message} (check STRATA_API_KEY)`;
    }
    return `${status}: ${error.message}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
