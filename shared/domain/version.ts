/**
 * Dataset versions and where their artifacts live. A version is immutable once READY: its Parquet
 * snapshot, schema and profile never change; only tags, description and the dataset's "current" pointer
 * move.
 */
import type { WriteMode } from './delta/writes.js';
import { SEVERITIES as SEVERITY_ORDER, type Severity } from './drift/severity.js';
import { node } from './lineage.js';
import { QUALITY_STATUSES as QUALITY_ORDER, type QualityStatus } from './quality/types.js';
import type { TableSchema } from './table.js';

/** PENDING: number allocated, snapshot being written. READY: complete. HELD: complete but not promoted. */
export const VERSION_STATUSES = ['PENDING', 'READY', 'HELD'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface VersionRecord {
  tenant: string;
  dataset: string;
  version: number;
  status: VersionStatus;
  /** SHA-256 of the canonical Parquet snapshot. */
  contentHash: string;
  /** SHA-256 of the source file the version was made from. */
  sourceSha256: string;
  sourceFileId: string;
  sourceKey: string;
  rowCount: number;
  schema: TableSchema;
  /** The dataset's current version when this one was committed (its parent), if any. */
  parentVersion?: number | undefined;
  profileKey: string;
  validationReportKey: string;
  validationStatus: 'PASSED' | 'WARNING';
  /** Labels people put on the version (`PATCH …/versions/{v}`); see domain/version-tags.ts. */
  tags: string[];
  /** Free text a person wrote about the version (≤ 2000 characters). */
  description?: string | undefined;
  createdAt: string;
  /** The quality stage's verdict and report (versions made before that stage existed have none). */
  quality?: { status: QualityStatus; score: number; reportKey: string; htmlKey: string } | undefined;
  /** The drift stage's verdict and report, against `referenceVersion` when there was one. */
  drift?:
    | {
        status: 'COMPARED' | 'NO_REFERENCE';
        severity: Severity;
        referenceVersion?: number | undefined;
        reportKey: string;
        htmlKey: string;
      }
    | undefined;
  /** Why a gate held the version (status HELD). */
  hold?: { reasons: string[]; at: string } | undefined;
  /** Lineage the source file declared: the model that produced these rows, the version it scored. */
  links?:
    | { model?: { name: string; version: string }; input?: { dataset: string; version: number } }
    | undefined;
  /** A person's decision to make the version current despite a hold. */
  promotion?: { reason: string; at: string; previousCurrent?: number | undefined } | undefined;
  /** The version's place in the dataset's Delta table (versions made before datasets were tables have none). */
  table?: VersionTable | undefined;
}

/**
 * Where a version's rows are in the dataset's Delta table (`tables/<tenant>/<dataset>/`), and what its
 * commit did. A READY version's file was committed by Delta version `version` through the dataset's write
 * mode; a HELD version's data file waits under `_staged/` (in no commit, so no reader of the table sees
 * it) and has no `version` until a person promotes it. The totals are the table's at that Delta version,
 * from the log's per-file statistics (no data read); absent while staged, or when a file of the table
 * carries no row count.
 */
export interface VersionTable {
  version?: number | undefined;
  /**
   * The first data file the commit added for the file: `part-<fileId>.parquet` (its data as staged), or a
   * file of its rows written anew (`part-<fileId>-v<N>.parquet`: rows left after dedup, widened columns),
   * or `_staged/part-<fileId>.parquet` while held. A file staged in chunks and added as they are names its
   * first chunk's file (`part-<fileId>-c00000.parquet`), and `chunkCount` says how many there are.
   */
  dataFile: string;
  /**
   * When the file's rows are its chunk files as staged (more than one): how many
   * (`part-<fileId>-c<iiiii>.parquet`, under `_staged/` while held), all added by one commit. Absent: the
   * file's rows are in `dataFile` alone. Kept on the record rather than found by listing `_staged/` so
   * that a promotion commits exactly the files the version stage staged, with no listing (and no listing
   * grant) in between.
   */
  chunkCount?: number | undefined;
  /** Rows that joined the table (all the file's rows while staged). */
  rowsAdded: number;
  /** The write mode the commit used (absent while staged, and on versions made before modes existed). */
  mode?: WriteMode | undefined;
  filesAdded?: number | undefined;
  filesRemoved?: number | undefined;
  /** Rows an overwrite took out of the table. */
  rowsRemoved?: number | undefined;
  /** Rows an upsert replaced. */
  rowsUpdated?: number | undefined;
  /** Rows of the file an append with dedup keys left out, their key being in the table already. */
  rowsDuplicate?: number | undefined;
  /** Unchanged rows an upsert copied into rewritten files. */
  rowsCopied?: number | undefined;
  rowsTotal?: number | undefined;
  filesTotal?: number | undefined;
  /** The profile of the whole table at `version` (merged on append, recomputed when rows left it). */
  profileKey?: string | undefined;
}

/** Lineage node ids (see domain/lineage.ts). */
export const lineageNode = node;

/** The edges a new dataset version gets beyond file → version: what its source file declared. */
export function declaredEdges(
  tenant: string,
  record: Pick<VersionRecord, 'dataset' | 'version' | 'links'>,
): Array<{ from: string; to: string; type: 'derived_from' | 'scored_by' }> {
  const to = lineageNode.datasetVersion(tenant, record.dataset, record.version);
  const edges: Array<{ from: string; to: string; type: 'derived_from' | 'scored_by' }> = [];
  const { input, model } = record.links ?? {};
  if (input)
    edges.push({
      from: lineageNode.datasetVersion(tenant, input.dataset, input.version),
      to,
      type: 'derived_from',
    });
  if (model)
    edges.push({ from: lineageNode.modelVersion(tenant, model.name, model.version), to, type: 'scored_by' });
  return edges;
}

/** Whether a version committed now becomes the dataset's current one (later versions win). */
export function shouldPromote(current: number | undefined, candidate: number): boolean {
  return current === undefined || candidate > current;
}

export interface GateSettings {
  driftGate?: Severity | undefined;
  qualityGate?: QualityStatus | undefined;
}

export interface GateVerdict {
  hold: boolean;
  /** One sentence per breached gate, for the version record and the API. */
  reasons: string[];
}

/**
 * Whether a finished version is held back from promotion: its drift severity is above the dataset's
 * `driftGate`, or its quality status below the `qualityGate`. Gates that are not set never hold.
 */
export function evaluateGates(
  gates: GateSettings,
  verdicts: { driftSeverity: Severity; qualityStatus: QualityStatus },
): GateVerdict {
  const reasons: string[] = [];
  if (
    gates.driftGate &&
    SEVERITY_ORDER.indexOf(verdicts.driftSeverity) > SEVERITY_ORDER.indexOf(gates.driftGate)
  ) {
    reasons.push(`drift severity ${verdicts.driftSeverity} is above the drift gate ${gates.driftGate}`);
  }
  if (
    gates.qualityGate &&
    QUALITY_ORDER.indexOf(verdicts.qualityStatus) < QUALITY_ORDER.indexOf(gates.qualityGate)
  ) {
    reasons.push(`quality status ${verdicts.qualityStatus} is below the quality gate ${gates.qualityGate}`);
  }
  return { hold: reasons.length > 0, reasons };
}
