/** The feature store: the registry of versions and the online values. */
import type { FeatureVersionRecord } from '../domain/feature-store.js';
import type { LineageEdge } from '../domain/lineage.js';
import type { CellValue } from '../domain/table.js';
import type { Page } from './page.js';

/** The feature registry: immutable feature versions, newest by semantic version. */
export interface FeatureRegistry {
  /**
   * Records a version once. A second registration of the same name and version returns the stored one
   * (`created: false`); the caller compares content hashes to tell a retry from a conflict.
   */
  putFeatureVersion(
    record: FeatureVersionRecord,
    /** In the record's transaction when they fit (≤ 99), else the overflow edges first. */
    edges?: readonly LineageEdge[],
  ): Promise<{ created: boolean; record: FeatureVersionRecord }>;
  getFeatureVersion(tenant: string, name: string, version: string): Promise<FeatureVersionRecord | undefined>;
  /** The highest version by semver order. */
  latestFeatureVersion(tenant: string, name: string): Promise<FeatureVersionRecord | undefined>;
  listFeatureVersions(
    tenant: string,
    name: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<FeatureVersionRecord>>;
}

export interface OnlineFeatureItem {
  entityKey: string;
  eventTime: number;
  values: Record<string, CellValue>;
}

/**
 * The online values of one content of a feature version. Two registrations of one version with different
 * content each write their own set; the registry's record names the one that won.
 */
export interface OnlineFeatureSet {
  tenant: string;
  name: string;
  version: string;
  /**
   * The content hash of the registration that wrote the set. Undefined only to read a version registered
   * before sets were told apart by content (its values sit under the version alone).
   */
  contentHash: string | undefined;
}

/** Latest feature values per entity key, one set per feature version's content, for low-latency lookups. */
export interface OnlineFeatureStore {
  /** Idempotent: writing the same rows again leaves the same items; another content's set is untouched. */
  materialize(set: OnlineFeatureSet, rows: readonly OnlineFeatureItem[]): Promise<void>;
  /** Up to 100 keys per call; missing entities are absent from the map. Reads only the named set. */
  lookup(set: OnlineFeatureSet, entityKeys: readonly string[]): Promise<Map<string, OnlineFeatureItem>>;
  /** Deletes a set's items (of a content that lost its version to another); repeating it is harmless. */
  discard(set: OnlineFeatureSet, entityKeys: readonly string[]): Promise<void>;
}
