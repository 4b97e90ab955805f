/**
 * The lineage graph's vocabulary (pure): node ids, edge types, how API paths name nodes, and how a walked
 * graph is drawn as Mermaid. Edges point downstream: `from` is what `to` was made from.
 *
 *   file ──produced──▶ dataset version ──derived_from──▶ feature version / training set / predictions
 *   dataset version / feature version / training set ──trained_on──▶ model version
 *   model version ──scored_by──▶ predictions (a dataset version of `<name>-predictions`)
 */
import { InvalidInputError } from '../errors.js';

export const EDGE_TYPES = ['produced', 'derived_from', 'trained_on', 'scored_by'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

export const NODE_TYPES = [
  'file',
  'dataset-version',
  'feature-version',
  'training-set',
  'model-version',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface LineageEdge {
  from: string;
  to: string;
  type: EdgeType;
}

/** Node ids: `<type>:<tenant>/<path>`; the tenant inside the id keeps tenants' graphs apart. */
export const node = {
  file: (tenant: string, fileId: string) => `file:${tenant}/${fileId}`,
  datasetVersion: (tenant: string, dataset: string, version: number) =>
    `dataset-version:${tenant}/${dataset}/v${version}`,
  featureVersion: (tenant: string, name: string, version: string) =>
    `feature-version:${tenant}/${name}@${version}`,
  trainingSet: (tenant: string, id: string) => `training-set:${tenant}/${id}`,
  modelVersion: (tenant: string, model: string, version: string) =>
    `model-version:${tenant}/${model}@${version}`,
};

export interface ParsedNode {
  id: string;
  type: NodeType;
  tenant: string;
  /** The id without type and tenant: what the API path names (`demand/v3`, `spend@1.0.0`, `f_…`). */
  path: string;
}

export function parseNode(id: string): ParsedNode {
  const colon = id.indexOf(':');
  const type = id.slice(0, colon) as NodeType;
  const rest = id.slice(colon + 1);
  const slash = rest.indexOf('/');
  if (colon < 0 || slash < 0 || !NODE_TYPES.includes(type)) {
    throw new InvalidInputError(`"${id}" is not a lineage node id`);
  }
  return { id, type, tenant: rest.slice(0, slash), path: rest.slice(slash + 1) };
}

const PATH_SHAPES: Record<NodeType, RegExp> = {
  file: /^f_[0-9a-f]{32}$/,
  'dataset-version': /^[a-z0-9][a-z0-9_-]{0,62}\/v[1-9]\d{0,9}$/,
  'feature-version': /^[a-z0-9][a-z0-9_-]{0,62}@\d{1,6}\.\d{1,6}\.\d{1,6}$/,
  'training-set': /^ts_[A-Za-z0-9_-]{1,64}$/,
  'model-version': /^[a-z0-9][a-z0-9_.-]{0,62}@\d{1,6}\.\d{1,6}\.\d{1,6}$/,
};

/**
 * The node an API path names for the caller's tenant: `dataset-version/demand/v3`, `file/f_…`,
 * `feature-version/spend@1.0.0`, `training-set/ts_…`, `model-version/forecaster@1.2.0`. The tenant always
 * comes from the API key, never from the path, so no path reaches another tenant's graph.
 */
export function nodeFromApiPath(tenant: string, path: string): string {
  const slash = path.indexOf('/');
  const type = path.slice(0, slash) as NodeType;
  const rest = path.slice(slash + 1);
  if (slash < 0 || !NODE_TYPES.includes(type) || !PATH_SHAPES[type].test(rest)) {
    throw new InvalidInputError(
      `"${path}" names no lineage node: use ${NODE_TYPES.map((t) => `${t}/…`).join(', ')}`,
    );
  }
  return `${type}:${tenant}/${rest}`;
}

export interface LineageGraph {
  root: string;
  direction: 'up' | 'down' | 'both';
  nodes: Array<{ id: string; type: NodeType; name: string; depth: number }>;
  edges: LineageEdge[];
  /** The walk stopped at the node limit before reaching `depth`. */
  truncated: boolean;
}

/** The part of a node id a person reads: `demand/v3`, `spend@1.0.0`. */
export function nodeName(id: string): string {
  return parseNode(id).path;
}

/** A Mermaid flowchart of the graph; ids are replaced by n0, n1, … because Mermaid ids allow few characters. */
export function toMermaid(graph: LineageGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const quote = (text: string) => text.replaceAll('"', '#quot;');
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) {
    const shape = n.id === graph.root ? ['[["', '"]]'] : ['["', '"]'];
    lines.push(`  ${ids.get(n.id)}${shape[0]}${quote(`${n.type}: ${n.name}`)}${shape[1]}`);
  }
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (from && to) lines.push(`  ${from} -->|${e.type}| ${to}`);
  }
  return `${lines.join('\n')}\n`;
}
