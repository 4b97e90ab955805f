import { describe, expect, it } from 'vitest';
import {
  type LineageGraph,
  node,
  nodeFromApiPath,
  parseNode,
  toMermaid,
} from '../../shared/domain/lineage.js';

describe('lineage node ids', () => {
  it('maps an API path to the caller’s tenant’s node, for every node type', () => {
    expect(nodeFromApiPath('t1', 'dataset-version/demand/v3')).toBe(node.datasetVersion('t1', 'demand', 3));
    expect(nodeFromApiPath('t1', `file/f_${'a'.repeat(32)}`)).toBe(node.file('t1', `f_${'a'.repeat(32)}`));
    expect(nodeFromApiPath('t1', 'feature-version/spend@1.2.0')).toBe(
      node.featureVersion('t1', 'spend', '1.2.0'),
    );
    expect(nodeFromApiPath('t1', 'training-set/ts_abc')).toBe(node.trainingSet('t1', 'ts_abc'));
    expect(nodeFromApiPath('t1', 'model-version/risk.v2@1.0.0')).toBe(
      node.modelVersion('t1', 'risk.v2', '1.0.0'),
    );
  });

  it('refuses paths that name no node or try to reach another tenant', () => {
    for (const path of [
      'nonsense/x',
      'dataset-version/demand',
      'dataset-version/../t2/demand/v1',
      'file/x',
      'model-version/risk',
    ]) {
      expect(() => nodeFromApiPath('t1', path)).toThrow(/names no lineage node/);
    }
  });

  it('parses a node id into type, tenant and path', () => {
    expect(parseNode('dataset-version:t1/demand/v3')).toEqual({
      id: 'dataset-version:t1/demand/v3',
      type: 'dataset-version',
      tenant: 't1',
      path: 'demand/v3',
    });
    expect(() => parseNode('model:t1/x')).toThrow(/not a lineage node id/);
  });
});

describe('toMermaid', () => {
  it('draws nodes with safe ids and labels, the root highlighted, edges labelled by type', () => {
    // Prepare
    const graph: LineageGraph = {
      root: 'model-version:t1/risk@1.0.0',
      direction: 'up',
      nodes: [
        { id: 'model-version:t1/risk@1.0.0', type: 'model-version', name: 'risk@1.0.0', depth: 0 },
        { id: 'dataset-version:t1/a"b/v1', type: 'dataset-version', name: 'a"b/v1', depth: 1 },
      ],
      edges: [{ from: 'dataset-version:t1/a"b/v1', to: 'model-version:t1/risk@1.0.0', type: 'trained_on' }],
      truncated: false,
    };

    // Act
    const text = toMermaid(graph);

    // Assess
    expect(text).toBe(
      'flowchart LR\n  n0[["model-version: risk@1.0.0"]]\n  n1["dataset-version: a#quot;b/v1"]\n  n1 -->|trained_on| n0\n',
    );
  });
});
