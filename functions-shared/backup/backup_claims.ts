/**
 * The backup import's share of the `lead_files` queue: it claims the rows of the files it is about to
 * store with the archive's lease and states (`passerelle.claim_backup_files`, beside the archive's
 * `claim_lead_files`), so that `import-dump` and `archive-odoo-files` running at once never work on the
 * same file. A claim's `leased_until` is its token: results are recorded only for rows still under that
 * lease, so a row whose lease ran out and that the archive took stays the archive's.
 */
import type { Sql } from "../deps.ts";
import { retryOnDeadlock } from "./deadlock_retry.ts";

/** One claimed row and its token. */
export interface BackupClaim {
  id: number;
  odooId: number;
  /** The lease's end, as the database wrote it (ISO text, microseconds kept): the claim's token. */
  leasedUntil: string;
}

/** A stored file to record under its claim. */
export interface ClaimedDone {
  id: number;
  leased_until: string;
  storage_path: string;
  file_url: string;
  checksum: string | null;
  file_size: number;
  store_fname: string | null;
}

/** A failure to record under its claim. */
export interface ClaimedFailure {
  id: number;
  leased_until: string;
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Claims the rows of these attachments that still need a file and that no one holds; the others
 * (stored, or claimed by the archive under a live lease) are simply not returned.
 */
export async function claimBackupFiles(
  sql: Sql,
  odooIds: number[],
  leaseS: number,
): Promise<Map<number, BackupClaim>> {
  const out = new Map<number, BackupClaim>();
  if (odooIds.length === 0) return out;
  // leased_until as text: a JS Date would drop the microseconds the token is compared with.
  const rows = await retryOnDeadlock(() =>
    sql<{ id: string; odoo_id: number; leased_until: string }[]>`
    select id, odoo_id, leased_until::text as leased_until
      from passerelle.claim_backup_files(${odooIds}::integer[], make_interval(secs => ${leaseS}))`
  );
  for (const r of rows) {
    out.set(r.odoo_id, { id: Number(r.id), odooId: r.odoo_id, leasedUntil: r.leased_until });
  }
  return out;
}

/** Records stored files and failures in one transaction; returns the ids actually recorded. */
export async function recordClaimed(
  sql: Sql,
  done: ClaimedDone[],
  failed: ClaimedFailure[],
): Promise<{ done: number[]; failed: number[] }> {
  if (done.length === 0 && failed.length === 0) return { done: [], failed: [] };
  return await sql.begin(async (tx) => {
    const d = done.length === 0
      ? []
      : await tx<{ id: string }[]>`select id from passerelle.complete_backup_files(${
        tx.json(done as never)
      }) id`;
    const f = failed.length === 0
      ? []
      : await tx<{ id: string }[]>`select id from passerelle.fail_backup_files(${
        tx.json(failed as never)
      }) id`;
    return { done: d.map((r) => Number(r.id)), failed: f.map((r) => Number(r.id)) };
  });
}

/** Gives back claims not finished (an interrupted import): pending again at once, attempt not counted. */
export async function releaseClaims(sql: Sql, claims: BackupClaim[]): Promise<number> {
  if (claims.length === 0) return 0;
  const body = claims.map((c) => ({ id: c.id, leased_until: c.leasedUntil }));
  const [{ n }] = await sql<{ n: number }[]>`
    select passerelle.release_backup_files(${sql.json(body as never)}) as n`;
  return n;
}

/**
 * Renews these claims for another `leaseS` seconds (the import's heartbeat), updating each claim's token
 * in place; returns the ids of the claims that could not be renewed (their lease ran out and the row was
 * taken, or it is no longer claimed): they are no longer this import's.
 */
export async function renewClaims(sql: Sql, claims: BackupClaim[], leaseS: number): Promise<Set<number>> {
  const lost = new Set(claims.map((c) => c.id));
  if (claims.length === 0) return lost;
  const byId = new Map(claims.map((c) => [c.id, c]));
  const body = claims.map((c) => ({ id: c.id, leased_until: c.leasedUntil }));
  const rows = await retryOnDeadlock(() =>
    sql<{ id: string; leased_until: string }[]>`
    select id, leased_until::text as leased_until
      from passerelle.renew_backup_files(${sql.json(body as never)}, make_interval(secs => ${leaseS}))`
  );
  for (const r of rows) {
    const id = Number(r.id);
    byId.get(id)!.leasedUntil = r.leased_until;
    lost.delete(id);
  }
  return lost;
}
