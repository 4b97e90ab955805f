/**
 * The SDK as a user imports it: by the package's name, through package.json `exports`, from the bundle
 * and declarations `npm ci` builds (dist/client/), not from the TypeScript sources.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as sdk from 'strata/client';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe("the package's strata/client entry", () => {
  it('resolves to the built bundle and declarations named in exports', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      name: string;
      private: boolean;
      exports: Record<string, { types: string; import: string }>;
    };

    // Act
    const entry = manifest.exports['./client'];
    const resolved = import.meta.resolve('strata/client');

    // Assess
    expect(manifest).toMatchObject({ name: 'strata', private: true });
    expect(resolved).toBe(new URL(entry?.import ?? '', `file://${root}/`).href);
    expect(readFileSync(resolve(root, entry?.types ?? ''), 'utf8')).toContain("export * from './ingest.js'");
  });

  it('exports the SDK: the route client, the feature store, the Arrow helpers and ingestData', () => {
    // Assess
    const exported = { ...sdk } as Record<string, unknown>;
    for (const name of [
      'createStrataClient',
      'createFeatureStore',
      'toArrowTable',
      'recordBatchesOf',
      'arrowTableFrom',
      'encodeParquet',
      'decodeParquet',
      'ingestData',
    ]) {
      expect(typeof exported[name], name).toBe('function');
    }
    expect(new sdk.IngestTimeoutError('d', 'f', 'r', 1).name).toBe('IngestTimeoutError');
  });

  it('round-trips a table through the bundled Arrow and Parquet code', () => {
    // Prepare
    const table = sdk.toArrowTable([
      { id: 1, at: new Date(Date.UTC(2026, 0, 1)), tag: 'a' },
      { id: 2, at: new Date(Date.UTC(2026, 0, 2)), tag: null },
    ]);

    // Act
    const back = sdk.recordBatchOf(sdk.decodeParquet(sdk.encodeParquet(table)));

    // Assess
    expect(back.columns).toEqual([
      [1, 2],
      [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)],
      ['a', null],
    ]);
  });
});
