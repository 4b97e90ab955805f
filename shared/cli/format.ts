/**
 * Human output of the CLI: tables (cli-table3, no colours so the output pipes cleanly) and the few
 * number formats they use. Pure: every function returns a string.
 */
import Table from 'cli-table3';
import type { CleanupResult } from '../app/retention.js';
import type { FeaturePage } from '../client/feature-store.js';
import type { ConsumeAnswer, DriftDocument, TrainingSetCreated, VersionList } from '../client/strata.js';
import type { DatasetSummary } from '../domain/dataset.js';
import type { ColumnDrift } from '../domain/drift/report.js';
import type { LineageGraph } from '../domain/lineage.js';
import type { CellValue } from '../domain/table.js';
import type { IngestResult } from './ingest.js';

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return t.toString();
}

/** `key   value` lines, the keys padded to one width. */
export function keyValues(rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units (kB = 1000 B), as the README measures. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '-';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** A statistic: `-` when absent, fixed digits in a readable range, exponent notation outside it. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 10 ** -digits || abs >= 1e6) return value.toExponential(2);
  return value.toFixed(digits);
}

/** `2026-11-24T21:03:07.123Z` → `2026-11-24 21:03:07Z`. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatDatasets(datasets: DatasetSummary[]): string {
  if (datasets.length === 0) return 'no datasets yet (strata ingest <file> --dataset <name>)';
  return table(
    ['DATASET', 'FILES', 'DUPLICATES', 'SIZE', 'UPDATED'],
    datasets.map((d) => [
      d.dataset,
      d.fileCount,
      d.duplicateCount,
      formatBytes(d.bytes),
      formatTime(d.updatedAt),
    ]),
  );
}

export function formatVersions(list: VersionList): string {
  if (list.versions.length === 0)
    return `dataset ${list.dataset} has no versions${list.tag ? ` tagged ${list.tag}` : ''}`;
  const body = table(
    ['VERSION', 'STATUS', 'ROWS', 'COLUMNS', 'DRIFT', 'QUALITY', 'TAGS', 'CREATED'],
    list.versions.map((v) => [
      `${v.version}${v.version === list.currentVersion ? ' *' : ''}`,
      v.status,
      v.rowCount,
      v.schema?.columns.length ?? '-',
      v.drift
        ? v.drift.status === 'NO_REFERENCE'
          ? 'no reference'
          : `${v.drift.severity} vs v${v.drift.referenceVersion}`
        : '-',
      v.quality ? `${v.quality.status} (${Number(v.quality.score.toFixed(1))})` : '-',
      v.tags?.join(', ') ?? '',
      formatTime(v.createdAt),
    ]),
  );
  return `${body}\n* current version${list.currentVersion === undefined ? ' (none yet)' : ''}`;
}

/** One row per column: the statistics that set its severity. */
export function driftRows(columns: ColumnDrift[]): Array<Array<string | number>> {
  return columns.map((c) => {
    if (c.kind === 'skipped') return [c.column, c.type, c.severity, '-', '-', '-', '-', '-', c.reason];
    if (c.kind === 'numeric') {
      return [
        c.column,
        c.type,
        c.severity,
        formatNumber(c.psi),
        formatNumber(c.ks.statistic),
        formatNumber(c.ks.pValue),
        formatNumber(c.jsDivergence),
        formatNumber(c.meanShiftSd, 2),
        c.sampled ? 'sampled' : '',
      ];
    }
    const notes = [
      c.newCategoryCount > 0
        ? `${c.newCategoryCount} new (${formatNumber(c.newCategoryFraction * 100, 1)}% rows)`
        : '',
      c.missingCategoryCount > 0 ? `${c.missingCategoryCount} missing` : '',
      `χ² p ${formatNumber(c.chiSquare.pValue)}`,
    ].filter(Boolean);
    return [
      c.column,
      c.type,
      c.severity,
      formatNumber(c.psi),
      '-',
      '-',
      formatNumber(c.jsDivergence),
      '-',
      notes.join(', '),
    ];
  });
}

export function formatDrift(doc: DriftDocument): string {
  const r = doc.report;
  const against = r.reference
    ? `against v${r.reference.version}${r.reference.pinned ? ' (pinned)' : ''}`
    : '';
  const lines = [`${doc.dataset} v${doc.version} (${doc.status}) ${against}`.trimEnd()];
  if (r.status === 'NO_REFERENCE') {
    lines.push("no reference version (the dataset's first version): nothing was compared");
    return lines.join('\n');
  }
  const counts = Object.entries(r.severityCounts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  lines.push(
    `severity ${r.severity}${counts ? ` (columns: ${counts})` : ''}; rows ${r.reference?.rows ?? '-'} → ${r.current.rows}`,
  );
  if (doc.hold) lines.push(`HELD: ${doc.hold.reasons.join('; ')}`);
  lines.push(
    table(
      ['COLUMN', 'TYPE', 'SEVERITY', 'PSI', 'KS D', 'KS p', 'JS (bits)', 'MEAN Δσ', 'NOTE'],
      driftRows(r.columns),
    ),
  );
  for (const hint of r.driftTypes) lines.push(`${hint.type}: ${hint.message}`);
  if (r.performance) {
    const p = r.performance;
    lines.push(
      `performance (${p.metric}): ${formatNumber(p.reference)} → ${formatNumber(p.current)}${p.degraded ? ' DEGRADED' : ''}`,
    );
  }
  for (const rec of r.recommendations) lines.push(`→ ${rec.code}: ${rec.message}`);
  return lines.join('\n');
}

export function formatIngest(results: IngestResult[]): string {
  return table(
    ['FILE', 'DATASET', 'RESULT', 'VERSION', 'DETAIL'],
    results.map((r) => [r.file, r.dataset, r.outcome, r.version ?? '-', ingestDetail(r)]),
  );
}

export function ingestDetail(r: IngestResult): string {
  switch (r.outcome) {
    case 'VERSIONED':
      return versionFacts(r);
    case 'HELD':
      return `HELD by a gate: ${(r.holdReasons ?? []).join('; ') || 'no reason recorded'}${versionFacts(r) ? `; ${versionFacts(r)}` : ''}`;
    case 'DUPLICATE':
      return `same content as ${r.duplicateOf ?? 'an earlier file of the dataset'}: no new version`;
    case 'QUARANTINED':
      return r.failure ? `at ${r.failure.stage}: ${r.failure.name}: ${r.failure.message}` : 'quarantined';
    case 'UPLOADED':
      return `run ${r.runId ?? '?'} started (not waited for)`;
    case 'TIMEOUT':
      return `still running after the timeout (run ${r.runId ?? '?'})`;
    case 'ERROR':
      return r.error ?? 'failed';
  }
}

function versionFacts(r: IngestResult): string {
  return [
    r.rows === undefined ? '' : `${r.rows} rows`,
    r.driftSeverity ? `drift ${r.driftSeverity}` : '',
    r.qualityStatus ? `quality ${r.qualityStatus}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

export function formatTrainingSet(set: TrainingSetCreated): string {
  const rows: Array<[string, string | number]> = [
    ['training set', set.id],
    ['selection', set.selection === 'fresh' ? 'fresh files' : 'sample files (nothing fresh matched)'],
    ['files', set.totals.files],
    ['rows', set.totals.rows],
    ['bytes', formatBytes(set.totals.bytes)],
    ['manifest', set.manifestUri],
  ];
  if (set.combinedUri) rows.push(['combined', set.combinedUri]);
  return `${keyValues(rows)}\nconsume it: strata consume ${set.id} --job <job id>`;
}

export function formatConsume(answer: ConsumeAnswer): string {
  const lines = [
    `training set ${answer.trainingSetId}, job ${answer.jobId}${answer.replayed ? ' (already consumed: the stored answer)' : ''}`,
    `${answer.files} files: ${answer.counted.length} counted, ${answer.countedBefore.length} used by this job before, ${answer.skipped.length} skipped`,
  ];
  if (answer.moved.length > 0) {
    lines.push(
      table(
        ['FILE', 'FROM', 'TO'],
        answer.moved.map((m) => [m.fileId, m.from, m.to]),
      ),
    );
  }
  for (const s of answer.skipped)
    lines.push(`skipped ${s.fileId}: ${s.reason}${s.status ? ` (${s.status})` : ''}`);
  if (!answer.complete) {
    lines.push(
      `moves pending for ${answer.pendingMoves.length} files: finished by the next call or the daily scheduler`,
    );
  }
  return lines.join('\n');
}

export function formatLineage(graph: LineageGraph): string {
  const name = new Map(graph.nodes.map((n) => [n.id, `${n.type}/${n.name}`]));
  const lines = [
    table(
      ['DEPTH', 'NODE'],
      [...graph.nodes].sort((a, b) => a.depth - b.depth).map((n) => [n.depth, `${n.type}/${n.name}`]),
    ),
  ];
  if (graph.edges.length > 0) {
    lines.push(
      table(
        ['FROM', 'EDGE', 'TO'],
        graph.edges.map((e) => [name.get(e.from) ?? e.from, e.type, name.get(e.to) ?? e.to]),
      ),
    );
  } else lines.push('no edges');
  if (graph.truncated) lines.push('(truncated at the node limit: lower --depth or start from a closer node)');
  return lines.join('\n');
}

export function formatCleanup(result: CleanupResult): string {
  const lines = [
    `${result.dryRun ? 'DRY RUN, nothing changed (--apply to do it). ' : ''}Policy: days_old ${result.policy.daysOld}, grace ${result.policy.graceDays} days`,
    `deprecates USED/ARCHIVED files uploaded before ${formatTime(result.cutoffs.deprecateUploadedBefore)}; deletes files deprecated before ${formatTime(result.cutoffs.deleteDeprecatedBefore)}`,
  ];
  if (result.deprecated.length > 0) {
    lines.push(
      table(
        ['DEPRECATE', 'FROM', 'UPLOADED', 'SIZE'],
        result.deprecated.map((d) => [d.key, d.from, formatTime(d.uploadedAt), formatBytes(d.size)]),
      ),
    );
  }
  if (result.deleted.length > 0) {
    lines.push(
      table(
        ['DELETE', 'SIZE'],
        result.deleted.map((d) => [d.key, formatBytes(d.size)]),
      ),
    );
  }
  for (const s of result.skipped) lines.push(`skipped ${s.fileId}: ${s.reason}`);
  const t = result.totals;
  const freed = formatBytes(t.bytesDeleted);
  lines.push(
    result.dryRun
      ? `would deprecate ${t.deprecated}, would delete ${t.deleted} (${freed}), skipped ${t.skipped}`
      : `deprecated ${t.deprecated}, deleted ${t.deleted} (${freed}), skipped ${t.skipped}`,
  );
  if (result.truncated) lines.push('(truncated: run it again for the rest)');
  return lines.join('\n');
}

export function formatFeatures(page: FeaturePage): string {
  const header = `feature ${page.metadata.name}@${page.version} (${page.metadata.rowCount} rows)`;
  if (page.features.length === 0) return `${header}: no rows`;
  const columns = [...new Set(page.features.flatMap((row) => Object.keys(row)))];
  const body = table(
    columns,
    page.features.map((row) => columns.map((c) => formatCell(row[c]))),
  );
  const more = page.nextCursor ? `\nmore rows: --cursor ${page.nextCursor}` : '';
  return `${header}\n${body}${more}`;
}

export function formatCell(value: CellValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
  return String(value);
}
