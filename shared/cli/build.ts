/**
 * `npm run build:cli` (also run by `prepare`, so `npm ci` leaves a working `strata`): bundles the CLI
 * with esbuild into one ESM file, dist/strata.mjs, which package.json `bin` names. Everything it uses
 * is bundled except tsx, which only `strata up` loads (from the checkout's node_modules).
 */
import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
export const CLI_BUNDLE = join(root, 'dist', 'strata.mjs');

export async function buildCli(outfile = CLI_BUNDLE): Promise<string> {
  await build({
    entryPoints: [join(root, 'shared/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifySyntax: true,
    sourcemap: 'linked',
    external: ['tsx'],
    // commander, cli-table3 and cli-progress are CommonJS: their require() of node built-ins needs this.
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const file = await buildCli();
  process.stdout.write(`built ${file} in ${Date.now() - started} ms\n`);
}
