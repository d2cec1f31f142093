/**
 * Answers kept until the store's data changes: a query read from the store alone (the mirror, the rollouts) is
 * answered again, for the same API key (and role), document, operation and variables, from what it answered before, as long as
 * the store's data version has not moved since that answer began (see store/data-version.ts). No time-to-live: a
 * commit to the data is what ends an answer's life, so no answer is older than what the store holds.
 *
 * Kept only: queries whose root fields all read the store (not `health`, `mirror` or `batchTask`, which ask the
 * platform or the process), that made no platform call and read none of the platform caches on the way (a device
 * the mirror does not hold, a mirror not READY yet), and answered without an error.
 */
import type { FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { Kind } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Root fields answered from the store: their answers change only with its data. */
const STORE_ROOTS = new Set([
  'operations',
  'operation',
  'device',
  'devices',
  'fleet',
  'fleetSummary',
  'fleetAggregate',
  'compliance',
  'upgradePackages',
  'upgradePackage',
  'deviceGroups',
  'batchTasks',
  'rollouts',
  'rollout',
  '__typename',
]);
/** The answers' size in all (their JSON's characters): some tens of MB at most. */
const MAX_CHARACTERS = 16_000_000;

export interface CacheKeyParts {
  role: string;
  client: string;
  document: string;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
}

/** A request that may be answered from the cache: what it looks up under, and the data version it began at. */
export interface CacheTicket {
  key: string;
  version: string;
}

/** An answer's data (answers with errors are not kept). */
type Data = Record<string, unknown>;

interface Entry {
  version: string;
  data: Data;
  /** The HTTP Cache-Control its cache hints gave it, to give again. */
  cacheControl?: string;
}

export class ResponseCache {
  readonly #entries = new LRUCache<string, Entry>({ max: 10_000, maxSize: MAX_CHARACTERS, sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry.data).length) });
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly dataVersion: () => string | undefined) {}

  /** A ticket for a query whose roots all read the store, while the data version can be trusted; else undefined. */
  ticket(operation: OperationDefinitionNode, fragments: readonly FragmentDefinitionNode[], parts: CacheKeyParts): CacheTicket | undefined {
    if (operation.operation !== 'query' || !readsStoreOnly(operation.selectionSet, fragments)) return undefined;
    const version = this.dataVersion();
    if (version === undefined) return undefined;
    let variables: string;
    try {
      variables = JSON.stringify(parts.variables ?? {});
    } catch {
      // Variables too deep to write out are refused once they are coerced; nothing of them is kept meanwhile.
      return undefined;
    }
    return { key: `${parts.role}\0${parts.client}\0${parts.operationName ?? ''}\0${variables}\0${parts.document}`, version };
  }

  /** The answer kept for the ticket, if the data has not changed since it was made. */
  get(ticket: CacheTicket): { data: Data; cacheControl?: string } | undefined {
    const entry = this.#entries.get(ticket.key);
    if (entry && entry.version === ticket.version) {
      this.stats.hits += 1;
      return { data: entry.data, cacheControl: entry.cacheControl };
    }
    this.stats.misses += 1;
    return undefined;
  }

  /** Keeps an answer made under the ticket, if it may be kept (see the module's comment). */
  set(ticket: CacheTicket, result: { data?: Data | null; errors?: readonly unknown[] }, readThePlatform: boolean, cacheControl?: string): void {
    if (readThePlatform || result.errors?.length || !result.data) return;
    // The version it began at: a commit since makes it old at once.
    this.#entries.set(ticket.key, { version: ticket.version, data: result.data, cacheControl });
  }
}

function readsStoreOnly(selections: SelectionSetNode, fragments: readonly FragmentDefinitionNode[], seen = new Set<string>()): boolean {
  return selections.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return STORE_ROOTS.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return readsStoreOnly(selection.selectionSet, fragments, seen);
    const name = selection.name.value;
    if (seen.has(name)) return true;
    seen.add(name);
    const fragment = fragments.find((f) => f.name.value === name);
    return fragment !== undefined && readsStoreOnly(fragment.selectionSet, fragments, seen);
  });
}
