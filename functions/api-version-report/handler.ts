import { getVersionReport, type ReportName } from '../../shared/app/drift-governance.js';
import { loadConfig } from '../../shared/config.js';
import { htmlResponse, route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { versions: versionStore(config), store: objectStore(config) };

const reports = (['drift', 'drift.html', 'quality', 'quality.html'] as const).map(
  (report) => ROUTES[`GET /datasets/{name}/versions/{v}/${report}`],
);

/**
 * `GET /datasets/{name}/versions/{v}/drift`, `…/drift.html`, `…/quality`, `…/quality.html`: one function
 * for the four routes, which differ only in the report and its format (the last path segment).
 */
export const handler = route(logger, reports, async ({ tenant, path, routeKey }) => {
  const report = routeKey.slice(routeKey.lastIndexOf('/') + 1) as ReportName;
  const result = await getVersionReport(deps, tenant, path.name, path.v, report);
  return result.kind === 'html' ? htmlResponse(result.html) : result.document;
});
