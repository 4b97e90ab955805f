/**
 * `npm run openapi`: writes the OpenAPI document built from the route registry to openapi.json at the
 * repository root (commit it: test/infra/openapi.test.ts fails while it differs from a fresh build).
 * `npm run openapi -- --check` only reports whether the file is current (exit 1 when it is not).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { renderOpenApiDocument } from '../shared/http/openapi.js';
import { ROUTE_LIST } from '../shared/http/routes.js';

const OPENAPI_FILE = join(import.meta.dirname, '..', 'openapi.json');

const text = renderOpenApiDocument(ROUTE_LIST, packageJson.version);
const current = (() => {
  try {
    return readFileSync(OPENAPI_FILE, 'utf8');
  } catch {
    return undefined;
  }
})();

if (process.argv.includes('--check')) {
  if (current !== text) {
    process.stderr.write('openapi.json is out of date: run `npm run openapi` and commit the result\n');
    process.exit(1);
  }
  process.stdout.write('openapi.json is current\n');
} else if (current === text) {
  process.stdout.write(`openapi.json is current (${ROUTE_LIST.length} routes)\n`);
} else {
  writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote openapi.json (${ROUTE_LIST.length} routes)\n`);
}
