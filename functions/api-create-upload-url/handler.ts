import { createUploadUrls } from '../../shared/app/uploads.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'UPLOAD_MAX_BYTES']);
const deps = { store: objectStore(config), clock, maxUploadBytes: config.UPLOAD_MAX_BYTES };

/** `POST /files/upload-url`: a presigned PUT into fresh/<tenant>/<dataset>/ for one file. */
export const handler = route(
  logger,
  ROUTES['POST /files/upload-url'],
  async ({ tenant, body }) => (await createUploadUrls(deps, tenant, [body]))[0],
);
