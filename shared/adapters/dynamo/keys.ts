/**
 * The key layout of every DynamoDB table: each partition key, sort key, GSI key and prefix an adapter
 * writes or queries is built here, so the whole layout reads in one file (and matches the README's data
 * model). Tables have keys `pk`/`sk`; the metadata table has GSIs `gsi1` and `gsi2`, the versions and
 * lineage tables `gsi1`.
 */
import { semverSortKey } from '../../domain/feature-store.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { RunStatus } from '../../domain/run.js';
import type { OnlineFeatureSet } from '../../ports.js';

// ---------------------------------------------------------------- metadata table

/**
 * Files, datasets, content-hash claims, API keys and training sets:
 *
 * | item         | pk                     | sk               | gsi1 (by status)                | gsi2 (by dataset)          |
 * |--------------|------------------------|------------------|---------------------------------|----------------------------|
 * | dataset      | T#<tenant>             | DS#<dataset>     |                                 |                            |
 * | file         | T#<tenant>             | FILE#<fileId>    | T#<tenant>#S#<status>, <at>#id  | T#<tenant>#DS#<ds>, <at>#id |
 * | hash claim   | T#<tenant>#DS#<ds>     | HASH#<sha256>    |                                 |                            |
 * | API key      | KEY#<sha256 of key>    | KEY              |                                 |                            |
 * | training set | T#<tenant>             | TS#<id>          |                                 |                            |
 * | table writer | T#<tenant>             | WRITER#<dataset> |                                 |                            |
 *
 * Every tenant's partition key starts with `T#`: the functions that write tenant data may write only
 * those partitions (the IAM condition on `dynamodb:LeadingKeys`).
 */
export const keys = {
  tenant: (tenant: string) => `T#${tenant}`,
  dataset: (dataset: string) => `DS#${dataset}`,
  file: (fileId: string) => `FILE#${fileId}`,
  /** gsi1sk and gsi2sk of a file: newest first in a reverse query. */
  fileSort: (uploadedAt: string, fileId: string) => `${uploadedAt}#${fileId}`,
  byStatus: (tenant: string, status: string) => `T#${tenant}#S#${status}`,
  byDataset: (tenant: string, dataset: string) => `T#${tenant}#DS#${dataset}`,
  hash: (sha256: string) => `HASH#${sha256}`,
  apiKey: (keyHash: string) => `KEY#${keyHash}`,
  apiKeySort: 'KEY',
  trainingSet: (id: string) => `TS#${id}`,
  /** The lease of a dataset's table writer (see TableWriterLeases). */
  writer: (dataset: string) => `WRITER#${dataset}`,
};

/** The content-hash claim of a file: one per (dataset, content), held by the file that stands for it. */
export function claimKey(file: Pick<FileRecord, 'tenant' | 'dataset' | 'sha256'>) {
  return { pk: keys.byDataset(file.tenant, file.dataset), sk: keys.hash(file.sha256) };
}

/**
 * The lifecycle's items:
 *
 * | item              | pk         | sk                          | gsi1                                    |
 * |-------------------|------------|-----------------------------|-----------------------------------------|
 * | move marker       | T#<tenant> | MOVE#<fileId>               | `MOVES`, `<createdAt>#<tenant>#<fileId>` |
 * | retention policy  | T#<tenant> | POLICY#retention            | `RETENTION_POLICIES`, `<tenant>`        |
 * | consumption claim | T#<tenant> | CONSUME#<trainingSet>#<job> |                                         |
 * | key claim         | T#<tenant> | OBJECT#<key>                |                                         |
 *
 * Markers and policies share gsi1 with the by-status listing of files under partition keys no tenant's
 * status key can take (those start with `T#`): the repair pass reads every pending move in one query, the
 * scheduler every tenant with a policy. Both partitions stay small (a marker lives for one move).
 *
 * A key claim makes a used/ or archived/ key one file's for good: two files that would move to the same
 * key (two uploads to one fresh/ key) cannot both copy there, whatever S3 does with concurrent copies.
 */
export const lifecycleKeys = {
  move: (fileId: string) => `MOVE#${fileId}`,
  movesIndex: 'MOVES',
  moveSort: (createdAt: string, tenant: string, fileId: string) => `${createdAt}#${tenant}#${fileId}`,
  policy: 'POLICY#retention',
  policiesIndex: 'RETENTION_POLICIES',
  claim: (trainingSetId: string, jobId: string) => `CONSUME#${trainingSetId}#${jobId}`,
  object: (key: string) => `OBJECT#${key}`,
};

/**
 * Pipeline runs. Each run is its own item collection (the header and one item per stage attempt, read
 * together by one Query); the two GSIs list a dataset's runs newest first, all of them or by status:
 *
 * | item          | pk                     | sk                          | gsi1 (by status)                          | gsi2 (by dataset)          |
 * |---------------|------------------------|-----------------------------|-------------------------------------------|----------------------------|
 * | run           | T#<tenant>#RUN#<runId> | RUN                         | T#<tenant>#RUNS#DS#<ds>#S#<status>, <startedAt>#<runId> | T#<tenant>#RUNS#DS#<ds>, <startedAt>#<runId> |
 * | stage attempt | T#<tenant>#RUN#<runId> | ATTEMPT#<stage>#<attempt:4> |                                           |                            |
 *
 * The GSI partition keys carry `RUNS`, so no query of files (`T#<tenant>#DS#<ds>`, `T#<tenant>#S#<status>`)
 * ever meets a run.
 */
export const runKeys = {
  run: (tenant: string, runId: string) => `T#${tenant}#RUN#${runId}`,
  header: 'RUN',
  attempt: (stage: string, attempt: number) => `ATTEMPT#${stage}#${String(attempt).padStart(4, '0')}`,
  byDataset: (tenant: string, dataset: string) => `T#${tenant}#RUNS#DS#${dataset}`,
  byStatus: (tenant: string, dataset: string, status: RunStatus) =>
    `T#${tenant}#RUNS#DS#${dataset}#S#${status}`,
  sort: (startedAt: string, runId: string) => `${startedAt}#${runId}`,
};

/**
 * Connectors: one item per (tenant, dataset) holding settings and pull state, the dataset's connector runs
 * beside it in the same item collection (newest first by their time-sortable id). Enabled connectors sit in
 * one GSI partition ordered by next run, so the scheduler finds what is due with one Query across tenants.
 *
 * | item      | pk                               | sk            | gsi1                                           |
 * |-----------|----------------------------------|---------------|------------------------------------------------|
 * | connector | T#<tenant>#CONNECTOR#<dataset>   | CONNECTOR     | CONNECTORS#DUE, <nextRunAt>#<tenant>#<dataset> |
 * | run       | T#<tenant>#CONNECTOR#<dataset>   | RUN#<runId>   |                                                |
 */
export const connectorKeys = {
  pk: (tenant: string, dataset: string) => `T#${tenant}#CONNECTOR#${dataset}`,
  header: 'CONNECTOR',
  run: (runId: string) => `RUN#${runId}`,
  due: 'CONNECTORS#DUE',
  dueSort: (nextRunAt: string, tenant: string, dataset: string) => `${nextRunAt}#${tenant}#${dataset}`,
};

/**
 * Model versions: `pk = T#<tenant>`, `sk = MODEL#<name>@<version>` for the record and one
 * `…#LINK#<node>` item per linked input, so a link, the record and the `trained_on` edge are written in
 * one transaction and re-linking the same input changes nothing.
 */
const modelSk = (model: string, version: string) => `MODEL#${model}@${version}`;
/** `#` ends the version part, so `m@1.0.0#LINK#…` never sorts under `m@1.0.0x`. */
const linkPrefix = (model: string, version: string) => `${modelSk(model, version)}#LINK#`;
export const modelKeys = {
  version: modelSk,
  link: (model: string, version: string, node: string) => `${linkPrefix(model, version)}${node}`,
  linkPrefix,
};

// ---------------------------------------------------------------- versions table

/**
 * `pk = T#<tenant>#DS#<dataset>`, `sk = V#<10-digit version>` (sorts numerically). A wide schema is
 * stored compressed (packed-json.ts), so that the record fits an item.
 *
 * Tag index, in the same table: one item per (tag, version), `pk = T#<tenant>#DS#<dataset>#TAG#<tag>`,
 * `sk = V#<10-digit version>`, written in the same transaction as the version's `tags`. Listing a tag
 * reads only its own partition (newest first), then the records themselves with BatchGetItem.
 */
export const versionKeys = {
  dataset: (tenant: string, dataset: string) => keys.byDataset(tenant, dataset),
  version: (version: number) => `V#${String(version).padStart(10, '0')}`,
  versionPrefix: 'V#',
  tag: (tenant: string, dataset: string, tag: string) => `${keys.byDataset(tenant, dataset)}#TAG#${tag}`,
};

// ---------------------------------------------------------------- lineage table

/**
 * One item per edge: `pk = <from>`, `sk = OUT#<type>#<to>`, and `gsi1pk = <to>`, `gsi1sk = IN#<type>#<from>`,
 * so "what came out of X" is a query on the table and "what went into X" a query on gsi1. Nodes are
 * domain/lineage.ts's ids (`<type>:<tenant>/<path>`).
 */
export const lineageKeys = {
  out: (type: string, to: string) => `OUT#${type}#${to}`,
  outPrefix: 'OUT#',
  in: (type: string, from: string) => `IN#${type}#${from}`,
  inPrefix: 'IN#',
};

// ---------------------------------------------------------------- features and online features tables

/**
 * Features table: `pk = T#<tenant>#FS#<name>`, `sk = V#<zero-padded semver>`, so a reverse query with
 * Limit 1 is the latest version.
 */
export const featureKeys = {
  feature: (tenant: string, name: string) => `T#${tenant}#FS#${name}`,
  version: (version: string) => `V#${semverSortKey(version)}`,
  versionPrefix: 'V#',
};

/**
 * Online features table: `pk = T#<tenant>#FS#<name>#V#<version>#C#<content hash>`, `sk = E#<entity key>`:
 * each version's values stay addressable while a newer one is materialized, and two registrations of one
 * version with different content never write the same item (versions registered before the content was
 * part of the key have theirs under `…#V#<version>`).
 */
export const onlineFeatureKeys = {
  set: ({ tenant, name, version, contentHash }: OnlineFeatureSet) =>
    `T#${tenant}#FS#${name}#V#${version}${contentHash === undefined ? '' : `#C#${contentHash}`}`,
  entity: (entityKey: string) => `E#${entityKey}`,
};
