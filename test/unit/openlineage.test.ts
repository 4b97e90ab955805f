import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpLineageSink } from '../../shared/adapters/http-lineage-sink.js';
import { S3LineageSink } from '../../shared/adapters/s3-lineage-sink.js';
import { emitLineage, type RunLineage } from '../../shared/app/runs/openlineage.js';
import type { RunContext } from '../../shared/app/runs/recording.js';
import { loadConfig } from '../../shared/config.js';
import type { ObjectRef } from '../../shared/domain/file-record.js';
import { lineageEventKey } from '../../shared/domain/object-key.js';
import {
  FACET_SCHEMA_URLS,
  ingestionCompleteEvent,
  ingestionFailEvent,
  ingestionStartEvent,
  OPENLINEAGE_FIELD_TYPES,
  RUN_UUID_NAMESPACE,
  type RunEvent,
  runUuid,
  stackTraceOf,
  uuidV5,
} from '../../shared/domain/openlineage.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { ConfigError, ConflictError, ParseError } from '../../shared/errors.js';
import { recordRuns } from '../../shared/lambda/run-recording.js';
import type { LineageEventSink, LineageEventTarget, ObjectStore, RunStore } from '../../shared/ports.js';
import { runEventProblems } from '../openlineage/validate.js';

const BUCKET = 'strata-data-123';
const object: ObjectRef = {
  bucket: BUCKET,
  key: 'fresh/acme/orders/2026/05/orders.csv',
  versionId: '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY',
};
const run = { runId: 'ingest-9f2c0a7e41b3d5c6e8f0a1b2c3d4e5f6', tenant: 'acme', dataset: 'orders', object };
const schema: TableSchema = {
  columns: [
    { name: 'order_id', type: 'int', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'paid', type: 'bool', nullable: true },
    { name: 'customer', type: 'string', nullable: false },
    { name: 'ordered_at', type: 'timestamp', nullable: false },
  ],
};
const trace = [
  'ParseError: row 3 has 4 fields, the header 3 (line 3)',
  '    at parseCsv (file:///var/task/index.mjs:1:2345)',
  '    at async Runtime.handler (file:///var/task/index.mjs:1:9876)',
];
const cause = JSON.stringify({
  errorType: 'ParseError',
  errorMessage: 'row 3 has 4 fields, the header 3 (line 3)',
  trace,
});

const start = ingestionStartEvent(run, '2026-05-01T10:00:00.123Z');
const complete = ingestionCompleteEvent(run, '2026-05-01T10:00:42.000Z', {
  output: {
    bucket: BUCKET,
    table: 'tables/acme/orders',
    deltaVersion: 2,
    dataFiles: ['part-f_1.parquet'],
    version: 3,
    schema,
    rowCount: 1250,
  },
  reference: { bucket: BUCKET, table: 'tables/acme/orders', deltaVersion: 1 },
});
const duplicate = ingestionCompleteEvent(run, '2026-05-01T10:00:03.000Z');
const fail = ingestionFailEvent(run, '2026-05-01T10:00:05.000Z', {
  stage: 'parse',
  name: 'ParseError',
  message: 'row 3 has 4 fields, the header 3 (line 3)',
  stackTrace: stackTraceOf(cause),
});

describe('OpenLineage run events', () => {
  it.each([
    ['START', start],
    ['COMPLETE with a version', complete],
    ['COMPLETE of a duplicate', duplicate],
    ['FAIL', fail],
  ])(
    'builds a %s event that validates against the OpenLineage schema and its facets’ schemas',
    (_, event) => {
      expect(runEventProblems(JSON.parse(JSON.stringify(event)))).toEqual([]);
    },
  );

  it('rejects events the spec does not allow, so the check can fail', () => {
    const DELETE = Symbol('delete');
    /** The problems of `base` with the value at `path` replaced (or deleted). */
    const broken = (path: Array<string | number>, value: unknown = DELETE, base: RunEvent = complete) => {
      const event: unknown = structuredClone(base);
      let parent = event as Record<string | number, unknown>;
      for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      if (value === DELETE) delete parent[last];
      else parent[last] = value;
      return runEventProblems(event);
    };
    const schemaFacet = complete.outputs[0]?.facets?.schema;
    expect(broken(['run', 'runId'], run.runId)).toContainEqual(expect.stringMatching(/runId.*format/));
    expect(broken(['eventType'], 'DONE')).not.toEqual([]);
    expect(broken(['job', 'namespace'])).not.toEqual([]);
    expect(broken(['eventTime'], 'yesterday')).not.toEqual([]);
    expect(broken(['outputs', 0, 'facets', 'schema', '_producer'])).not.toEqual([]);
    expect(broken(['outputs', 0, 'facets', 'schema', 'fields', 0, 'name'], 7)).not.toEqual([]);
    expect(broken(['outputs', 0, 'facets', 'version', 'datasetVersion'])).not.toEqual([]);
    expect(
      broken(['outputs', 0, 'facets', 'version', '_schemaURL'], FACET_SCHEMA_URLS.schema),
    ).toContainEqual(expect.stringMatching(/_schemaURL/));
    // A dataset facet among the run facets, and a facet nobody can check.
    expect(broken(['run', 'facets'], { schema: schemaFacet })).toContainEqual(
      expect.stringMatching(/cannot sit in run\.facets/),
    );
    expect(
      broken(['run', 'facets'], {
        custom: { _producer: 'https://x.example', _schemaURL: 'https://x.example/s' },
      }),
    ).toContainEqual(expect.stringMatching(/no schema for this facet/));
    expect(broken(['run', 'facets', 'errorMessage', 'programmingLanguage'], DELETE, fail)).toContainEqual(
      expect.stringMatching(/programmingLanguage/),
    );
  });

  it('names the tenant’s ingestion job and the raw object as an S3 dataset with its object version', () => {
    expect(start).toMatchObject({
      eventType: 'START',
      eventTime: '2026-05-01T10:00:00.123Z',
      run: { runId: runUuid(run.runId) },
      job: {
        namespace: 'strata://acme',
        name: 'ingest.orders',
        facets: { jobType: { processingType: 'BATCH', integration: 'STRATA', jobType: 'INGESTION' } },
      },
      inputs: [
        {
          namespace: `s3://${BUCKET}`,
          name: object.key,
          facets: { version: { datasetVersion: object.versionId } },
        },
      ],
      outputs: [],
      producer: 'https://github.com/strata/strata',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    });
    expect(start.run.facets).toBeUndefined();
  });

  it("gives COMPLETE the table at the reference's Delta version as an input and the table at the written Delta version as output", () => {
    expect(complete.inputs.map((d) => d.name)).toEqual([object.key, 'tables/acme/orders']);
    expect(complete.inputs[1]?.facets?.version?.datasetVersion).toBe('1');
    const [output] = complete.outputs;
    expect(output).toMatchObject({
      namespace: `s3://${BUCKET}`,
      name: 'tables/acme/orders',
      facets: { version: { datasetVersion: '2' } },
      outputFacets: { outputStatistics: { rowCount: 1250 } },
    });
    expect(output?.facets?.schema?.fields).toEqual([
      { name: 'order_id', type: 'BIGINT', ordinal_position: 1, description: 'not null' },
      { name: 'amount', type: 'DOUBLE', ordinal_position: 2 },
      { name: 'paid', type: 'BOOLEAN', ordinal_position: 3 },
      { name: 'customer', type: 'STRING', ordinal_position: 4, description: 'not null' },
      { name: 'ordered_at', type: 'TIMESTAMP', ordinal_position: 5, description: 'not null' },
    ]);
    expect(Object.keys(OPENLINEAGE_FIELD_TYPES).sort()).toEqual([
      'bool',
      'float',
      'int',
      'string',
      'timestamp',
    ]);
    expect(duplicate.outputs).toEqual([]);
    expect(duplicate.inputs).toHaveLength(1);
  });

  it('gives a held version its staged data files as outputs, one per chunk of a file parsed in chunks', () => {
    // Prepare
    const held = (dataFiles: string[]) =>
      ingestionCompleteEvent(run, '2026-05-01T10:00:42.000Z', {
        output: {
          bucket: BUCKET,
          table: 'tables/acme/orders',
          deltaVersion: null,
          dataFiles,
          version: 3,
          schema,
          rowCount: 1250,
        },
      });
    const chunks = ['_staged/part-f_1-c00000.parquet', '_staged/part-f_1-c00001.parquet'];

    // Act
    const whole = held(['_staged/part-f_1.parquet']);
    const chunked = held(chunks);

    // Assess
    expect(whole.outputs).toMatchObject([
      {
        name: 'tables/acme/orders/_staged/part-f_1.parquet',
        outputFacets: { outputStatistics: { rowCount: 1250 } },
      },
    ]);
    expect(chunked.outputs.map((o) => o.name)).toEqual(chunks.map((f) => `tables/acme/orders/${f}`));
    expect(chunked.outputs.every((o) => o.outputFacets === undefined)).toBe(true);
    expect(runEventProblems(JSON.parse(JSON.stringify(chunked)))).toEqual([]);
  });

  it('gives FAIL the error as a TypeScript errorMessage facet with the Lambda’s stack trace', () => {
    expect(fail.run.facets?.errorMessage).toEqual({
      _producer: 'https://github.com/strata/strata',
      _schemaURL: FACET_SCHEMA_URLS.errorMessage,
      message: 'ParseError in stage parse: row 3 has 4 fields, the header 3 (line 3)',
      programmingLanguage: 'TypeScript',
      stackTrace: trace.join('\n'),
    });
    expect(stackTraceOf('States.Timeout')).toBeUndefined();
    expect(stackTraceOf(JSON.stringify({ errorMessage: 'x' }))).toBeUndefined();
    expect(stackTraceOf(JSON.stringify({ trace: ['x'.repeat(9000)] }))?.length).toBe(8000);
  });
});

describe('run UUIDs', () => {
  it('are RFC 4122 version 5 (the RFC’s example: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(RUN_UUID_NAMESPACE).toBe(
      uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://github.com/strata/strata/runs'),
    );
  });

  it('are the same for the same run id and differ between run ids', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
        (a, b) => {
          expect(runUuid(a)).toBe(runUuid(a));
          expect(runUuid(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          if (a !== b) expect(runUuid(a)).not.toBe(runUuid(b));
        },
      ),
    );
    expect(runUuid(`${run.runId}-r1`)).not.toBe(runUuid(run.runId));
  });
});

describe('the lineage/ archive', () => {
  it('files a run’s events by tenant and the run’s start day (UTC), one key per run and event type', () => {
    expect(lineageEventKey('acme', 'ingest-x', '2026-05-01T23:59:59.999Z', 'START')).toBe(
      'lineage/acme/2026/05/01/ingest-x-START.json',
    );
    expect(lineageEventKey('acme', 'ingest-x', '2026-05-02T00:30:00.000+01:00', 'FAIL')).toBe(
      'lineage/acme/2026/05/01/ingest-x-FAIL.json',
    );
    expect(() => lineageEventKey('acme', 'ingest-x', 'soon', 'START')).toThrow(RangeError);
  });

  it('writes each event create-only, and takes an event already there for delivered', async () => {
    // Arrange
    const writes: Array<[string, unknown, unknown]> = [];
    let conflict = false;
    const store = {
      putJson: async (key: string, value: unknown, options: unknown) => {
        writes.push([key, value, options]);
        if (conflict) throw new ConflictError('already there');
      },
    } as unknown as ObjectStore;
    const sink = new S3LineageSink(store);
    const target = { tenant: 'acme', runId: run.runId, runStartedAt: '2026-05-01T10:00:00.123Z' };

    // Act
    await sink.emit(start, target);
    conflict = true;
    await sink.emit(start, target);

    // Assess
    expect(writes).toHaveLength(2);
    expect(writes[0]).toEqual([`lineage/acme/2026/05/01/${run.runId}-START.json`, start, { ifAbsent: true }]);
  });
});

describe('the HTTP sink (Marquez’s /api/v1/lineage)', () => {
  let server: Server;
  let baseUrl: string;
  const received: Array<{
    method?: string;
    url?: string;
    headers: IncomingMessage['headers'];
    body: unknown;
  }> = [];
  let answer = 201;
  let hang = false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        if (hang) return;
        res.writeHead(answer).end(answer >= 400 ? 'boom' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the event as JSON, with basic auth when the URL carries credentials', async () => {
    // Arrange
    received.length = 0;
    answer = 201;
    const plain = new HttpLineageSink(`${baseUrl}/`);
    const withCredentials = new HttpLineageSink(baseUrl.replace('http://', 'http://lineage:s%3Acret@'));

    // Act
    await plain.emit(complete);
    await withCredentials.emit(fail);

    // Assess
    expect(received.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/api/v1/lineage'],
      ['POST', '/api/v1/lineage'],
    ]);
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(received[0]?.headers.authorization).toBeUndefined();
    expect(received[0]?.body).toEqual(JSON.parse(JSON.stringify(complete)));
    expect(received[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('lineage:s:cret').toString('base64')}`,
    );
  });

  it('fails on an error answer and on no answer within the timeout', async () => {
    answer = 500;
    await expect(new HttpLineageSink(baseUrl).emit(start)).rejects.toThrow(/answered 500/);
    answer = 201;
    hang = true;
    try {
      await expect(new HttpLineageSink(baseUrl, 200).emit(start)).rejects.toThrow();
    } finally {
      hang = false;
    }
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function recordingSink(name = 'memory', fail = false) {
  const events: Array<{ event: RunEvent; target: LineageEventTarget }> = [];
  const sink: LineageEventSink = {
    name,
    emit: async (event, target) => {
      if (fail) throw new Error(`${name} is down`);
      events.push({ event, target });
    },
  };
  return { sink, events };
}

/** What the version stage receives and answers, for a run that wrote v3 after comparing with v2. */
function versionState() {
  return {
    object,
    file: {
      fileId: 'f_1',
      tenant: 'acme',
      dataset: 'orders',
      object,
      sha256: 'a'.repeat(64),
      size: 10,
      format: 'csv',
      dataType: 'custom',
      outcome: 'REGISTERED',
    },
    parse: {
      stagedKey: 'staging/acme/orders/f_1/data.parquet',
      columnCount: schema.columns.length,
      rowCount: 1250,
      contentHash: 'b'.repeat(64),
      metrics: {
        recordsRead: 1250,
        recordsWritten: 1250,
        recordsFailed: 0,
        duplicatesDropped: 0,
        bytesRead: 10,
        durationMs: 1,
        errorRate: 0,
      },
    },
    validate: { status: 'PASSED', reportKey: 'r', errors: 0, warnings: 0, inferredSuite: false },
    profile: { profileKey: 'p', rowCount: 1250 },
    drift: {
      status: 'COMPARED',
      severity: 'NONE',
      referenceVersion: 2,
      referenceDeltaVersion: 1,
      reportKey: 'd',
      htmlKey: 'h',
    },
  };
}
const versionOutput = {
  dataset_id: 'acme/orders',
  status: 'VERSIONED',
  version: 3,
  rows_ingested: 1250,
  columns: schema.columns.map((c) => c.name),
  column_count: schema.columns.length,
  columns_truncated: false,
  table_version: 2,
  promoted: true,
};
const versionRun: RunContext = {
  id: run.runId,
  arn: `arn:aws:states:us-east-1:000000000000:execution:sm:${run.runId}`,
  startedAt: '2026-05-01T10:00:00.123+00:00',
  stage: 'version',
  attempt: 0,
};

describe('emitting a run’s events', () => {
  it('delivers to every sink and only logs a failing one: lineage never fails a stage', async () => {
    // Arrange
    const good = recordingSink('s3');
    const down = recordingSink('http', true);
    const errors: unknown[][] = [];
    const logger = { ...silent, error: (...args: unknown[]) => void errors.push(args) };
    const target = { tenant: 'acme', runId: run.runId, runStartedAt: '2026-05-01T10:00:00.123Z' };

    // Act
    await emitLineage(
      { lineage: { sinks: [down.sink, good.sink], dataBucket: BUCKET }, logger },
      start,
      target,
    );

    // Assess
    expect(good.events).toHaveLength(1);
    expect(errors).toEqual([
      [
        'lineage event not delivered',
        expect.objectContaining({ sink: 'http', eventType: 'START', event: start }),
      ],
    ]);
  });

  it('emits START at register, COMPLETE when a run succeeds and FAIL at quarantine, through the run recorder', async () => {
    // Arrange
    const { sink, events } = recordingSink();
    const read: string[] = [];
    const lineage: RunLineage = {
      sinks: [sink],
      dataBucket: BUCKET,
      tableSchema: async (root, deltaVersion) => {
        read.push(`${root}@${deltaVersion}`);
        return schema;
      },
    };
    const runs = fakeRunStore();
    const middleware = recordRuns({ runs, clock, logger: silent, lineage });
    const context = (stage: string, attempt = 0): RunContext => ({
      id: run.runId,
      arn: `arn:aws:states:us-east-1:000000000000:execution:sm:${run.runId}`,
      startedAt: '2026-05-01T10:00:00.123+00:00',
      stage,
      attempt,
    });
    const caught = { object, failedStage: 'parse', error: { Error: 'ParseError', Cause: cause } };

    // Act: register (retried once), parse, version; then a second run that fails in parse.
    await invoke(middleware, { state: { object }, run: context('register') }, () => {
      throw new ParseError('flaky');
    }).catch(() => undefined);
    await invoke(middleware, { state: { object }, run: context('register', 1) }, () => ({
      outcome: 'REGISTERED',
    }));
    await invoke(middleware, { state: { object }, run: context('parse') }, () => ({}));
    await invoke(middleware, { state: versionState(), run: context('version') }, () => versionOutput);
    await invoke(middleware, { state: caught, run: context('quarantine') }, () => ({ quarantineKey: 'q' }));

    // Assess
    expect(events.map((e) => e.event.eventType)).toEqual(['START', 'START', 'COMPLETE', 'FAIL']);
    expect(events[0]?.event).toEqual(start);
    expect(events[1]?.event).toEqual(start);
    expect(events[0]?.target).toEqual({
      tenant: 'acme',
      runId: run.runId,
      runStartedAt: '2026-05-01T10:00:00.123Z',
    });
    expect(events[2]?.event).toEqual({ ...complete, eventTime: clock.now().toISOString() });
    expect(read).toEqual(['tables/acme/orders/@2']);
    expect(events[3]?.event).toEqual({ ...fail, eventTime: clock.now().toISOString() });
    for (const { event } of events) expect(runEventProblems(JSON.parse(JSON.stringify(event)))).toEqual([]);
  });

  it('takes COMPLETE’s schema from the state of an execution the previous parse function started when the table’s cannot be read', async () => {
    // Prepare: that parse answered the whole schema and no column count.
    const { sink, events } = recordingSink();
    const tableSchema = async (): Promise<TableSchema> => {
      throw new Error('throttled');
    };
    const middleware = recordRuns({
      runs: fakeRunStore(),
      clock,
      logger: silent,
      lineage: { sinks: [sink], dataBucket: BUCKET, tableSchema },
    });
    const { columnCount: _, ...previousParse } = versionState().parse;

    // Act
    await invoke(
      middleware,
      { state: { ...versionState(), parse: { ...previousParse, schema } }, run: versionRun },
      () => versionOutput,
    );

    // Assess
    expect(events.map((e) => e.event)).toEqual([{ ...complete, eventTime: clock.now().toISOString() }]);
  });

  it('sends COMPLETE without a schema facet when the table’s schema cannot be read, and says so', async () => {
    // Prepare
    const { sink, events } = recordingSink();
    const warnings: unknown[][] = [];
    const middleware = recordRuns({
      runs: fakeRunStore(),
      clock,
      logger: { ...silent, warn: (...args: unknown[]) => void warnings.push(args) },
      lineage: {
        sinks: [sink],
        dataBucket: BUCKET,
        tableSchema: async () => {
          throw new Error('throttled');
        },
      },
    });

    // Act
    await invoke(middleware, { state: versionState(), run: versionRun }, () => versionOutput);

    // Assess
    const output = events[0]?.event.outputs?.[0];
    expect(output?.name).toBe('tables/acme/orders');
    expect(output?.facets).not.toHaveProperty('schema');
    expect(output?.facets?.version).toBeDefined();
    expect(warnings).toEqual([
      [expect.stringMatching(/schema could not be read/), expect.objectContaining({ runId: run.runId })],
    ]);
    expect(runEventProblems(JSON.parse(JSON.stringify(events[0]?.event)))).toEqual([]);
  });

  it('emits COMPLETE without output for duplicate content, and none without a lineage configured', async () => {
    // Arrange
    const { sink, events } = recordingSink();
    const with_ = recordRuns({
      runs: fakeRunStore(),
      clock,
      logger: silent,
      lineage: { sinks: [sink], dataBucket: BUCKET },
    });
    const without = recordRuns({ runs: fakeRunStore(), clock, logger: silent });
    const envelope = {
      state: { object },
      run: {
        id: run.runId,
        arn: 'arn:x',
        startedAt: '2026-05-01T10:00:00.123Z',
        stage: 'register',
        attempt: 0,
      },
    };

    // Act
    await invoke(with_, structuredClone(envelope), () => ({ outcome: 'DUPLICATE' }));
    await invoke(without, structuredClone(envelope), () => ({ outcome: 'DUPLICATE' }));

    // Assess
    expect(events.map((e) => e.event.eventType)).toEqual(['START', 'COMPLETE']);
    expect(events[1]?.event).toEqual({ ...duplicate, eventTime: clock.now().toISOString() });
  });
});

describe('OPENLINEAGE_URL', () => {
  it('is optional and must be an http(s) URL', () => {
    const env = { AWS_REGION: 'r', DATA_BUCKET: 'bucket' };
    expect(loadConfig(['DATA_BUCKET', 'OPENLINEAGE_URL'], env).OPENLINEAGE_URL).toBeUndefined();
    expect(
      loadConfig(['OPENLINEAGE_URL'], { ...env, OPENLINEAGE_URL: 'http://marquez:5000' }).OPENLINEAGE_URL,
    ).toBe('http://marquez:5000');
    expect(() => loadConfig(['OPENLINEAGE_URL'], { ...env, OPENLINEAGE_URL: 'marquez:5000' })).toThrow(
      ConfigError,
    );
  });
});

const clock = { now: () => new Date('2026-05-01T10:00:42.000Z') };

function fakeRunStore(): RunStore {
  return {
    openRun: async () => {},
    startAttempt: async () => {},
    endAttempt: async () => true,
    endRun: async () => true,
    getRun: async () => undefined,
    listRuns: async () => ({ items: [] }),
    claimRetry: async () => ({ outcome: 'not-failed' }),
  };
}

async function invoke(middleware: ReturnType<typeof recordRuns>, event: unknown, handler: () => unknown) {
  // The middy request protocol, by hand: before → handler → after, onError on a throw.
  const request = { event, context: {}, response: null as unknown, error: null as unknown, internal: {} };
  try {
    await middleware.before?.(request as never);
    request.response = await handler();
    await middleware.after?.(request as never);
    return request.response;
  } catch (error) {
    request.error = error;
    await middleware.onError?.(request as never);
    throw error;
  }
}
