/**
 * Validates OpenLineage run events offline against the spec's JSON schemas (copied under ./schema, see
 * SOURCE.md) with Ajv's draft 2020-12 build: the event against the core schema, every facet against its
 * facet schema (facet schemas `$ref` the core by its `$id`, which resolves to the copy added here), and
 * each facet's `_schemaURL` against the schema it claims. A facet without a schema here is a problem too:
 * the test then cannot vouch for it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

const SCHEMA_DIR = new URL('./schema/', import.meta.url);
const CORE_ID = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';

interface FacetSchema {
  $id: string;
  properties: Record<string, { $ref: string }>;
  $defs: Record<string, { allOf: Array<{ $ref?: string }> }>;
}

/** Where a facet may sit, by the core definition its schema extends. */
const PLACES = {
  'run.facets': 'RunFacet',
  'job.facets': 'JobFacet',
  'dataset.facets': 'DatasetFacet',
  'input.inputFacets': 'InputDatasetFacet',
  'output.outputFacets': 'OutputDatasetFacet',
} as const;
type Place = keyof typeof PLACES;

interface KnownFacet {
  validate: ValidateFunction;
  /** `$id#/$defs/<Facet>`: what `_schemaURL` must say. */
  schemaURL: string;
  /** The core definition it extends: `RunFacet`, `DatasetFacet`, … */
  kind: string;
}

function load() {
  // Strict about keywords (a typo in a schema is an error), not about the spec's own style: it requires
  // properties inside `not` and `allOf` parts that define them elsewhere.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  // The spec annotates its fields with examples.
  ajv.addKeyword('example');
  // A CommonJS module whose export is the plugin, with itself as `default`: what TypeScript types.
  formats.default(ajv);
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'));
  const schemas = files.map((f) => JSON.parse(readFileSync(new URL(f, SCHEMA_DIR), 'utf8')));
  for (const schema of schemas) ajv.addSchema(schema);
  // The whole document (one of RunEvent, DatasetEvent, JobEvent), and a RunEvent in particular.
  const document = ajv.getSchema(CORE_ID);
  const runEvent = ajv.getSchema(`${CORE_ID}#/$defs/RunEvent`);
  if (!document || !runEvent)
    throw new Error(`the core schema ${CORE_ID} is missing from ${SCHEMA_DIR.pathname}`);
  const facets = new Map<string, KnownFacet>();
  for (const schema of schemas as FacetSchema[]) {
    if (schema.$id === CORE_ID) continue;
    for (const [key, { $ref }] of Object.entries(schema.properties)) {
      const definition = schema.$defs[$ref.replace('#/$defs/', '')];
      const base = definition?.allOf.find((part) => part.$ref?.startsWith(CORE_ID))?.$ref ?? '';
      facets.set(key, {
        validate: ajv.getSchema(schema.$id) as ValidateFunction,
        schemaURL: `${schema.$id}${$ref}`,
        kind: base.slice(base.lastIndexOf('/') + 1),
      });
    }
  }
  return { document, runEvent, facets };
}

let loaded: ReturnType<typeof load> | undefined;

/** Every problem with the event; empty when it is a valid OpenLineage RunEvent. */
export function runEventProblems(event: unknown): string[] {
  loaded ??= load();
  const { document, runEvent, facets } = loaded;
  const problems: string[] = [];
  for (const validate of [document, runEvent]) {
    if (validate(event)) continue;
    problems.push(
      ...(validate.errors ?? []).map((x) => `event${x.instancePath} ${x.message} (${x.schemaPath})`),
    );
  }
  const e = event as {
    run?: { facets?: Record<string, unknown> };
    job?: { facets?: Record<string, unknown> };
    inputs?: Array<{ facets?: Record<string, unknown>; inputFacets?: Record<string, unknown> }>;
    outputs?: Array<{ facets?: Record<string, unknown>; outputFacets?: Record<string, unknown> }>;
  };
  const groups: Array<[Place, string, Record<string, unknown> | undefined]> = [
    ['run.facets', 'run.facets', e.run?.facets],
    ['job.facets', 'job.facets', e.job?.facets],
    ...(e.inputs ?? []).flatMap(
      (d, i): Array<[Place, string, Record<string, unknown> | undefined]> => [
        ['dataset.facets', `inputs[${i}].facets`, d.facets],
        ['input.inputFacets', `inputs[${i}].inputFacets`, d.inputFacets],
      ],
    ),
    ...(e.outputs ?? []).flatMap(
      (d, i): Array<[Place, string, Record<string, unknown> | undefined]> => [
        ['dataset.facets', `outputs[${i}].facets`, d.facets],
        ['output.outputFacets', `outputs[${i}].outputFacets`, d.outputFacets],
      ],
    ),
  ];
  for (const [place, path, group] of groups) {
    for (const [key, value] of Object.entries(group ?? {})) {
      const known = facets.get(key);
      if (!known) {
        problems.push(`${path}.${key}: no schema for this facet`);
        continue;
      }
      if (known.kind !== PLACES[place]) {
        problems.push(`${path}.${key}: a ${known.kind} cannot sit in ${place}`);
      }
      if (!known.validate({ [key]: value })) {
        problems.push(...(known.validate.errors ?? []).map((x) => `${path}${x.instancePath} ${x.message}`));
      }
      const claimed = (value as { _schemaURL?: unknown })?._schemaURL;
      if (claimed !== known.schemaURL) {
        problems.push(`${path}.${key}._schemaURL is ${String(claimed)}, the schema is ${known.schemaURL}`);
      }
    }
  }
  return problems;
}
