/**
 * Ingesting data from code with the strata SDK, end to end: rows and an Arrow table into a dataset, then
 * the rows read back. Runs against the local cloud (`npm start`, or `strata up`), whose API URL and demo
 * API key are in `.strata/cloud.json`; against a deployed stack, pass a JSON file with `apiUrl` and
 * `apiKey`:
 *
 *   npm ci && npx tsx events/sdk/ingest.ts [cloud.json] [dataset]
 *
 * It imports the SDK by its package name, as code outside the checkout would (`strata/client` resolves
 * through package.json `exports` to dist/client/, which `npm ci` builds).
 */
import { readFileSync } from 'node:fs';
import { createStrataClient, ingestData, toArrowTable } from 'strata/client';

const [cloudFile = '.strata/cloud.json', dataset = 'sdk-example'] = process.argv.slice(2);
const cloud = JSON.parse(readFileSync(cloudFile, 'utf8')) as {
  apiUrl: string;
  apiKey?: string;
  demoApiKey?: string;
};
const apiKey = cloud.apiKey ?? cloud.demoApiKey;
if (!apiKey) throw new Error(`${cloudFile} names no apiKey (or demoApiKey)`);
const client = createStrataClient({ apiUrl: cloud.apiUrl, apiKey });

// Row objects: types are inferred as the pipeline infers JSON (Dates and ISO strings are timestamps).
const now = Date.now();
const rows = Array.from({ length: 5 }, (_, i) => ({
  ticket_id: now + i,
  opened_at: new Date(now - (5 - i) * 60_000),
  priority: ['low', 'high'][i % 2] as string,
  minutes: 12.5 * (i + 1),
}));
const first = await ingestData(client, rows, { dataset, metadata: { source: 'sdk-example' } });
console.log('rows:', JSON.stringify(first));

// An Arrow table (here built from a column map; any apache-arrow Table works the same).
const table = toArrowTable({
  ticket_id: [now + 100, now + 101],
  opened_at: [new Date(now), new Date(now + 1000)],
  priority: ['medium', 'low'],
  minutes: [3, 4.25],
});
const second = await ingestData(client, table, { dataset });
console.log('arrow:', JSON.stringify(second));

const latest = await client.rows(dataset, { last: 3 });
console.log(`newest ${latest.count} of version ${latest.version}:`, JSON.stringify(latest.rows));
if (first.status !== 'VERSIONED' || second.status !== 'VERSIONED') process.exitCode = 1;
