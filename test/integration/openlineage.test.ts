import { readFileSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor, type ObjectRef } from '../../shared/domain/file-record.js';
import { lineageEventKey } from '../../shared/domain/object-key.js';
import { type RunEvent, runUuid } from '../../shared/domain/openlineage.js';
import { runEventProblems } from '../openlineage/validate.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const fixture = (name: string) => readFileSync(new URL(`../../events/data/${name}`, import.meta.url));
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'openlineage'));
});

async function ingest(key: string, body: Uint8Array | string) {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const ref: ObjectRef = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
  const runId = executionNameFor(ref);
  const run = await api(ctx.info, `/runs/${runId}`, { apiKey });
  return { ref, execution, runId, startedAt: String(run.body?.startedAt) };
}

/** The run's events under lineage/<tenant>/, by event type (the stages wrote them before the run ended). */
async function eventsOf(runId: string): Promise<Map<string, { key: string; event: RunEvent }>> {
  const listed = await ctx.s3.send(
    new ListObjectsV2Command({ Bucket: ctx.info.dataBucket, Prefix: `lineage/${tenant}/` }),
  );
  const found = new Map<string, { key: string; event: RunEvent }>();
  for (const { Key } of listed.Contents ?? []) {
    if (!Key?.includes(`/${runId}-`)) continue;
    const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key }));
    const event = JSON.parse(await (object.Body?.transformToString() ?? '')) as RunEvent;
    found.set(event.eventType, { key: Key, event });
  }
  return found;
}

describe('OpenLineage events of pipeline runs', () => {
  it('writes START and COMPLETE for a good file: the raw object in, the snapshot with its schema out', async () => {
    // Act
    const { execution, ref, runId, startedAt } = await ingest(
      `fresh/${tenant}/customers/customers.csv`,
      fixture('customers.csv'),
    );
    const events = await eventsOf(runId);

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const output = JSON.parse(String(execution.output)) as {
      table_version: number | null;
      columns: string[];
    };
    expect([...events.keys()].sort()).toEqual(['COMPLETE', 'START']);
    for (const [type, { key, event }] of events) {
      expect(key).toBe(lineageEventKey(tenant, runId, startedAt, type as RunEvent['eventType']));
      expect(runEventProblems(event), type).toEqual([]);
      expect(event.run.runId).toBe(runUuid(runId));
      expect(event.job).toMatchObject({ namespace: `strata://${tenant}`, name: 'ingest.customers' });
      expect(event.inputs[0]).toMatchObject({
        namespace: `s3://${ctx.info.dataBucket}`,
        name: ref.key,
        facets: { version: { datasetVersion: ref.versionId } },
      });
    }
    const start = events.get('START')?.event;
    expect(start?.eventTime).toBe(startedAt);
    expect(start?.outputs).toEqual([]);
    const complete = events.get('COMPLETE')?.event;
    expect(complete?.inputs).toHaveLength(1);
    expect(complete?.outputs).toHaveLength(1);
    const [snapshot] = complete?.outputs ?? [];
    // The dataset's Delta table, at the Delta version that committed the file (the table's first: 0).
    expect(output.table_version).toBe(0);
    expect(snapshot).toMatchObject({
      namespace: `s3://${ctx.info.dataBucket}`,
      name: `tables/${tenant}/customers`,
      facets: { version: { datasetVersion: '0' } },
      outputFacets: { outputStatistics: { rowCount: 8 } },
    });
    const fields = (snapshot?.facets?.schema?.fields ?? []) as Array<{ name: string; type: string }>;
    expect(fields.map((f) => f.name)).toEqual(output.columns);
    expect(fields.find((f) => f.name === 'monthly_spend')?.type).toBe('DOUBLE');
    expect(fields.find((f) => f.name === 'churned')?.type).toBe('BOOLEAN');
  });

  it('names the table at the reference version drift compared with as a second input of the next version', async () => {
    // Act: other rows, same columns: version 2, compared with version 1.
    const rows = fixture('customers.csv').toString('utf8').trim().split('\n');
    const { execution, runId } = await ingest(
      `fresh/${tenant}/customers/more.csv`,
      `${[rows[0], ...rows.slice(1).reverse().slice(1)].join('\n')}\n`,
    );
    const complete = (await eventsOf(runId)).get('COMPLETE')?.event;

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(runEventProblems(complete)).toEqual([]);
    expect(complete?.inputs.map((d) => d.name)).toEqual([
      `fresh/${tenant}/customers/more.csv`,
      `tables/${tenant}/customers`,
    ]);
    // Version 1 is the table at Delta version 0; version 2 committed Delta version 1.
    expect(complete?.inputs[1]?.facets?.version).toMatchObject({ datasetVersion: '0' });
    expect(complete?.outputs[0]).toMatchObject({
      name: `tables/${tenant}/customers`,
      facets: { version: { datasetVersion: '1' } },
    });
    const fields = (complete?.outputs[0]?.facets?.schema?.fields ?? []) as Array<{ name: string }>;
    expect(fields.length).toBeGreaterThan(0);
  });

  it('writes COMPLETE without outputs for duplicate content', async () => {
    // Prepare
    await ingest(`fresh/${tenant}/dup/a.csv`, 'a,b\n1,2\n');

    // Act
    const { runId } = await ingest(`fresh/${tenant}/dup/b.csv`, 'a,b\n1,2\n');
    const events = await eventsOf(runId);

    // Assess
    expect([...events.keys()].sort()).toEqual(['COMPLETE', 'START']);
    expect(events.get('COMPLETE')?.event.outputs).toEqual([]);
    expect(runEventProblems(events.get('COMPLETE')?.event)).toEqual([]);
  });

  it('writes START and FAIL for a ragged CSV, with the ParseError as the errorMessage facet', async () => {
    // Act
    const { execution, runId } = await ingest(`fresh/${tenant}/ragged/r.csv`, fixture('ragged.csv'));
    const events = await eventsOf(runId);
    const run = await api(ctx.info, `/runs/${runId}`, { apiKey });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect([...events.keys()].sort()).toEqual(['FAIL', 'START']);
    const fail = events.get('FAIL')?.event;
    expect(runEventProblems(fail)).toEqual([]);
    expect(fail?.run.runId).toBe(runUuid(runId));
    const failure = run.body?.failure as { message: string };
    expect(fail?.run.facets?.errorMessage).toMatchObject({
      message: `ParseError in stage parse: ${failure.message}`,
      programmingLanguage: 'TypeScript',
      stackTrace: expect.stringContaining('ParseError'),
    });
    expect(fail?.outputs).toEqual([]);
  });
});
