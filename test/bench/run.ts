/**
 * `npm run bench`: bundles test/bench/pipeline.bench.ts with esbuild the way the Lambda functions are
 * bundled (ESM, the same require banner; identifiers kept so CPU profiles stay readable) into
 * .strata/bench/, then runs the bundle with node. Running the TypeScript through tsx instead would measure
 * tsx's on-the-fly transform too (2–3× slower than what Lambda runs). Arguments are passed on.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);

// The ingest and chunked cases start a local cloud, whose lambda host loads the functions' sources itself:
// they run through tsx as they are, not from the bundle.
const CLOUD_CASES: Record<string, string> = {
  ingest: 'test/bench/ingest-e2e.ts',
  chunked: 'test/bench/chunked-e2e.ts',
};
const cloudCase = args.includes('--case') ? CLOUD_CASES[args[args.indexOf('--case') + 1] ?? ''] : undefined;
if (cloudCase) {
  const rest = args.filter((_, i) => i !== args.indexOf('--case') && i !== args.indexOf('--case') + 1);
  const tsx = join(root, 'node_modules/.bin/tsx');
  const child = spawn(tsx, [join(root, cloudCase), ...rest], {
    stdio: 'inherit',
    cwd: root,
  });
  child.on('close', (code) => {
    process.exit(code ?? 1);
  });
} else {
  await runBundle();
}

async function runBundle() {
  const outDir = join(root, '.strata/bench');
  const outfile = join(outDir, 'pipeline.bench.mjs');
  mkdirSync(outDir, { recursive: true });

  await build({
    entryPoints: [join(root, 'test/bench/pipeline.bench.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    // A native binding: loaded from node_modules at run time, and only by the DuckDB child.
    // parquet-wasm's node build reads its .wasm from beside itself: it cannot be bundled.
    external: ['@duckdb/node-api', 'parquet-wasm'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });

  const child = spawn(process.execPath, [outfile, ...args], { stdio: 'inherit', cwd: root });
  child.on('close', (code) => {
    process.exitCode = code ?? 1;
  });
}
