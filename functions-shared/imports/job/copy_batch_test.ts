import assert from "node:assert/strict";
import { createTestDatabase } from "../../../scripts/testing/test_database.ts";
import { copyIn } from "../../copy_in.ts";
import { COPY_COLUMNS, CopyBatch, type StoredRow } from "./copy_batch.ts";

Deno.test("CopyBatch: what PostgreSQL's COPY reads back is every value as it was added", async () => {
  const db = await createTestDatabase("copy_batch");
  try {
    const [{ id: company }] = await db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Copie') returning id`;
    const [{ id: owner }] = await db.sql<{ id: string }[]>`
      insert into auth.users (email) values ('copie@exemple.fr') returning id`;
    const [{ id: job }] = await db.sql<{ id: string }[]>`
      insert into public.import_jobs (owner, company_id, kind, file_name, file_path, file_size, file_sha256)
      values (${owner}, ${company}, 'leads', 'a.csv', 'imports/a.csv', 1, 'x') returning id`;
    const rows: StoredRow[] = [
      {
        n: 2,
        d: { title: 'Tab\there, line\nbreak, \\back\\slash, "quotes", «Prénom» 東京 🙂', n: 1.5, z: null },
        e: null,
        s: "valid",
        em: "émilie.lefèvre@exemple.fr",
        ph: "+33 6\t12",
        x: "EXT\\1\r\n",
      },
      {
        n: 3,
        d: { values: ["", "\\N", "a;b"] },
        e: [{ row: 3, field: "email", code: "email_invalid", params: { value: "x\\y" } }],
        s: "invalid",
        em: null,
        ph: null,
        x: null,
      },
    ];
    // A tiny first buffer, so that adding grows it.
    const batch = new CopyBatch(job, 16);
    for (const r of rows) batch.add(r);
    assert.equal(batch.rows, 2);
    assert.equal(batch.valid, 1);

    await db.sql.begin(async (tx) => {
      await copyIn(
        tx`copy public.import_rows (${tx(COPY_COLUMNS as unknown as string[])}) from stdin`,
        batch.bytes(),
      );
    });
    const back = await db.sql`
      select row_number as n, data as d, errors as e, status as s, email as em, phone as ph, external_id as x
        from public.import_rows where job_id = ${job} order by row_number`;
    assert.deepEqual(back.map((r) => ({ ...r })), rows);
  } finally {
    await db.drop();
  }
});
