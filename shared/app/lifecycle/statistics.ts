/**
 * `GET /statistics`: counts and bytes by status, data type and dataset, and the total usage, computed
 * from the tenant's file records.
 *
 * Cost: one Query over every file item of the tenant per call. The projection only shrinks the response;
 * DynamoDB charges by the size of the items read (about 1–2 KB each, more as usage history grows), so
 * 1M files are ~250k read units and tens of seconds, past the API's 30 s. At that scale the statistics
 * would be counters kept per tenant (status × type × dataset) updated in the same transactions that
 * register, move, deprecate and delete files, or by a DynamoDB Streams consumer, and this call would read
 * one item.
 */
import { type FileStatistics, StatisticsAccumulator } from '../../domain/statistics.js';
import type { LifecycleStore } from '../../ports.js';

export async function getStatistics(
  deps: { lifecycle: Pick<LifecycleStore, 'fileFacts'> },
  tenant: string,
): Promise<FileStatistics> {
  const statistics = new StatisticsAccumulator();
  for await (const file of deps.lifecycle.fileFacts(tenant)) statistics.add(file);
  return statistics.result();
}
