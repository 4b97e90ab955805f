import { putDriftSettings } from '../../shared/app/drift-governance.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { datasets: metadataStore(config), versions: versionStore(config) };

/** `PUT /datasets/{name}/drift-settings`: drift_gate, quality_gate, reference_version, thresholds, roles. */
export const handler = route(
  logger,
  ROUTES['PUT /datasets/{name}/drift-settings'],
  ({ tenant, path, body }) => putDriftSettings(deps, tenant, path.name, body),
);
