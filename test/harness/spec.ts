// Loads the platform's OpenAPI file and validates payloads against its schemas (ajv 2020-12, as TOOLCHAIN.md says).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import YAML from 'yaml';

export const SPEC_FILE = fileURLToPath(new URL('../../docs/northbound-api/openapi.yaml', import.meta.url));

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const raw: Json = YAML.parse(readFileSync(SPEC_FILE, 'utf8'));

export interface SpecOp { operationId: string; method: string; path: string; route: string; raw: Json }

/** Every operation of the spec, with its route key as the emulator names it ("GET /path/{param}"). */
export const operations: SpecOp[] = Object.entries(raw.paths as Record<string, Json>).flatMap(([path, item]) =>
  ['get', 'post', 'put', 'delete', 'patch']
    .filter((m) => item[m])
    .map((m) => ({
      operationId: item[m].operationId as string,
      method: m.toUpperCase(),
      path,
      route: `${m.toUpperCase()} ${path}`,
      raw: item[m],
    })),
);

export function op(operationId: string): SpecOp {
  const found = operations.find((o) => o.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId} in the spec`);
  return found;
}

function resolvePointer(ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
  return ref.slice(2).split('/').reduce((node: Json, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], raw);
}

export interface DocumentedError { operationId: string; code: string; http: number; inferred: boolean }

/** (operation, code, http) triples from x-error-codes and x-error-codes-inferred, $refs resolved. */
export function documentedErrors(): DocumentedError[] {
  const out: DocumentedError[] = [];
  for (const o of operations) {
    for (const key of ['x-error-codes', 'x-error-codes-inferred'] as const) {
      let list = o.raw[key];
      if (!list) continue;
      if (!Array.isArray(list) && typeof list.$ref === 'string') list = resolvePointer(list.$ref);
      if (!Array.isArray(list)) throw new Error(`${o.operationId}.${key} is neither a list nor a $ref to one`);
      for (const e of list) out.push({ operationId: o.operationId, code: String(e.code), http: Number(e.http), inferred: key !== 'x-error-codes' });
    }
  }
  return out;
}

/** Name of the components.schemas entry that describes the operation's 200 (or 201) body (undefined: no body). */
export function responseSchemaName(operationId: string, status = 200): string | undefined {
  const ref: string | undefined = op(operationId).raw.responses?.[String(status)]?.content?.['application/json']?.schema?.$ref;
  return ref?.split('/').pop();
}

// ajv-formats is CommonJS: under NodeNext its default import is the module object, at run time it may be either.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as unknown as (ajv: Ajv2020) => void;

let validators: Map<string, ValidateFunction> | undefined;

async function load() {
  if (validators) return validators;
  const deref: Json = await SwaggerParser.dereference(structuredClone(raw));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  validators = new Map();
  for (const [name, schema] of Object.entries(deref.components.schemas as Record<string, Json>)) {
    validators.set(name, ajv.compile(schema));
  }
  return validators;
}

/** Validation errors of `data` against components.schemas[name], as readable strings ([] = valid). */
export async function schemaErrors(name: string, data: unknown): Promise<string[]> {
  const v = (await load()).get(name);
  if (!v) throw new Error(`no schema ${name}`);
  return v(data) ? [] : (v.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
