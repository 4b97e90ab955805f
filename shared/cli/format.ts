/**
 * Human output of the CLI: tables (cli-table3, no colours so the output pipes cleanly) and the few
 * number formats they use. Pure: every function returns a string.
 */
import Table from 'cli-table3';
import type { CleanupResult } from '../app/lifecycle/retention.js';
import type { FeaturePage } from '../client/feature-store.js';
import type {
  ConnectorRunList,
  ConnectorView,
  ConsumeAnswer,
  DriftDocument,
  TrainingSetCreated,
  VersionList,
} from '../client/strata.js';
import type { ConnectorRunRecord, WatermarkState } from '../domain/connector-runs.js';
import type { ConnectorConfig, Watermark } from '../domain/connectors.js';
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
  // Reports stored before exclusions existed have no list.
  const excluded = r.excludedColumns ?? [];
  if (excluded.length > 0) {
    const named = excluded.map(
      (e) => `${e.column} (${e.reason}, ${e.source === 'settings' ? 'drift settings' : 'inferred'})`,
    );
    lines.push(`not compared: ${named.join(', ')}`);
  }
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

// ---- connectors ---------------------------------------------------------------------------------------

/** `850 ms`, `12.3 s`, `4 min 05 s`, `1 h 02 min`; `-` when absent. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A fraction as a percentage with at most two decimals: `0%`, `2.5%`, `0.33%`. */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** `every 15 min`, `every 2 h`, `every 1 d`. */
export function formatEvery(minutes: number): string {
  if (minutes % 1440 === 0) return `every ${minutes / 1440} d`;
  if (minutes % 60 === 0) return `every ${minutes / 60} h`;
  return `every ${minutes} min`;
}

function watermarkText(value: Watermark | WatermarkState | null | undefined): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'object' ? String(value.value) : String(value);
}

const SECRET_LIKE = /key|token|secret|passw|signature|auth|credential/i;

/**
 * A source URL for display: without user info, and with the values of query parameters that look like
 * credentials elided (secrets belong in `auth.secretName`, but a URL may still carry one).
 */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  parsed.username = '';
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_LIKE.test(name)) parsed.searchParams.set(name, '…');
  }
  return parsed.toString().replace(/%E2%80%A6/g, '…');
}

/** One line per source: where it reads from and how; secrets by name only (the settings hold no other). */
export function sourceSummary(source: ConnectorConfig): string {
  switch (source.type) {
    case 'database':
      return [
        `${source.engine} ${source.table === undefined ? 'query' : `table ${source.table}`}`,
        `credentials from secret ${source.secretName}`,
      ].join(', ');
    case 'rest': {
      const p = source.pagination;
      const paging =
        p.style === 'page'
          ? `page pagination (${p.param} from ${p.firstPage}${p.sizeParam ? `, ${p.sizeParam}=${p.pageSize}` : ''})`
          : p.style === 'offset'
            ? `offset pagination (${p.offsetParam}, ${p.limitParam}=${p.limit})`
            : p.style === 'cursor'
              ? `cursor pagination (${p.param} from ${p.cursorPath})`
              : p.style === 'link'
                ? 'Link header pagination'
                : 'one request';
      return [
        `GET ${displayUrl(source.url)}`,
        paging,
        `records at ${source.recordsPath}`,
        source.auth ? `${source.auth.header} from secret ${source.auth.secretName}` : '',
        source.watermarkParam ? `watermark sent as ${source.watermarkParam}` : '',
        `≤ ${source.rateLimitPerSecond} requests/s`,
      ]
        .filter(Boolean)
        .join(', ');
    }
    case 's3':
      return [
        `s3://${source.bucket}/${source.prefix}`,
        source.endpoint ? `endpoint ${displayUrl(source.endpoint)}` : '',
        source.region ? `region ${source.region}` : '',
        `credentials from secret ${source.secretName}`,
      ]
        .filter(Boolean)
        .join(', ');
  }
}

function countsText(counts: ConnectorRunRecord['counts']): string {
  return `${counts.read} read, ${counts.written} written, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/** The connector's settings and state (`connector set` and `connector show`). */
export function formatConnector(view: ConnectorView): string {
  const source = view.source;
  const rows: Array<[string, string | number]> = [
    ['source', sourceSummary(source)],
    [
      'incremental',
      source.incrementalField === undefined
        ? 'none: every run reads the whole source'
        : `by ${source.incrementalField}`,
    ],
    ['batch size', source.batchSize],
  ];
  if (source.type !== 's3') {
    const mapping = Object.entries(source.columnMapping ?? {}).map(([from, to]) => `${from}→${to}`);
    const columns = [
      mapping.length > 0 ? `mapped ${mapping.join(', ')}` : '',
      source.requiredColumns.length > 0 ? `required ${source.requiredColumns.join(', ')}` : '',
      source.criticalColumns.length > 0 ? `critical ${source.criticalColumns.join(', ')}` : '',
    ].filter(Boolean);
    if (columns.length > 0) rows.push(['columns', columns.join('; ')]);
  }
  rows.push(
    ['schedule', formatEvery(view.scheduleMinutes)],
    ['enabled', view.enabled ? 'yes' : 'no (runs only when started: strata connector run)'],
    [
      'watermark',
      view.watermark === null ? '- (the next run reads from the start)' : watermarkText(view.watermark),
    ],
    ['next run', view.nextRunAt === null ? '-' : formatTime(view.nextRunAt)],
    ['running', view.running ?? '-'],
    ['failures', `${view.consecutiveFailures} in a row`],
  );
  const last = view.lastRun;
  if (last) {
    rows.push([
      'last run',
      `${last.runId} ${last.status}${last.more ? ' (more to pull)' : ''} at ${formatTime(last.startedAt)}: ${countsText(last.counts)}`,
    ]);
    if (last.error) rows.push(['last error', `${last.error.name}: ${last.error.message}`]);
  } else rows.push(['last run', '- (none yet)']);
  rows.push(['updated', formatTime(view.updatedAt)]);
  return `connector of ${view.dataset}: ${source.type}\n${keyValues(rows)}`;
}

/** One run's record: outcome, counts, the watermark it moved, its error. */
export function formatConnectorRun(run: ConnectorRunRecord): string {
  const rows: Array<[string, string | number]> = [
    [
      'status',
      `${run.status}${run.more ? ' (stopped at its time budget with more to pull: the next run starts at once)' : ''}`,
    ],
    ['records', countsText(run.counts)],
    [
      'written',
      `${run.counts.files} ${run.counts.files === 1 ? 'file' : 'files'}, ${formatBytes(run.counts.bytes)}`,
    ],
    ['duration', formatDuration(run.durationMs)],
    ['error rate', formatPercent(run.errorRate)],
    ['watermark', `${watermarkText(run.watermarkBefore)} → ${watermarkText(run.watermarkAfter)}`],
    ['started', `${formatTime(run.startedAt)} (${run.trigger})`],
  ];
  if (run.recovered && run.recovered.length > 0) {
    rows.push(['recovered', `${run.recovered.length} file(s) a previous run had written`]);
  }
  if (run.error) rows.push(['error', `${run.error.name}: ${run.error.message}`]);
  return `connector run ${run.runId} of ${run.dataset} (${run.sourceType})\n${keyValues(rows)}`;
}

export function formatConnectorRuns(dataset: string, list: ConnectorRunList): string {
  if (list.runs.length === 0)
    return `no runs of the ${dataset} connector yet (strata connector run ${dataset})`;
  return table(
    ['RUN', 'TRIGGER', 'STATUS', 'READ', 'WRITTEN', 'FAILED', 'BYTES', 'DURATION', 'STARTED'],
    list.runs.map((r) => [
      r.runId,
      r.trigger,
      `${r.status}${r.error ? ` (${r.error.name})` : ''}`,
      r.counts.read,
      r.counts.written,
      r.counts.failed,
      formatBytes(r.counts.bytes),
      formatDuration(r.durationMs),
      formatTime(r.startedAt),
    ]),
  );
}
