/** Reads the status document from the database: one call of `passerelle.status()`. */
import type { Sql } from "../deps.ts";
import type { ChatterSync, ReconcileSummary, StatusDocument } from "./status_document.ts";

export interface ReadStatusOptions {
  /** A migration whose last successful batch is older than this is stale (default 120 s). */
  staleS?: number;
  /** The instant to report on (tests); default now. */
  at?: Date;
}

/** Default stale window, as on the card: the pulse turns red past 2 minutes. */
export const DEFAULT_STALE_S = 120;

/**
 * Runs `passerelle.status(stale, at)` and returns its document, with the files never to be stored
 * (`passerelle.file_exceptions()`), the latest reconcile run (`passerelle.reconcile_summary()`) and the
 * chatter syncs (`passerelle.chatter_status()`), read in the same statement.
 */
export async function readStatus(sql: Sql, opts: ReadStatusOptions = {}): Promise<StatusDocument> {
  const staleS = opts.staleS ?? DEFAULT_STALE_S;
  const at = opts.at ? opts.at.toISOString() : null;
  const [row] = await sql<
    {
      doc: StatusDocument;
      exceptions: StatusDocument["file_exceptions"];
      reconcile: ReconcileSummary | null;
      chatter: ChatterSync[];
    }[]
  >`
    select passerelle.status(make_interval(secs => ${staleS}), ${at}::timestamptz) as doc,
           passerelle.file_exceptions() as exceptions,
           passerelle.reconcile_summary() as reconcile,
           passerelle.chatter_status(make_interval(secs => ${staleS}), ${at}::timestamptz) as chatter`;
  return { ...row.doc, file_exceptions: row.exceptions, reconcile: row.reconcile, chatter: row.chatter };
}
