/**
 * The widest files the parser accepts go through the whole pipeline on the local cloud, and one column
 * more is quarantined with its typed error. Stages pass keys and counts only, so the state stays small
 * whatever the width (LocalStack may not enforce the 256 KB state limit: test/unit/state-size.test.ts is
 * what proves the bound); this test proves the rest of the way holds: the staged file's footer, the
 * version record, the inferred suite and the execution's output.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdFor } from '../../shared/domain/file-record.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'wide'));
});

/** `width` columns named with `nameLength` characters each (unique by their prefix), and `rows` rows. */
function wideCsv(width: number, nameLength: number, rows: number) {
  const names = Array.from({ length: width }, (_, i) =>
    `col${String(i).padStart(4, '0')}_`.padEnd(nameLength, 'x'),
  );
  const lines = [names.join(',')];
  for (let r = 0; r < rows; r++)
    lines.push(names.map((_, i) => (i % 3 === 0 ? `${r}.5` : `${r + i}`)).join(','));
  return { names, body: `${lines.join('\n')}\n` };
}

/** Bytes of the largest input or output of any state of the execution, from its history. */
async function largestState(executionArn: string): Promise<number> {
  let largest = 0;
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    for (const event of page.events ?? []) {
      for (const text of [event.stateEnteredEventDetails?.input, event.stateExitedEventDetails?.output]) {
        if (text !== undefined) largest = Math.max(largest, Buffer.byteLength(text));
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return largest;
}

async function drop(key: string, body: string) {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  return { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
}

describe('a file as wide as the parser allows', () => {
  it('is versioned: 2,000 columns of 200-character names, and a second such file is checked against it', async () => {
    // Prepare
    const { names, body } = wideCsv(2000, 200, 3);
    const second = wideCsv(2000, 200, 4);

    // Act
    const ref = await drop(`fresh/${tenant}/wide/one.csv`, body);
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref), 110_000);
    const nextRef = await drop(`fresh/${tenant}/wide/two.csv`, second.body);
    const next = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, nextRef), 110_000);

    // Assess: the execution's output names the first columns and counts them all.
    for (const e of [execution, next]) {
      expect({ status: e.status, error: e.error, cause: e.cause }).toEqual({
        status: 'SUCCEEDED',
        error: undefined,
        cause: undefined,
      });
    }
    const output = JSON.parse(execution.output ?? '{}');
    expect(output).toMatchObject({
      status: 'VERSIONED',
      version: 1,
      rows_ingested: 3,
      column_count: 2000,
      columns_truncated: true,
    });
    expect(output.columns.length).toBeGreaterThan(0);
    expect(output.columns).toEqual(names.slice(0, output.columns.length));
    expect(JSON.parse(next.output ?? '{}')).toMatchObject({
      version: 2,
      rows_ingested: 4,
      column_count: 2000,
    });
    // Every state the executions passed through is small.
    for (const e of [execution, next])
      expect(await largestState(e.executionArn ?? '')).toBeLessThan(16 * 1024);
    // The version has the whole schema (stored compressed), and the dataset the suite inferred from it.
    const version = await api(ctx.info, `/datasets/wide/versions/1`, { apiKey });
    expect(version.status).toBe(200);
    const schema = version.body?.schema as { columns: { name: string; type: string }[] };
    expect(schema.columns.map((c) => c.name)).toEqual(names);
    expect(schema.columns.slice(0, 2).map((c) => c.type)).toEqual(['float', 'int']);
    const dataset = await api(ctx.info, `/datasets/wide`, { apiKey });
    expect(dataset.body).toMatchObject({ suiteSource: 'inferred', currentVersion: 2 });
    expect((dataset.body?.validationSuite as { checks?: unknown[] } | undefined)?.checks).toHaveLength(
      2 + 2000,
    );
    expect(await ctx.metadata.getFile(tenant, fileIdFor(ref))).toMatchObject({
      status: 'FRESH',
      version: 1,
      parse: expect.objectContaining({ columns: 2000, rowCount: 3 }),
    });
    // The second file passed that suite and was compared with version 1.
    expect(await ctx.metadata.getFile(tenant, fileIdFor(nextRef))).toMatchObject({
      version: 2,
      validation: expect.objectContaining({ status: 'PASSED', errors: 0 }),
      drift: expect.objectContaining({ status: 'COMPARED', referenceVersion: 1 }),
    });
  });

  it('is quarantined one column wider: 2,001 columns fail parse with TooManyColumnsError', async () => {
    // Prepare
    const { body } = wideCsv(2001, 200, 3);

    // Act
    const ref = await drop(`fresh/${tenant}/wider/wider.csv`, body);
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref), 110_000);

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('TooManyColumnsError');
    expect(await ctx.metadata.getFile(tenant, fileIdFor(ref))).toMatchObject({
      status: 'QUARANTINED',
      failure: expect.objectContaining({ stage: 'parse', errorName: 'TooManyColumnsError' }),
    });
  });
});
