/**
 * What a job costs in calls: the chain as pg_net delivers it (each request
 * queued by `passerelle.invoke` sent to the handler, as the net worker does),
 * counted in `migration_logs`, one row per call.
 */
import assert from "node:assert/strict";
import { importKit, SERVICE_KEY, testConfig } from "../../../scripts/testing/import_kit.ts";
import type { Kit } from "../../../scripts/testing/import_kit.ts";
import { startBudget } from "../../engine/budget.ts";
import { advanceImports } from "./advance_imports.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\n") + "\n");
const ROWS_20 = csv([
  "Prénom;Nom;Courriel;Société",
  ...Array.from({ length: 20 }, (_, i) => `Prénom${i};Nom${i};personne${i}@exemple.fr;Société ${i}`),
]);

/** Sends every queued pg_net request to the handler until none is left (or `max` were sent). */
async function deliver(kit: Kit, h: (r: Request) => Promise<Response>, max = 100): Promise<number> {
  let sent = 0;
  for (; sent < max; sent++) {
    const [req] = await kit.db.sql<{ id: number; body: Uint8Array }[]>`
      delete from net.http_request_queue where id = (select min(id) from net.http_request_queue)
      returning id, body`;
    if (!req) break;
    const res = await h(
      new Request("http://localhost/functions/v1/import-leads", {
        method: "POST",
        headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
        body: new TextDecoder().decode(req.body),
      }),
    );
    await res.body?.cancel();
  }
  return sent;
}

const calls = async (kit: Kit) => {
  const [{ n }] = await kit.db.sql<{ n: number }[]>`
    select count(*)::int as n from public.migration_logs where function_name = 'import-leads'`;
  return n;
};

Deno.test("a 20-row import costs at most 3 calls, chain included", async () => {
  const kit = await importKit("calls_20");
  const waits: Promise<unknown>[] = [];
  try {
    await kit.db.sql`select passerelle.store_secrets('http://127.0.0.1:1', ${SERVICE_KEY})`;
    const h = kit.handler("leads", {
      config: { ...testConfig, chain: true, workers: 2 },
      waitUntil: (p) => waits.push(p),
    });
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const path = await kit.put("vingt.csv", ROWS_20);
    const res = await kit.call(h, admin, { action: "start", companyId: kit.company, file: { path } });
    assert.equal(res.status, 202);
    const { jobId } = await res.json();
    await Promise.all(waits);
    await deliver(kit, h);
    const [job] = await kit.db.sql`select status, committed_rows from public.import_jobs where id = ${jobId}`;
    assert.deepEqual({ ...job }, { status: "completed", committed_rows: 20 });
    const n = await calls(kit);
    assert.ok(n <= 3, `${n} calls for 20 rows`);
  } finally {
    await Promise.all(waits);
    await kit.close();
  }
});

Deno.test("a job leased by a dead call makes no chain storm: calls stay bounded while the lease runs", async () => {
  const kit = await importKit("calls_dead");
  try {
    await kit.db.sql`select passerelle.store_secrets('http://127.0.0.1:1', ${SERVICE_KEY})`;
    const h = kit.handler("leads", { config: { ...testConfig, chain: true, workers: 2 } });
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const path = await kit.put("vingt.csv", ROWS_20);
    const { jobId } =
      await (await kit.call(h, admin, { action: "start", companyId: kit.company, file: { path } }))
        .json();
    // A call took the job and crashed: its lease runs for minutes more.
    await kit.db
      .sql`update public.import_jobs set status = 'parsing', leased_until = now() + interval '5 minutes'
                      where id = ${jobId}`;
    const cron = await h(
      new Request("http://localhost/functions/v1/import-leads", {
        method: "POST",
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        body: JSON.stringify({ trigger: "cron" }),
      }),
    );
    const answer = await cron.json();
    assert.equal(answer.chained, 0, "a call that found the job leased chains nothing");
    const sent = await deliver(kit, h);
    assert.equal(sent, 1, "only the start's own continuation was queued, and it chained nothing");
    assert.equal(await calls(kit), 2);
    const [{ queued }] = await kit.db.sql`select count(*)::int as queued from net.http_request_queue`;
    assert.equal(queued, 0);
  } finally {
    await kit.close();
  }
});

Deno.test("a call whose parse ended near its CPU budget leaves the commit to the next call", async () => {
  const kit = await importKit("calls_cpu");
  try {
    const h = kit.handler("leads");
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const path = await kit.put("vingt.csv", ROWS_20);
    const res = await kit.call(h, admin, { action: "start", companyId: kit.company, file: { path } });
    const { jobId } = await res.json();
    const deps = { sql: kit.db.sql, store: kit.store, kind: "leads" as const };
    // The parse's one flush costs 0.9 s of the call's 1.5 s of CPU (a meter the test moves): room is left
    // to end the parse, not for another step as costly.
    let cpu = 0;
    const budget = startBudget({ wallMs: 60_000, cpuMs: 1_500 }, {
      now: () => performance.now(),
      cpu: () => cpu,
    });
    await advanceImports({ ...deps, afterFlush: () => void (cpu += 900) }, budget);
    const job = async () => ({
      ...(await kit.db.sql`select status, committed_rows from public.import_jobs where id = ${jobId}`)[0],
    });
    assert.deepEqual(
      await job(),
      { status: "committing", committed_rows: 0 },
      "the commit waits for a call of its own",
    );
    await kit.drain("leads", deps);
    assert.deepEqual(await job(), { status: "completed", committed_rows: 20 });
  } finally {
    await kit.close();
  }
});

Deno.test("a call that read the last rows with too little CPU left leaves the end of the parse to the next call", async () => {
  const kit = await importKit("calls_cpu_end");
  try {
    const h = kit.handler("leads");
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const path = await kit.put("vingt.csv", ROWS_20);
    const res = await kit.call(h, admin, { action: "start", companyId: kit.company, file: { path } });
    const { jobId } = await res.json();
    const deps = { sql: kit.db.sql, store: kit.store, kind: "leads" as const };
    // The parse's one flush costs 1.1 s of the call's 1.5 s of CPU (a meter the test moves).
    let cpu = 0;
    const budget = startBudget({ wallMs: 60_000, cpuMs: 1_500 }, {
      now: () => performance.now(),
      cpu: () => cpu,
    });
    await advanceImports({ ...deps, afterFlush: () => void (cpu += 1_100) }, budget);
    const job = async () => ({
      ...(await kit.db
        .sql`select status, processed_rows, committed_rows from public.import_jobs where id = ${jobId}`)[0],
    });
    assert.deepEqual(
      await job(),
      { status: "parsing", processed_rows: 20, committed_rows: 0 },
      "every row stored, the end of the parse left to the next call",
    );
    await kit.drain("leads", deps);
    assert.deepEqual(await job(), { status: "completed", processed_rows: 20, committed_rows: 20 });
  } finally {
    await kit.close();
  }
});

Deno.test("a call that committed the last range with too little CPU left leaves the report and the job's end to the next call", async () => {
  const kit = await importKit("calls_cpu_commit_end");
  try {
    const h = kit.handler("leads");
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    // 20 people, then the first of them again: a duplicate, which the error report lists.
    const path = await kit.put(
      "vingt-et-un.csv",
      csv([
        "Prénom;Nom;Courriel;Société",
        ...Array.from({ length: 20 }, (_, i) => `Prénom${i};Nom${i};personne${i}@exemple.fr;Société ${i}`),
        "Prénom0;Nom0;personne0@exemple.fr;Société 0",
      ]),
    );
    const res = await kit.call(h, admin, { action: "start", companyId: kit.company, file: { path } });
    const { jobId } = await res.json();
    const deps = { sql: kit.db.sql, store: kit.store, kind: "leads" as const };
    const job = async () => ({
      ...(await kit.db.sql`select status, committed_rows, error_report_path is not null as report
                             from public.import_jobs where id = ${jobId}`)[0],
    });
    // Each call's CPU is a meter the test moves: the parse's one flush costs 1.1 s of the first call's
    // 1.5 s (its end is left to the next call), the one commit range 1.1 s of the second's.
    const meter = () => {
      let cpu = 0;
      return {
        budget: startBudget({ wallMs: 60_000, cpuMs: 1_500 }, {
          now: () => performance.now(),
          cpu: () => cpu,
        }),
        spend: () => void (cpu += 1_100),
      };
    };
    const first = meter();
    await advanceImports({ ...deps, afterFlush: first.spend }, first.budget);
    const second = meter();
    await advanceImports({ ...deps, afterRange: second.spend }, second.budget);
    assert.deepEqual(
      await job(),
      { status: "committing", committed_rows: 20, report: false },
      "every row committed, the report and the job's end left to the next call",
    );
    await kit.drain("leads", deps);
    assert.deepEqual(await job(), { status: "completed", committed_rows: 20, report: true });
  } finally {
    await kit.close();
  }
});
