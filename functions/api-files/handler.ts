import { getFile, listFiles } from '../../shared/app/files.js';
import { createUploadUrls } from '../../shared/app/uploads.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import { clock, metadataStore, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'UPLOAD_MAX_BYTES']);
const uploads = { store: objectStore(config), clock, maxUploadBytes: config.UPLOAD_MAX_BYTES };
const files = { metadata: metadataStore(config) };

/** Presigned uploads into fresh/<tenant>/<dataset>/, and the files the pipeline registered. */
export const handler = apiHandler('files', {
  'POST /files/upload-url': async ({ tenant, body }) => (await createUploadUrls(uploads, tenant, [body]))[0],
  'POST /files/upload-urls': async ({ tenant, body }) => ({
    uploads: await createUploadUrls(uploads, tenant, body.files),
  }),
  'GET /files': ({ tenant, query }) => listFiles(files, tenant, query),
  'GET /files/{id}': ({ tenant, path }) => getFile(files, tenant, path.id),
});
