/**
 * Lineage in one call: walk the graph up (where did this come from?) or down (what did it turn into?)
 * from any node, level by level, and model versions linked to the data they were trained on.
 */
import { checkFeatureName, parseSemver } from '../domain/feature-store.js';
import {
  type LineageEdge,
  type LineageGraph,
  node,
  nodeFromApiPath,
  nodeName,
  parseNode,
} from '../domain/lineage.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type {
  Clock,
  FeatureRegistry,
  LineageStore,
  ModelLink,
  ModelStore,
  TrainingSetStore,
  VersionStore,
} from '../ports.js';

export const MAX_DEPTH = 25;
export const MAX_NODES = 1000;

export interface WalkOptions {
  direction: 'up' | 'down' | 'both';
  depth: number;
}

/**
 * Breadth-first from the node the API path names: each level's neighbours are fetched in parallel, a
 * node is visited once (diamonds and shared ancestors appear once), and the walk stops at `depth` levels
 * or `MAX_NODES` nodes (then `truncated`). `both` walks up and down separately: their union, not the
 * siblings one would reach by turning around.
 */
export async function walkLineage(
  deps: { lineage: LineageStore },
  tenant: string,
  apiPath: string,
  options: WalkOptions,
): Promise<LineageGraph> {
  const root = nodeFromApiPath(tenant, apiPath);
  const depths = new Map<string, number>([[root, 0]]);
  const edges = new Map<string, LineageEdge>();
  let truncated = false;
  const directions = options.direction === 'both' ? (['up', 'down'] as const) : [options.direction];
  for (const direction of directions) {
    let frontier = [root];
    for (let level = 1; level <= options.depth && frontier.length > 0 && !truncated; level++) {
      const found = await Promise.all(
        frontier.map((n) => (direction === 'up' ? deps.lineage.incoming(n) : deps.lineage.outgoing(n))),
      );
      const next: string[] = [];
      for (const edge of found.flat()) {
        edges.set(`${edge.from}|${edge.type}|${edge.to}`, edge);
        const other = direction === 'up' ? edge.from : edge.to;
        if (depths.has(other)) continue;
        if (depths.size >= MAX_NODES) {
          truncated = true;
          break;
        }
        depths.set(other, level);
        next.push(other);
      }
      frontier = next;
    }
  }
  const nodes = [...depths.entries()].map(([id, depth]) => ({
    id,
    type: parseNode(id).type,
    name: nodeName(id),
    depth,
  }));
  return {
    root,
    direction: options.direction,
    nodes,
    // Only edges between nodes in the answer (a truncated walk may have seen edges to nodes it dropped).
    edges: [...edges.values()].filter((e) => depths.has(e.from) && depths.has(e.to)),
    truncated,
  };
}

export type LinkTarget =
  | { dataset_version: { dataset: string; version: number } }
  | { training_set: string }
  | { feature_version: { name: string; version: string } };

export interface ModelDeps {
  models: ModelStore;
  versions: Pick<VersionStore, 'getVersion'>;
  trainingSets: Pick<TrainingSetStore, 'getTrainingSet'>;
  registry: Pick<FeatureRegistry, 'getFeatureVersion'>;
  clock: Clock;
}

function checkModel(model: string, version: string): void {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(model)) {
    throw new InvalidInputError(`model name "${model}" must be lower-case letters, digits, "_", "." or "-"`);
  }
  parseSemver(version);
}

/**
 * Links a model version to what it was trained on (a dataset version, a training set or a feature
 * version), which must exist: a lineage edge to nothing would answer "where did this come from" wrongly.
 */
export async function linkModelVersion(
  deps: ModelDeps,
  tenant: string,
  model: string,
  version: string,
  target: LinkTarget,
) {
  checkModel(model, version);
  let link: Omit<ModelLink, 'at'>;
  if ('dataset_version' in target) {
    const { dataset, version: v } = target.dataset_version;
    const record = await deps.versions.getVersion(tenant, dataset, v);
    if (!record || record.status === 'PENDING')
      throw new NotFoundError(`version ${v} of dataset "${dataset}" not found`);
    link = { kind: 'dataset_version', node: node.datasetVersion(tenant, dataset, v) };
  } else if ('training_set' in target) {
    const record = await deps.trainingSets.getTrainingSet(tenant, target.training_set);
    if (!record) throw new NotFoundError(`training set "${target.training_set}" not found`);
    link = { kind: 'training_set', node: node.trainingSet(tenant, target.training_set) };
  } else {
    const { name, version: v } = target.feature_version;
    checkFeatureName(name);
    const record = await deps.registry.getFeatureVersion(tenant, name, v);
    if (!record) throw new NotFoundError(`feature "${name}@${v}" not found`);
    link = { kind: 'feature_version', node: node.featureVersion(tenant, name, v) };
  }
  const record = await deps.models.linkModelVersion(tenant, model, version, {
    ...link,
    at: deps.clock.now().toISOString(),
  });
  return describeModel(record);
}

export async function getModelVersion(
  deps: Pick<ModelDeps, 'models'>,
  tenant: string,
  model: string,
  version: string,
) {
  checkModel(model, version);
  const record = await deps.models.getModelVersion(tenant, model, version);
  if (!record) throw new NotFoundError(`model "${model}@${version}" not found`);
  return describeModel(record);
}

function describeModel(record: Awaited<ReturnType<ModelStore['getModelVersion']>> & object) {
  return {
    model: record.model,
    version: record.version,
    createdAt: record.createdAt,
    node: node.modelVersion(record.tenant, record.model, record.version),
    links: record.links.map((l) => ({ kind: l.kind, node: l.node, name: nodeName(l.node), at: l.at })),
  };
}
