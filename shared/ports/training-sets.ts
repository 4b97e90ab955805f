/** Training sets, recorded with their lineage. */
import type { LineageEdge } from '../domain/lineage.js';
import type { TrainingSetRecord } from '../domain/training-set.js';

export interface TrainingSetStore {
  /**
   * Records a training set once (the id is new, so a conflict is a bug, not a race) with its lineage
   * edges: in one transaction when they fit (≤ 99), else the overflow edges first, so a visible training
   * set always has all its lineage.
   */
  putTrainingSet(record: TrainingSetRecord, edges?: readonly LineageEdge[]): Promise<void>;
  getTrainingSet(tenant: string, id: string): Promise<TrainingSetRecord | undefined>;
}
