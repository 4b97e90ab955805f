import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { createStrataApp } from '../../infra/strata-app.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Stands in for a value CloudFormation resolves at deploy time (a table name, a function name, an ARN):
 * it satisfies every name and ARN schema of shared/config.ts, so only a missing variable can fail.
 */
const DEPLOY_TIME_VALUE = 'arn:aws:placeholder:x';

interface FunctionEnvironment {
  readonly entry: string;
  readonly env: Record<string, string>;
}

let functions: FunctionEnvironment[];
const saved = { ...process.env };

beforeAll(() => {
  const { stack } = createStrataApp({ bundle: false, outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')) });
  const resources = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  functions = Object.values(resources)
    .filter((fn) => typeof fn.Metadata?.[ENTRY_METADATA_KEY] === 'string')
    .map((fn) => {
      const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      const env = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : DEPLOY_TIME_VALUE,
        ]),
      );
      // Lambda sets the region itself; it is not part of the template.
      return { entry: fn.Metadata[ENTRY_METADATA_KEY] as string, env: { ...env, AWS_REGION: 'eu-west-1' } };
    })
    .sort((a, b) => a.entry.localeCompare(b.entry));
});

afterEach(() => setEnvironment(saved));

/** Replaces process.env's contents in place (modules hold the object itself, not a copy). */
function setEnvironment(env: Record<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
}

/**
 * Imports the handler as a cold start would: with exactly `env`, and a fresh module registry so its
 * module-level `loadConfig([...])` runs again instead of returning the cached module.
 */
async function coldStart(entry: string, env: Record<string, string>): Promise<unknown> {
  vi.resetModules();
  setEnvironment(env);
  try {
    return await import(join(REPO_ROOT, entry));
  } finally {
    setEnvironment(saved);
  }
}

describe('function configuration', () => {
  it("each function's environment covers what its handler's config requires", async () => {
    // Assess: one strata function per handler folder, every one of them checked
    const folders = readdirSync(join(REPO_ROOT, 'functions')).map((name) => `functions/${name}/handler.ts`);
    expect(functions.map((fn) => fn.entry)).toEqual(folders.sort());
    for (const { entry, env } of functions) {
      await expect(coldStart(entry, env), entry).resolves.toHaveProperty('handler');
    }
  });

  it('fails the cold start of a function whose environment lacks a variable its config requires', async () => {
    // Prepare: ApiRuns reads and retries executions of the ingestion state machine
    const runs = functions.find((fn) => fn.entry === 'functions/api-runs/handler.ts');
    expect(runs?.env.STATE_MACHINE_ARN).toBe(DEPLOY_TIME_VALUE);
    const { STATE_MACHINE_ARN: _dropped, ...withoutMachine } = runs?.env ?? {};

    // Act
    const started = coldStart('functions/api-runs/handler.ts', withoutMachine);

    // Assess
    await expect(started).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('STATE_MACHINE_ARN'),
    });
  });
});
