/**
 * `deno task test:live`: the acceptance against a real Odoo, opt-in, never in CI. Skipped unless
 * ODOO_LIVE_URL, ODOO_LIVE_DB and ODOO_LIVE_LOGIN with ODOO_LIVE_PASSWORD or ODOO_LIVE_API_KEY are set
 * (ODOO_LIVE_TRANSPORT: jsonrpc, the default, or json2). Into a fresh database and a local bucket, it
 * syncs every lead and archives every attachment with the functions' own steps, then checks every lead
 * field by field against Odoo's own `search_read`, and every stored file's sha1 against the bytes Odoo's
 * `read` gives, and prints the speed ratios (sync vs Odoo's own `search_read` of the same leads and
 * fields; archive vs one attachment per call, and Odoo requests per 100 files).
 *
 * It only reads from Odoo. README, "Tests and benchmarks", says how to run a real Odoo here.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { archiveFiles, sha1Hex } from "../../functions-shared/archive/archive_step.ts";
import { startBudget } from "../../functions-shared/engine/budget.ts";
import { processCpuMs } from "../../functions-shared/engine/usage.ts";
import { createOdooClient } from "../../functions-shared/odoo/client.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import { LEAD_FIELDS, leadSync } from "../../functions-shared/sync/lead_sync.ts";
import { createTestDatabase } from "../testing/test_database.ts";

const env = Deno.env.toObject();
const secret = env.ODOO_LIVE_API_KEY || env.ODOO_LIVE_PASSWORD || "";
const live = Boolean(env.ODOO_LIVE_URL && env.ODOO_LIVE_DB && env.ODOO_LIVE_LOGIN && secret);
const ALL = { active_test: false };
const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 1_500 }, { now: () => performance.now(), cpu: processCpuMs });

type Lead = Record<string, unknown> & { id: number };
const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
const m2oName = (v: unknown) => (Array.isArray(v) ? String(v[1]) : null);
const utc = (
  v: unknown,
) => (typeof v === "string" ? new Date(`${v.replace(" ", "T")}Z`).toISOString() : null);

/** What the sync must have written for an Odoo lead (README, "Lead mapping"). */
function expected(l: Lead, tags: Map<number, string>) {
  return {
    title: text(l.name) ?? `Odoo lead ${l.id}`,
    lead_type: text(l.type),
    contact_name: text(l.contact_name),
    company_name: text(l.partner_name),
    email: text(l.email_from)?.toLowerCase() ?? null,
    phone: text(l.phone),
    expected_revenue: Math.round(Number(l.expected_revenue ?? 0) * 100) / 100,
    probability: Math.min(100, Math.max(0, Math.round(Number(l.probability ?? 0) * 100) / 100)),
    priority: text(l.priority) === null ? null : Number(l.priority),
    stage: m2oName(l.stage_id),
    salesperson: m2oName(l.user_id),
    tags: (Array.isArray(l.tag_ids) ? l.tag_ids : []).map((t) => tags.get(t as number) ?? `tag ${t}`),
    description: text(l.description),
    active: l.active !== false,
    source_created_at: utc(l.create_date),
    source_updated_at: utc(l.write_date),
  };
}

Deno.test({
  name: "live Odoo: every lead synced field by field, every file archived with Odoo's own bytes",
  ignore: !live,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const config = {
      url: env.ODOO_LIVE_URL!,
      db: env.ODOO_LIVE_DB!,
      login: env.ODOO_LIVE_LOGIN!,
      secret,
      transport: (env.ODOO_LIVE_TRANSPORT === "json2" ? "json2" : "jsonrpc") as "json2" | "jsonrpc",
      timeoutMs: 120_000,
    };
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const odoo = createOdooClient(config, { fetch, sleep });
    const db = await createTestDatabase("live");
    const dir = await Deno.makeTempDir({ prefix: "passerelle-live-" });
    try {
      // Odoo's own read of the same leads and fields (authenticated first, as a sync's process is).
      await odoo.authenticate();
      const t0 = performance.now();
      const leads = await odoo.searchRead<Lead>("crm.lead", [], {
        fields: LEAD_FIELDS,
        order: "id asc",
        context: ALL,
      });
      const readS = (performance.now() - t0) / 1000;

      const sync = leadSync(odoo, { companyName: "Odoo live" });
      const t1 = performance.now();
      while ((await sync({ sql: db.sql, budget: budget() })).more) { /* every call of the first pass */ }
      const syncS = (performance.now() - t1) / 1000;

      const tagRows = await odoo.searchRead<{ id: number; name: string }>("crm.tag", [], {
        fields: ["id", "name"],
        context: ALL,
      });
      const tags = new Map(tagRows.map((t) => [t.id, t.name]));
      const rows = await db.sql`
        select odoo_id, title, lead_type, contact_name, company_name, email, phone,
               expected_revenue::float8 as expected_revenue, probability::float8 as probability, priority, stage,
               salesperson, tags, description, active,
               to_char(source_created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as source_created_at,
               to_char(source_updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as source_updated_at
          from public.leads order by odoo_id`;
      assert.equal(rows.length, leads.length, "every Odoo lead, once");
      const byId = new Map(rows.map((r) => [r.odoo_id as number, r]));
      for (const l of leads) {
        const { odoo_id: _, ...got } = byId.get(l.id) ?? {};
        assert.deepEqual(got, expected(l, tags), `crm.lead ${l.id}`);
      }

      // Every attachment of a lead: archived, its stored bytes Odoo's own.
      const archive = archiveFiles({ odoo, store: localStore({ dir, bucket: "estimation-files" }) });
      const calls0 = odoo.stats.calls;
      const t2 = performance.now();
      while ((await archive({ sql: db.sql, budget: budget() })).more) { /* discover and archive */ }
      const archiveS = (performance.now() - t2) / 1000;
      const archiveCalls = odoo.stats.calls - calls0;
      const files = await db.sql<
        { odoo_id: number; storage_path: string | null; status: string; error_code: string | null }[]
      >`
        select odoo_id, storage_path, status, error_code from public.lead_files order by odoo_id`;
      const done = files.filter((f) => f.status === "done");
      // Every attachment of a synced lead has its row, its name, type, size and checksum as Odoo has them
      // (names untrimmed; a link has no size, an empty file no checksum: README, "Lead files").
      const odooFiles = await odoo.searchRead<Record<string, unknown> & { id: number; res_id: number }>(
        "ir.attachment",
        [["res_model", "=", "crm.lead"]],
        { fields: ["id", "name", "mimetype", "checksum", "file_size", "type", "res_id"], order: "id asc" },
      );
      const synced = new Set(leads.map((l) => l.id));
      const meta = new Map(
        (await db.sql`select odoo_id, name, mimetype, checksum, file_size::float8 as file_size, odoo_type
                        from public.lead_files`).map((r) => [r.odoo_id as number, r]),
      );
      for (const a of odooFiles.filter((a) => synced.has(a.res_id))) {
        const { odoo_id: _, ...got } = meta.get(a.id) ?? {};
        assert.deepEqual(got, {
          name: text(a.name) ?? `attachment-${a.id}`,
          mimetype: text(a.mimetype),
          checksum: text(a.checksum),
          file_size: a.type === "url" ? null : Number(a.file_size),
          odoo_type: a.type,
        }, `ir.attachment ${a.id}`);
      }
      for (const f of files) {
        assert.ok(
          f.status === "done" || ["attachment_url", "lead_missing"].includes(f.error_code ?? ""),
          `attachment ${f.odoo_id}: ${f.status} ${f.error_code}`,
        );
      }
      const t3 = performance.now();
      for (const f of done) {
        const [row] = await odoo.read<{ datas: string | false }>("ir.attachment", [f.odoo_id], ["datas"]);
        const theirs = sha1Hex(Buffer.from(typeof row.datas === "string" ? row.datas : "", "base64"));
        const ours = sha1Hex(await Deno.readFile(`${dir}/estimation-files/${f.storage_path}`));
        assert.equal(ours, theirs, `attachment ${f.odoo_id}: the stored bytes are Odoo's`);
      }
      const oneByOneS = (performance.now() - t3) / 1000; // one attachment per call: the baseline
      // The figures, as the names of steps: `deno test --quiet` (scripts/test.sh) hides console output.
      const say = (text: string) => t.step(text, () => {});
      await say(
        `sync: ${leads.length} leads in ${syncS.toFixed(2)} s, Odoo's own search_read ${
          readS.toFixed(2)
        } s ` +
          `(${(syncS / readS).toFixed(2)}x, target <= 1.5x)`,
      );
      await say(
        `archive: ${done.length} files in ${archiveS.toFixed(2)} s, one attachment per call ` +
          `${oneByOneS.toFixed(2)} s (${(oneByOneS / archiveS).toFixed(1)}x, target >= 10x); ` +
          `${
            ((archiveCalls / Math.max(1, files.length)) * 100).toFixed(1)
          } Odoo requests per 100 files (target <= 5)`,
      );
    } finally {
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
