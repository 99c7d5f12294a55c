/**
 * The chatter of leads both ways, at the size the issue names (2,661 leads, 854 activities, their chatter:
 * about 1.4 messages a lead): `sync-odoo-messages` through the real handler against the simulator with
 * 20 ms of latency per call, beside a plain `search_read` of the same messages (Odoo's own read, no
 * tracking values, authors nor writes) in the same run; and import-dump's chatter from the backup of the
 * same Odoo, beside one pass of `readCopyTable` over its `mail_message` block. The two databases must end
 * with the same rows (the bench fails otherwise).
 */
import { openBackup } from "../../functions-shared/backup/backup_source.ts";
import { importDumpChatter } from "../../functions-shared/backup/chatter_rows.ts";
import { readCopyTable } from "../../functions-shared/backup/dump_reader.ts";
import { writeDatasetBackup } from "../../functions-shared/backup/testdata/dataset_backup.ts";
import { MESSAGE_FIELDS } from "../../functions-shared/chatter/message_row.ts";
import { messageSync } from "../../functions-shared/chatter/message_sync.ts";
import { postgres, type Sql } from "../../functions-shared/deps.ts";
import { startBudget } from "../../functions-shared/engine/budget.ts";
import { serveBatch } from "../../functions-shared/engine/serve_batch.ts";
import { processCpuMs } from "../../functions-shared/engine/usage.ts";
import { createOdooClient } from "../../functions-shared/odoo/client.ts";
import { leadSync } from "../../functions-shared/sync/lead_sync.ts";
import { generateDataset } from "../odoo_simulator/dataset.ts";
import { createTestDatabase, testClusterUrl } from "../testing/test_database.ts";
import { startOdooProcess } from "./odoo_process.ts";
import { type Bench, type CallCost, reportCallCosts } from "./report.ts";

const KEY = "bench-service-role-key";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function counted(url: string): { sql: Sql; trips: () => number } {
  let n = 0;
  const sql = postgres(url, { max: 3, prepare: false, onnotice: () => {}, debug: () => void n++ });
  return { sql, trips: () => n };
}

const chatterOf = (sql: Sql) =>
  sql`select odoo_id, lead_id is not null as linked, message_type, subtype, subject, body, email_from,
             author_name, author_email, posted_at, tracking, attachment_odoo_ids, source_updated_at
        from public.lead_messages order by odoo_id`;

export const benchChatter: Bench = async (report, { quick }) => {
  const leads = quick ? 1_000 : 2_661;
  const activities = quick ? 320 : 854;
  const seed = 61;
  const odooProc = await startOdooProcess([
    "--leads",
    String(leads),
    "--activities",
    String(activities),
    "--latency",
    "20",
    "--seed",
    String(seed),
  ]);
  const api = await createTestDatabase("bench_chatter_api");
  const dump = await createTestDatabase("bench_chatter_dump");
  const dir = await Deno.makeTempDir({ prefix: "passerelle-bench-chatter-" });
  const config = {
    url: odooProc.url,
    db: "crm_src",
    login: "admin",
    secret: "admin",
    transport: "jsonrpc" as const,
    timeoutMs: 30_000,
  };
  const budget = () =>
    startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
  try {
    const odoo = createOdooClient(config, { fetch, sleep });
    for (const db of [api, dump]) {
      const sync = leadSync(odoo, { companyName: "Bench" });
      while ((await sync({ sql: db.sql, budget: budget() })).more) { /* pages */ }
    }

    // Odoo's own read of the messages, the sync's pages and fields, nothing else.
    const reader = createOdooClient(config, { fetch, sleep });
    await reader.authenticate();
    const t0 = performance.now();
    let read = 0;
    for (let cursor = 0;;) {
      const page = await reader.searchRead<{ id: number }>("mail.message", [
        ["model", "=", "crm.lead"],
        ["id", ">", cursor],
      ], { fields: MESSAGE_FIELDS, order: "id asc", limit: 1000 });
      if (page.length === 0) break;
      read += page.length;
      cursor = page[page.length - 1].id;
    }
    const readS = (performance.now() - t0) / 1000;

    // sync-odoo-messages through its handler.
    const { sql, trips } = counted(api.url);
    const client = createOdooClient(config, { fetch, sleep });
    const handler = serveBatch({
      name: "sync-odoo-messages",
      config: { serviceRoleKey: KEY, budget: { wallMs: 50_000, cpuMs: 1_500 }, workers: 1, chain: false },
      sql,
      step: messageSync(client, { companyName: "Bench" }),
    });
    const calls: CallCost[] = [];
    const t1 = performance.now();
    while (true) {
      const res = await handler(
        new Request("http://x", { method: "POST", headers: { authorization: `Bearer ${KEY}` } }),
      );
      const body = await res.json();
      if (res.status !== 200) throw new Error(`message sync failed: ${JSON.stringify(body)}`);
      calls.push({
        cpuMs: body.cpuMs,
        peakMemoryMb: body.peakMemoryMb,
        elapsedS: body.elapsedS,
        step: "sync",
      });
      if (!body.remainingFlag) break;
    }
    const syncS = (performance.now() - t1) / 1000;
    const [{ n }] = await sql`select count(*)::int as n from public.lead_messages`;
    if (n !== read) throw new Error(`synced ${n} of ${read} messages`);
    const odooCalls = (client.stats.calls / n) * 1000;
    const dbTrips = (trips() / n) * 1000;
    await sql.end();

    // The backup of the same Odoo (the simulator's dataset, built from the same options).
    const dataset = generateDataset({ leads, activities, seed });
    const written = await writeDatasetBackup(testClusterUrl(), dataset, dir, { chatter: true, checklist: 0 });
    const backup = await openBackup(written.folder);
    const t2 = performance.now();
    let dumpRows = 0;
    for await (
      const _ of readCopyTable(backup.dump(), { table: "mail_message", columns: ["id", "model", "body"] })
    ) dumpRows++;
    const scanS = (performance.now() - t2) / 1000;
    const t3 = performance.now();
    const summary = await importDumpChatter({ sql: dump.sql, backup });
    const importS = (performance.now() - t3) / 1000;
    backup.close();
    if (summary.messages.inserted !== n || dumpRows < n) {
      throw new Error(`import-dump wrote ${summary.messages.inserted} of ${n} messages`);
    }
    const [a, b] = [await chatterOf(api.sql), await chatterOf(dump.sql)];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error("the API and the backup gave different rows");
    }

    const bench = "chatter";
    report({
      bench,
      figure: `sync-odoo-messages, ${n} messages of ${leads} leads, 20 ms latency (s)`,
      value: syncS,
      unit: "s",
      baseline: readS,
      ratio: syncS / readS,
      target: "beside a plain search_read of the messages",
    });
    report({ bench, figure: "messages/s over the API", value: n / syncS, unit: "msg/s" });
    report({ bench, figure: "Odoo calls per 1,000 messages", value: odooCalls, unit: "calls" });
    report({ bench, figure: "database round trips per 1,000 messages", value: dbTrips, unit: "trips" });
    reportCallCosts(report, bench, calls);
    report({
      bench,
      figure: `import-dump's chatter: ${n} messages, ${summary.activities.inserted} activities (s)`,
      value: importS,
      unit: "s",
      baseline: scanS,
      ratio: importS / scanS,
      target: "beside one pass over mail_message",
    });
  } finally {
    await api.drop();
    await dump.drop();
    await odooProc.stop();
    await Deno.remove(dir, { recursive: true });
  }
};
