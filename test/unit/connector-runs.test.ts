import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvSecrets, secretVariable } from '../../shared/adapters/secrets.js';
import {
  advanceObjectWatermark,
  CONNECTOR_RUN_ID,
  compareObjects,
  connectorRunId,
  connectorSettingsSchema,
  isNewObject,
  leaseHeld,
  nextRunAt,
} from '../../shared/domain/connector-runs.js';
import { compareWatermark, parseS3Secret } from '../../shared/domain/connectors.js';
import { copiedObjectKey } from '../../shared/domain/object-key.js';
import { shapeRecords, toJsonCell } from '../../shared/domain/source-records.js';
import { SourceError } from '../../shared/errors.js';
import { connectorRunEventSchema } from '../../shared/schemas/connectors.js';

const at = (iso: string) => new Date(iso);

describe('connector scheduling', () => {
  it('schedules the next run one schedule after a success, and at once when the run ran out of time', () => {
    // Prepare
    const now = at('2026-11-24T10:00:00.000Z');

    // Act
    const ok = nextRunAt({ scheduleMinutes: 60 }, { status: 'SUCCEEDED', consecutiveFailures: 0 }, now);
    const more = nextRunAt(
      { scheduleMinutes: 60 },
      { status: 'SUCCEEDED', more: true, consecutiveFailures: 0 },
      now,
    );

    // Assess
    expect(ok).toBe('2026-11-24T11:00:00.000Z');
    expect(more).toBe('2026-11-24T10:00:00.000Z');
  });

  it('backs off after failures, doubling from a minute, never beyond the schedule', () => {
    // Prepare
    const now = at('2026-11-24T10:00:00.000Z');
    const delay = (failures: number, scheduleMinutes = 60) =>
      (Date.parse(nextRunAt({ scheduleMinutes }, { status: 'FAILED', consecutiveFailures: failures }, now)) -
        now.getTime()) /
      60_000;

    // Act + Assess
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((f) => delay(f))).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect(delay(3, 2)).toBe(2);
  });

  it('names runs so that they sort by start time', () => {
    // Prepare
    const ids = fc
      .sample(fc.date({ min: at('2000-01-01'), max: at('2099-12-31'), noInvalidDate: true }), 200)
      .map((d) => ({ d, id: connectorRunId(d, 'abcdef01') }));

    // Act
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.d.getTime());

    // Assess
    expect(byId).toEqual([...byId].sort((a, b) => a - b));
    expect(ids.every((x) => CONNECTOR_RUN_ID.test(x.id))).toBe(true);
  });

  it('treats a lease as held only until it ends', () => {
    const lease = { runId: 'r', until: '2026-11-24T10:20:00.000Z', trigger: 'api' as const };
    expect(leaseHeld(lease, at('2026-11-24T10:19:59.999Z'))).toBe(true);
    expect(leaseHeld(lease, at('2026-11-24T10:20:00.000Z'))).toBe(false);
    expect(leaseHeld(undefined, at('2026-11-24T10:00:00.000Z'))).toBe(false);
  });

  it('accepts the sample settings in events/connectors and the sample pull event', () => {
    const dir = join(import.meta.dirname, '../../events/connectors');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const parsed = connectorSettingsSchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      expect(parsed.error?.issues, file).toBeUndefined();
    }
    const event = JSON.parse(readFileSync(join(dir, '../connector-run.json'), 'utf8'));
    expect(connectorRunEventSchema.safeParse(event).success).toBe(true);
  });

  it('refuses settings with unknown fields, such as a password', () => {
    const parsed = connectorSettingsSchema.safeParse({
      source: { type: 's3', bucket: 'exports' },
      password: 'hunter2',
    });
    expect(parsed.success).toBe(false);
  });
});

describe('object watermarks', () => {
  const obj = (key: string, iso: string) => ({ key, lastModified: at(iso) });

  it('takes every object exactly once across pulls, whatever the batch size and however ties fall', () => {
    // Property: objects appear over time (some sharing a second); pulling after each arrival, with any
    // batch size, takes each object exactly once.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 4 }),
        (arrivals, batchSize) => {
          const listed: { key: string; lastModified: Date }[] = [];
          const taken: string[] = [];
          let mark: ReturnType<typeof advanceObjectWatermark>;
          let second = 0;
          arrivals.forEach(([gap, pullsAfter], i) => {
            second += gap;
            listed.push(obj(`k${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString()));
            for (let p = 0; p <= pullsAfter; p++) {
              const fresh = listed.filter((o) => isNewObject(o, mark)).sort(compareObjects);
              for (let b = 0; b < fresh.length; b += batchSize) {
                const batch = fresh.slice(b, b + batchSize);
                taken.push(...batch.map((o) => o.key));
                mark = advanceObjectWatermark(mark, batch);
              }
            }
          });
          expect([...taken].sort()).toEqual(listed.map((o) => o.key).sort());
        },
      ),
    );
  });

  it('keeps the extension of a copied object and names it by source identity', () => {
    const key = copiedObjectKey('acme', 'orders', 'exports/2026/day one.csv', 'ab'.repeat(32));
    expect(key).toBe(`fresh/acme/orders/s3-${'ab'.repeat(8)}-day_one.csv`);
  });
});

describe('watermark order', () => {
  it('orders integer text numerically, beyond double precision', () => {
    expect(compareWatermark('9', '10')).toBeLessThan(0);
    expect(compareWatermark('9007199254740993', '9007199254740992')).toBeGreaterThan(0);
    expect(compareWatermark('2.5', '10')).toBeLessThan(0);
  });
});

describe('shaping pulled records', () => {
  it('renames mapped fields, infers types like a JSONL file and converts source values', () => {
    // Act
    const shaped = shapeRecords(
      [
        {
          ID: 1,
          at: new Date('2026-01-01T00:00:00Z'),
          big: 2n ** 60n,
          raw: new Uint8Array([1, 2]),
          doc: { a: 1 },
        },
        { ID: 2, at: new Date('2026-01-02T00:00:00Z'), big: 5n, raw: null, doc: null },
      ],
      { columnMapping: { ID: 'id' }, requiredColumns: [], criticalColumns: [] },
    );

    // Assess
    expect(shaped.batch.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'id:int',
      'at:timestamp',
      'big:string',
      'raw:string',
      'doc:string',
    ]);
    expect(shaped.batch.columns[1]).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2)]);
    expect(shaped.batch.columns[2]).toEqual(['1152921504606846976', '5']);
    expect(shaped.batch.columns[3]).toEqual(['AQI=', null]);
    expect(shaped.batch.columns[4]).toEqual(['{"a":1}', null]);
  });

  it('uses declared column types and drops records whose value does not fit', () => {
    // Act
    const shaped = shapeRecords(
      [{ n: '12' }, { n: 'twelve' }, { n: null }],
      { requiredColumns: [], criticalColumns: [] },
      [{ name: 'n', type: 'int' }],
    );

    // Assess
    expect(shaped.batch.schema.columns).toEqual([{ name: 'n', type: 'int', nullable: true }]);
    expect(shaped.batch.columns[0]).toEqual([12, null]);
    expect(shaped.failed).toBe(1);
    expect(shaped.firstFailure).toBe('a value of "n" is not int');
  });

  it('drops records missing a required column and fails on a missing critical column', () => {
    const records = [{ a: 1, b: 2 }, { a: 1 }, { b: 3 }];
    const dropped = shapeRecords(records, { requiredColumns: ['b'], criticalColumns: [] });
    expect(dropped.batch.numRows).toBe(2);
    expect(dropped.failed).toBe(1);
    expect(() => shapeRecords(records, { requiredColumns: [], criticalColumns: ['a'] })).toThrow(SourceError);
  });

  it('turns non-finite numbers into nulls', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, 1].map(toJsonCell)).toEqual([null, null, 1]);
  });
});

describe('local secrets', () => {
  it('reads STRATA_SECRET_<NAME> from the environment first, then the secrets file', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'strata-secrets-')), 'secrets.env');
    writeFileSync(
      file,
      `${secretVariable('pg-prod')}=from-file\n${secretVariable('api/token')}="quoted value"\n`,
    );
    const secrets = new EnvSecrets({ [secretVariable('pg-prod')]: 'from-env' }, file);

    // Act + Assess
    expect(secretVariable('api/token')).toBe('STRATA_SECRET_API_TOKEN');
    expect(await secrets.getSecret('t', 'pg-prod')).toBe('from-env');
    expect(await secrets.getSecret('t', 'api/token')).toBe('quoted value');
    await expect(secrets.getSecret('t', 'nope')).rejects.toThrow(SourceError);
  });

  it('never echoes an s3 secret it cannot read', () => {
    const text = '{"accessKeyId":"AKIA-secret-looking"}';
    expect(() => parseS3Secret(text)).toThrow(SourceError);
    try {
      parseS3Secret(text);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('AKIA');
    }
  });
});
