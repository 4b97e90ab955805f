import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this file lives in. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds and downloads live outside the clone so that a fresh clone (CI) reuses them; a bare machine
 * fills it from scratch. Override with STRATA_CACHE_DIR.
 */
export const CACHE_DIR = process.env.STRATA_CACHE_DIR ?? join(homedir(), '.cache', 'strata');

/** Per-checkout runtime state: logs, data of a running local cloud, its endpoints file. Git-ignored. */
export const STATE_DIR = join(REPO_ROOT, '.strata');
