/** Dataset versions: allocation, completion, promotion, tags. */
import type { VersionRecord, VersionTable } from '../domain/version.js';
import type { Page } from './page.js';

/** What a stage knows before a number is allocated; the store fills in number, status, parent, snapshot key. */
export type VersionDraft = Omit<VersionRecord, 'version' | 'status' | 'parentVersion'>;

export interface VersionStore {
  /**
   * Allocates the next version number for the file's dataset and records the version (PENDING), the
   * file → version link and the lineage edge in one transaction. Gapless and unique under concurrency;
   * a file that already has a version gets that one back (`created: false`).
   */
  commitVersion(draft: VersionDraft): Promise<{ record: VersionRecord; created: boolean }>;
  /**
   * READY (promoted to current when it is newer than current) or HELD (not promoted) with the gates'
   * reasons. Repeating it is harmless; a version a person already promoted stays promoted.
   */
  completeVersion(
    tenant: string,
    dataset: string,
    version: number,
    status: 'READY' | 'HELD',
    hold?: VersionRecord['hold'],
  ): Promise<{ promoted: boolean }>;
  /**
   * Records where the version is in the dataset's Delta table. A staged placement (no Delta version) never
   * replaces a committed one: a retried stage of a held version that a person promoted meanwhile leaves
   * the promotion's commit recorded. Throws NotFoundError for a missing version.
   */
  recordTable(tenant: string, dataset: string, version: number, table: VersionTable): Promise<void>;
  /**
   * A person's decision: the version (READY or HELD) becomes READY and the dataset's current version,
   * with the reason recorded. Throws NotFoundError for a missing or PENDING version.
   */
  promoteVersion(
    tenant: string,
    dataset: string,
    version: number,
    promotion: { reason: string; at: string },
  ): Promise<VersionRecord>;
  getVersion(tenant: string, dataset: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<VersionRecord>>;
  /**
   * Sets a complete version's tags and description, its only mutable metadata, and keeps the tag index
   * in step in the same transaction. `update` computes them from the stored record and is called again
   * when another writer changed the tags meanwhile (`description: null` removes it). Throws NotFoundError
   * for a missing or PENDING version.
   */
  updateVersionMetadata(
    tenant: string,
    dataset: string,
    version: number,
    update: (current: VersionRecord) => { tags: string[]; description?: string | null | undefined },
  ): Promise<VersionRecord>;
  /** The versions carrying `tag`, newest first, paginated like `listVersions`. */
  listVersionsByTag(
    tenant: string,
    dataset: string,
    tag: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<VersionRecord>>;
}

/** A dataset's table writer: who holds the lease, and until when (ISO 8601). */
export interface TableWriterLease {
  owner: string;
  until: string;
}

/**
 * One writer of a dataset's table at a time. The version stage holds the lease from taking a version
 * number to committing (or staging) that version, so numbers and table commits come in the same order:
 * the table version of version N holds every published version below N. A lease ends on release or by
 * itself at `until` (its holder died), and its owner may take it again (a retried stage).
 */
export interface TableWriterLeases {
  /**
   * Takes the lease for `lease.owner` unless another owner holds it past `now`; answers the lease in
   * force afterwards (the caller's when it got it).
   */
  acquire(
    tenant: string,
    dataset: string,
    lease: TableWriterLease & { now: string },
  ): Promise<TableWriterLease>;
  /** Ends `owner`'s lease; nothing when it holds none (it expired and another took it). */
  release(tenant: string, dataset: string, owner: string): Promise<void>;
}
