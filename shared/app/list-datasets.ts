import type { MetadataStore } from '../ports.js';

export interface ListDatasetsDeps {
  metadata: MetadataStore;
}

export async function listDatasets(
  deps: ListDatasetsDeps,
  tenant: string,
  page: { limit: number; cursor?: string },
) {
  const result = await deps.metadata.listDatasets(tenant, page);
  return { datasets: result.items, nextCursor: result.cursor };
}
