/** Pull connectors: their settings and state, the secrets they use, the pull function they start. */
import type {
  ConnectorLease,
  ConnectorRecord,
  ConnectorRunRecord,
  ConnectorRunSummary,
  ConnectorSettings,
  PendingWrite,
  WatermarkState,
} from '../domain/connector-runs.js';
import type { Page } from './page.js';

/**
 * Connector settings and state, one item per (tenant, dataset), with the dataset's run records beside it.
 * Every state change after the lease is conditional on the caller's run holding it, so a run that lost its
 * lease (it outlived it, or the connector was deleted) can never move a watermark.
 */
export interface ConnectorStore {
  /**
   * Creates or replaces the settings; keeps the state unless `resetWatermark`. `existing` is the record as
   * the caller just read it (undefined: none), which saves reading it again.
   */
  putConnector(
    tenant: string,
    dataset: string,
    settings: ConnectorSettings,
    options: { at: string; resetWatermark: boolean; existing?: ConnectorRecord | undefined },
  ): Promise<ConnectorRecord>;
  getConnector(tenant: string, dataset: string): Promise<ConnectorRecord | undefined>;
  /** False when there was none. */
  deleteConnector(tenant: string, dataset: string): Promise<boolean>;
  /** Enabled connectors whose next run is due at `now`, oldest due first, across tenants. */
  listDue(now: string, limit: number): Promise<Array<{ tenant: string; dataset: string; nextRunAt: string }>>;
  /**
   * Takes the lease for a new run unless a live run holds it: the record as leased, or undefined (taken).
   * `dueAt` (the scheduler) additionally requires the run to still be due at that time, so two scheduler
   * ticks that saw the same due connector start one run.
   */
  acquireLease(
    tenant: string,
    dataset: string,
    lease: ConnectorLease,
    now: string,
    dueAt?: string,
  ): Promise<ConnectorRecord | undefined>;
  /** Records the batch about to be written, and extends the lease. ConflictError: the lease is gone. */
  setPending(tenant: string, dataset: string, pending: PendingWrite, leaseUntil: string): Promise<void>;
  /**
   * Stores the watermark of a written batch and clears `pending` (both only if `pending` is that batch's).
   * ConflictError: the lease is gone.
   */
  commitWatermark(
    tenant: string,
    dataset: string,
    runId: string,
    watermark: WatermarkState | undefined,
    leaseUntil: string,
  ): Promise<void>;
  /** Drops a `pending` whose files were never written. */
  clearPending(tenant: string, dataset: string, runId: string): Promise<void>;
  /** Releases the lease and schedules the next run; no-op (false) when the lease is not this run's. */
  finishRun(
    tenant: string,
    dataset: string,
    runId: string,
    outcome: { nextRunAt: string; consecutiveFailures: number; lastRun: ConnectorRunSummary },
  ): Promise<boolean>;
  putRun(run: ConnectorRunRecord): Promise<void>;
  getRun(tenant: string, dataset: string, runId: string): Promise<ConnectorRunRecord | undefined>;
  /** Newest first. */
  listRuns(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ConnectorRunRecord>>;
}

/** Secrets by name, scoped to a tenant (Secrets Manager in AWS; environment variables locally). */
export interface SecretStore {
  /** The secret's string value; SourceError when there is none (the message names it, never a value). */
  getSecret(tenant: string, name: string): Promise<string>;
}

/** Starts another of our functions without waiting for it (Lambda's asynchronous invocation). */
export interface FunctionInvoker {
  invokeAsync(payload: unknown): Promise<void>;
}
