/**
 * The vacuum record of a dataset's table (`_strata/vacuum.json` under its root) as readers meet it: one
 * small GET tells whether a Delta version's data files are still there. Readers of a named version call
 * `checkReadable` beside loading its snapshot; the latest version is always readable.
 */
import { isVersionReadable, parseVacuumRecord, type VacuumRecord } from '../../domain/delta/vacuum.js';
import { datasetTableVacuumKey } from '../../domain/object-key.js';
import { VersionVacuumedError } from '../../errors.js';
import type { ObjectStore } from '../../ports.js';

export async function readVacuumRecord(
  store: Pick<ObjectStore, 'getJson'>,
  tenant: string,
  dataset: string,
): Promise<VacuumRecord | undefined> {
  return parseVacuumRecord(await store.getJson(datasetTableVacuumKey(tenant, dataset)));
}

/**
 * Throws VersionVacuumedError (410) when vacuum deleted data files that Delta version `deltaVersion` of
 * the dataset's table reads. `version` is the dataset version asked for, for the message.
 */
export async function checkReadable(
  store: Pick<ObjectStore, 'getJson'>,
  at: { tenant: string; dataset: string; deltaVersion: number; version?: number | undefined },
): Promise<void> {
  const record = await readVacuumRecord(store, at.tenant, at.dataset);
  if (record && !isVersionReadable(record, at.deltaVersion)) {
    throw new VersionVacuumedError(
      at.dataset,
      at.version,
      at.deltaVersion,
      record.oldestReadableVersion,
      record.retentionDays,
    );
  }
}
