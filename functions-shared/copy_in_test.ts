import assert from "node:assert/strict";
import { createTestDatabase } from "../scripts/testing/test_database.ts";
import { copyIn } from "./copy_in.ts";

const text = (lines: string[]) => new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));

Deno.test("copyIn() stores the rows, and a COPY the server refuses rejects with its error and rolls back", async () => {
  const db = await createTestDatabase("copy_in");
  try {
    await db.sql`create table public.amounts (n integer not null check (n >= 0), label text)`;
    await db.sql.begin(async (tx) => {
      await copyIn(tx`copy public.amounts (n, label) from stdin`, text(["1\tun", "2\tdeux"]));
    });
    // The last row breaks the check: the server refuses the COPY once all of it was sent.
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await copyIn(tx`copy public.amounts (n, label) from stdin`, text(["3\ttrois", "-4\tmoins quatre"]));
      }),
      /violates check constraint "amounts_n_check"/,
    );
    const rows = await db.sql`select n, label from public.amounts order by n`;
    assert.deepEqual(rows.map((r) => [r.n, r.label]), [[1, "un"], [2, "deux"]]);
    // No connection left idle in an aborted transaction: the pool goes on.
    const [{ stuck }] = await db.sql`
      select count(*)::int as stuck from pg_stat_activity
       where datname = current_database() and state = 'idle in transaction (aborted)'`;
    assert.equal(stuck, 0);
  } finally {
    await db.drop();
  }
});
