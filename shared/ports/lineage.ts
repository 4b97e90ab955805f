/** Lineage: the edge graph, model versions linked into it, and OpenLineage run events. */
import type { LineageEdge } from '../domain/lineage.js';
import type { RunEvent } from '../domain/openlineage.js';

/** Which run an OpenLineage event belongs to: what an archive files it under. */
export interface LineageEventTarget {
  tenant: string;
  runId: string;
  /** The run's start: archives date a run's events by it. */
  runStartedAt: string;
}

/** Where OpenLineage run events go (S3 `lineage/`, an HTTP endpoint such as Marquez). */
export interface LineageEventSink {
  /** For logs: which sink failed. */
  readonly name: string;
  /** Delivers one event; emitting the same event again is harmless (a retried stage does). */
  emit(event: RunEvent, target: LineageEventTarget): Promise<void>;
}

/** The lineage table: edges by their source (outgoing) and by their target (incoming, through gsi1). */
export interface LineageStore {
  /** Idempotent: an edge is keyed by (from, type, to). */
  putEdges(tenant: string, edges: readonly LineageEdge[], at: string): Promise<void>;
  outgoing(node: string): Promise<LineageEdge[]>;
  incoming(node: string): Promise<LineageEdge[]>;
}

export interface ModelLink {
  kind: 'dataset_version' | 'training_set' | 'feature_version';
  /** The lineage node linked as the model version's input. */
  node: string;
  at: string;
}

export interface ModelVersionRecord {
  tenant: string;
  model: string;
  version: string;
  createdAt: string;
  links: ModelLink[];
}

export interface ModelStore {
  /**
   * Adds a link to the model version (creating its record on first use) and the `trained_on` edge, in one
   * transaction; linking the same input again changes nothing.
   */
  linkModelVersion(
    tenant: string,
    model: string,
    version: string,
    link: ModelLink,
  ): Promise<ModelVersionRecord>;
  getModelVersion(tenant: string, model: string, version: string): Promise<ModelVersionRecord | undefined>;
}
