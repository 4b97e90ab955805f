/**
 * vitest globalSetup of the browser project: finds (or installs, on a bare machine) Debian's Chromium
 * once per run, before any test's timeout starts, and hands its path to the tests.
 */
import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../infra/local/servers/chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const path = await ensureChromium((message) => process.stdout.write(`[chromium] ${message}\n`));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (Number(seconds) >= 1) process.stdout.write(`[chromium] ready in ${seconds} s: ${path}\n`);
  project.provide('chromiumPath', path);
}
