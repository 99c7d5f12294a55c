import assert from "node:assert/strict";
import { createTestDatabase } from "../../../scripts/testing/test_database.ts";
import { stagedStrings } from "./staged_strings.ts";

/** A job of its own, its `n` strings staged ("s0", "s1", …, one with a tab and a line break). */
async function stagedJob(sql: import("../../deps.ts").Sql, n: number, label: string): Promise<string> {
  const [{ id: company }] = await sql<{ id: number }[]>`
    insert into public.companies (name) values (${label}) returning id`;
  const [{ id: owner }] = await sql<{ id: string }[]>`
    insert into auth.users (email) values (${`${label}@exemple.fr`}) returning id`;
  const [{ id: job }] = await sql<{ id: string }[]>`
    insert into public.import_jobs (owner, company_id, kind, file_name, file_path, file_size, file_sha256)
    values (${owner}, ${company}, 'leads', 'a.xlsx', 'imports/a.xlsx', 1, 'x') returning id`;
  await sql`
    insert into passerelle.import_shared_strings (job_id, idx, value)
    select ${job}, i, case when i = 7 then E'tab\\there\\nÉmilie' else 's' || i end
      from generate_series(0, ${n - 1}) i`;
  return job;
}

const expected = (i: number, n: number) => i >= n ? undefined : i === 7 ? "tab\there\nÉmilie" : `s${i}`;

Deno.test("staged strings: batch after batch (new runs, older repeats, jumps, past the end), each index gives its string", async () => {
  const db = await createTestDatabase("staged_strings");
  try {
    const n = 20_000;
    const job = await stagedJob(db.sql, n, "Chaînes");
    const other = await stagedJob(db.sql, 50, "Autre"); // (another job's strings are never read)
    await db.sql`update passerelle.import_shared_strings set value = 'autre' where job_id = ${other}`;
    const lookup = stagedStrings(db.sql, job);
    // Each batch: a few old indexes (a city, a stage) and a dense run of new ones, as writers number them.
    const batches: number[][] = [];
    let next = 0;
    for (let b = 0; b < 12; b++) {
      const old = next ? [0, 3, 7, Math.floor(next / 2)] : [];
      const run = b === 5 ? 3_000 : 800; // (batch 6 needs more than the strings read ahead)
      if (b === 8) next += 5_000; // (a jump: what was read ahead is not what this batch needs)
      const ix = [...old, ...Array.from({ length: run }, (_, k) => next + k).filter((i) => i % 5 !== 1)];
      next += run;
      batches.push([...new Set(ix)].sort((a, c) => a - c));
    }
    batches.push([2, 7, n - 2, n - 1, n, n + 5]); // the table's end, and indexes it does not have
    batches.push([]);
    for (const ix of batches) {
      assert.deepEqual(await lookup.get(ix), ix.map((i) => expected(i, n)));
    }
  } finally {
    await db.drop();
  }
});

Deno.test("staged strings: deleting a job deletes its staged strings, and only its", async () => {
  const db = await createTestDatabase("staged_strings_delete");
  try {
    const gone = await stagedJob(db.sql, 100, "Supprimé");
    const kept = await stagedJob(db.sql, 30, "Gardé");
    await db.sql`delete from public.import_jobs where id = ${gone}`;
    const counts = await db.sql<{ job_id: string; n: number }[]>`
      select job_id, count(*)::int as n from passerelle.import_shared_strings group by job_id`;
    assert.deepEqual(counts.map((r) => ({ ...r })), [{ job_id: kept, n: 30 }]);
  } finally {
    await db.drop();
  }
});
