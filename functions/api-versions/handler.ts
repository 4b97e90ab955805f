import {
  diffDatasetVersions,
  getLatestVersion,
  getVersion,
  getVersionReport,
  listVersions,
  promoteVersion,
  type ReportName,
  updateVersionMetadata,
  versionDownloadUrl,
  versionFiles,
} from '../../shared/app/versions.js';
import { loadConfig } from '../../shared/config.js';
import { htmlResponse, type RouteRequest } from '../../shared/http/route.js';
import type { ROUTES } from '../../shared/http/routes.js';
import { apiHandler } from '../../shared/lambda/http.js';
import {
  clock,
  datasetTables,
  logger,
  metadataStore,
  objectStore,
  tableCatalog,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = {
  datasets: metadataStore(config),
  versions: versionStore(config),
  store: objectStore(config),
  tables: datasetTables(config),
  // Where the table is registered after a commit (Athena: strata_<tenant>.<dataset>).
  catalog: tableCatalog(config),
  clock,
  logger,
};

type ReportRoute = (typeof ROUTES)[`GET /datasets/{name}/versions/{v}/${ReportName}`];

/** The four report routes differ only in the report and its format, the last path segment. */
async function report({ tenant, path, routeKey }: RouteRequest<ReportRoute>) {
  const name = routeKey.slice(routeKey.lastIndexOf('/') + 1) as ReportName;
  const result = await getVersionReport(deps, tenant, path.name, path.v, name);
  return result.kind === 'html' ? htmlResponse(result.html) : result.document;
}

/** Dataset versions: records, tags, diffs, downloads, table files, drift and quality reports, promotion. */
export const handler = apiHandler('versions', {
  'GET /datasets/{name}/versions': ({ tenant, path, query }) => listVersions(deps, tenant, path.name, query),
  'GET /datasets/{name}/versions/latest': ({ tenant, path }) => getLatestVersion(deps, tenant, path.name),
  'GET /datasets/{name}/versions/{v}': ({ tenant, path }) => getVersion(deps, tenant, path.name, path.v),
  // Tags and description only; writes the version item and its tag-index items in one transaction.
  'PATCH /datasets/{name}/versions/{v}': ({ tenant, path, body }) =>
    updateVersionMetadata(deps, tenant, path.name, path.v, body),
  // Reads the two records and their profiles (reports/), never the snapshots.
  'GET /datasets/{name}/versions/{v}/diff/{other}': ({ tenant, path }) =>
    diffDatasetVersions(deps, tenant, path.name, path.v, path.other),
  // The CSV form of a version is made on first request and kept beside its Parquet.
  'GET /datasets/{name}/versions/{v}/data': ({ tenant, path, query }) =>
    versionDownloadUrl(deps, tenant, path.name, path.v, query.format),
  // The table's data files at the version (its log read from tables/), presigned; a held version's staged file.
  'GET /datasets/{name}/versions/{v}/files': ({ tenant, path, query }) =>
    versionFiles(deps, tenant, path.name, path.v, query),
  'GET /datasets/{name}/versions/{v}/drift': report,
  'GET /datasets/{name}/versions/{v}/drift.html': report,
  'GET /datasets/{name}/versions/{v}/quality': report,
  'GET /datasets/{name}/versions/{v}/quality.html': report,
  // A held version's staged data file is committed to the table before the version becomes current.
  'POST /datasets/{name}/versions/{v}/promote': ({ tenant, path, body }) =>
    promoteVersion(deps, tenant, path.name, path.v, body.reason),
});
