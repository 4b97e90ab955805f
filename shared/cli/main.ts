#!/usr/bin/env node
/**
 * The `strata` executable (package.json `bin`, bundled to dist/strata.mjs by `npm run build:cli`).
 * Runs one command line and exits with its code; Ctrl-C exits 130 (except `strata up`, whose own
 * handler stops the local cloud first).
 */
import { EXIT } from './exit-codes.js';
import { run } from './program.js';

const cleanups: Array<() => void> = [];
const argv = process.argv.slice(2);

if (argv[0] !== 'up') {
  process.once('SIGINT', () => {
    for (const cleanup of cleanups) cleanup();
    process.stderr.write('\nstrata: interrupted\n');
    process.exit(EXIT.INTERRUPTED);
  });
}

const code = await run(argv, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stderrStream: process.stderr,
  onInterrupt: (cleanup) => cleanups.push(cleanup),
});
// `up` returns once the cloud is up; its servers keep the process alive until a signal stops them.
process.exitCode = code;
