/**
 * Reads attachment bytes from Odoo in batched `read` calls of `datas`,
 * grouped so that one call carries at most `maxBytes` of files (base64 adds a
 * third, and the answer is parsed whole), and a file larger than that travels
 * alone. An Odoo AccessError on a batch (an attachment whose lead was deleted
 * in Odoo is unreadable even by an admin) is narrowed down by halving, so
 * one bad file never fails the others.
 */
import { Buffer } from "node:buffer";
import { PasserelleError } from "../errors.ts";
import type { OdooReader } from "../sync/odoo_reader.ts";

export interface Wanted {
  id: number;
  odooId: number;
  size: number;
}

export type Content = Uint8Array | PasserelleError;

/** Splits files into read batches of at most `maxBytes` (a bigger file alone). */
export function readBatches<T extends { size: number }>(files: T[], maxBytes: number, maxFiles = 200): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const f of [...files].sort((a, b) => a.size - b.size)) {
    if (current.length && (bytes + f.size > maxBytes || current.length >= maxFiles)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length) batches.push(current);
  return batches;
}

async function readBatch(odoo: OdooReader, batch: Wanted[], out: Map<number, Content>): Promise<void> {
  try {
    const rows = await odoo.read<{ id: number; datas: string | false }>(
      "ir.attachment",
      batch.map((f) => f.odooId),
      ["id", "datas"],
    );
    const byOdooId = new Map(rows.map((r) => [r.id, r]));
    for (const f of batch) {
      const row = byOdooId.get(f.odooId);
      // Odoo drops ids it cannot find from a read, without an error.
      out.set(
        f.id,
        row
          ? Buffer.from(typeof row.datas === "string" ? row.datas : "", "base64")
          : new PasserelleError("attachment_missing", `Attachment ${f.odooId} no longer exists in Odoo`),
      );
    }
  } catch (e) {
    if (e instanceof PasserelleError && e.code === "odoo_access_denied") {
      if (batch.length === 1) {
        out.set(
          batch[0].id,
          new PasserelleError(
            "lead_missing",
            `Odoo refuses to read attachment ${
              batch[0].odooId
            } (its lead was probably deleted): ${e.message}`,
            false,
            { cause: e },
          ),
        );
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await readBatch(odoo, batch.slice(0, half), out);
      await readBatch(odoo, batch.slice(half), out);
      return;
    }
    const err = e instanceof PasserelleError
      ? e
      : new PasserelleError("odoo_unavailable", String(e), true, { cause: e });
    for (const f of batch) out.set(f.id, err);
  }
}

/** Reads every wanted file's bytes; each id maps to its bytes or the reason it could not be read. */
export async function readContents(
  odoo: OdooReader,
  files: Wanted[],
  opts: { maxBytes: number },
): Promise<Map<number, Content>> {
  const out = new Map<number, Content>();
  for (const batch of readBatches(files, opts.maxBytes)) await readBatch(odoo, batch, out);
  return out;
}
