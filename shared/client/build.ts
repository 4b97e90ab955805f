/**
 * Builds the SDK's package entry (`strata/client` in package.json `exports`), run by `prepare` so `npm ci`
 * leaves it importable: esbuild bundles shared/client/index.ts and the strata code it imports into one ESM
 * file, dist/client/index.js, with every npm dependency left as an import (apache-arrow, parquet-wasm —
 * whose node build reads its .wasm beside itself, so it cannot be bundled — hyparquet, zod); tsc writes
 * the declarations (tsconfig.client.json) under dist/client/types/.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
export const CLIENT_BUNDLE = join(root, 'dist', 'client', 'index.js');

export async function buildClient(outfile = CLIENT_BUNDLE): Promise<string> {
  await build({
    entryPoints: [join(root, 'shared/client/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const types = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (types.status !== 0) throw new Error(`tsc -p tsconfig.client.json exited with ${types.status}`);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const file = await buildClient();
  process.stdout.write(`built ${file} in ${Date.now() - started} ms\n`);
}
