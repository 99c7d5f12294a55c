import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import {
  createMissingLeadFiles,
  leadFilesByOdooId,
  linkedOdooIds,
  recordResults,
  storedCopies,
} from "./lead_file_ledger.ts";

Deno.test("the ledger records in sets and never takes a row the archive holds", async () => {
  const db = await createTestDatabase("backup_ledger");
  const { sql } = db;
  try {
    const [{ id: company }] = await sql<
      { id: number }[]
    >`insert into public.companies (name) values ('C') returning id`;
    await sql`insert into public.leads (company_id, title, source_email_id, odoo_id)
      select ${company}, 'L' || g, 'odoo_crm_' || g, g from generate_series(1, 3) g`;
    const { created, leadMissing } = await createMissingLeadFiles(
      sql,
      [1, 2, 3, 4].map((i) => ({
        odoo_id: 100 + i,
        res_id: i === 4 ? 99 : i,
        name: `f${i}.pdf`,
        mimetype: "application/pdf",
        checksum: i === 1 ? "a".repeat(40) : null,
        file_size: 10,
        store_fname: null,
        odoo_type: "binary",
      })),
    );
    assert.deepEqual(created.sort(), [101, 102, 103]);
    assert.deepEqual(leadMissing, [104]);
    assert.deepEqual(
      (await createMissingLeadFiles(sql, [{
        odoo_id: 101,
        res_id: 1,
        name: "x",
        mimetype: null,
        checksum: null,
        file_size: null,
        store_fname: null,
        odoo_type: "binary",
      }])).created,
      [],
      "existing rows are left alone",
    );
    assert.deepEqual([...await linkedOdooIds(sql)].sort(), [101, 102, 103]);

    // The archive holds 102 under a live lease; 103's lease ran out (its call died).
    await sql`update public.lead_files set status = 'claimed', leased_until = now() + interval '5 minutes' where odoo_id = 102`;
    await sql`update public.lead_files set status = 'claimed', leased_until = now() - interval '1 minute' where odoo_id = 103`;
    const rows = await leadFilesByOdooId(sql, [101, 102, 103, 104]);
    assert.deepEqual([...rows.values()].map((r) => [r.odooId, r.held, r.stored]).sort(), [
      [101, false, false],
      [102, true, false],
      [103, false, false],
    ]);

    const ids = (o: number) => rows.get(o)!.id;
    const stored = (o: number) => ({
      id: ids(o),
      storage_path: `k/${o}`,
      file_url: `u/${o}`,
      checksum: "b".repeat(40),
      file_size: 10,
      store_fname: "bb/x",
    });
    const r = await recordResults(sql, [stored(101), stored(102)], [{
      id: ids(103),
      code: "attachment_missing",
      message: "gone",
    }]);
    assert.deepEqual(r, { done: [ids(101)], failed: [ids(103)] });
    const after = await sql<
      {
        odoo_id: number;
        status: string;
        storage_path: string | null;
        checksum: string | null;
        error_code: string | null;
        done_at: Date | null;
      }[]
    >`
      select odoo_id, status, storage_path, checksum, error_code, done_at from public.lead_files order by odoo_id`;
    assert.deepEqual(
      after.map((x) => [x.odoo_id, x.status, x.storage_path, x.checksum, x.error_code, x.done_at !== null]),
      [
        [101, "done", "k/101", "a".repeat(40), null, true], // Odoo's checksum kept
        [102, "claimed", null, null, null, false],
        [103, "failed", null, null, "attachment_missing", false],
      ],
    );
    // A stored row is never overwritten, nor failed.
    assert.deepEqual(
      await recordResults(sql, [{ ...stored(101), storage_path: "other" }], [{
        id: ids(101),
        code: "x",
        message: "y",
      }]),
      { done: [], failed: [] },
    );
    assert.deepEqual(
      await storedCopies(sql, ["a".repeat(40), "c".repeat(40)]),
      new Map([["a".repeat(40), "k/101"]]),
    );
  } finally {
    await db.drop();
  }
});
