/**
 * Names of the records a lead points at (its tags, stage and salesperson), read once from Odoo and reused
 * by later calls of the same process (a function's isolate serves many): read again when a lead carries
 * an id not known yet, or after `ttlMs`. The sync reads leads with `load: null` (many2one fields as bare
 * ids) so that Odoo computes no display name per lead (a third of its read of 3,000 leads on a real
 * Odoo 17, issue 16), and names them from here.
 */
import type { OdooReader } from "./odoo_reader.ts";

/** Archived stages, tags and users still name the leads that point at them. */
const ALL = { active_test: false };

export interface RecordNames {
  /** The names of `ids` (and of every record of the model read with them); an id Odoo hides is absent. */
  of(ids: Iterable<number>): Promise<Map<number, string>>;
  /** Names learnt elsewhere (the classic read of a lead whose salesperson this login may not read). */
  learn(names: Iterable<[number, string]>): void;
}

/**
 * The names of every record of `model` (a small table: tags, stages, users), cached. `field` is what
 * names them: `display_name` (default) is what a many2one to the record shows.
 */
export function recordNames(
  odoo: OdooReader,
  model: string,
  opts: { field?: string; ttlMs?: number; now?: () => number } = {},
): RecordNames {
  const field = opts.field ?? "display_name";
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const now = opts.now ?? (() => performance.now());
  let cache: { names: Map<number, string>; at: number; asked: Set<number> } | null = null;
  let pending: Promise<void> | null = null;

  function refresh(): Promise<void> {
    pending ??= (async () => {
      try {
        const rows = await odoo.searchRead<Record<string, unknown> & { id: number }>(model, [], {
          fields: ["id", field],
          order: "id asc",
          context: ALL,
        });
        cache = { names: new Map(rows.map((r) => [r.id, String(r[field])])), at: now(), asked: new Set() };
      } finally {
        pending = null;
      }
    })();
    return pending;
  }

  return {
    async of(ids) {
      const wanted = [...ids];
      if (pending) await pending;
      const stale = !cache || now() - cache.at > ttlMs ||
        wanted.some((id) => !cache!.names.has(id) && !cache!.asked.has(id));
      if (stale) {
        await refresh();
        // Ids still unknown after a fresh read are hidden from this login: not asked again until the TTL.
        for (const id of wanted) if (!cache!.names.has(id)) cache!.asked.add(id);
      }
      return cache!.names;
    },
    learn(names) {
      if (!cache) return;
      for (const [id, name] of names) cache.names.set(id, name);
    },
  };
}
