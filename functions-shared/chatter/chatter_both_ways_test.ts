import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase, testClusterUrl } from "../../scripts/testing/test_database.ts";
import type { Sql } from "../deps.ts";
import { openBackup } from "../backup/backup_source.ts";
import { importDumpChatter } from "../backup/chatter_rows.ts";
import { writeDatasetBackup } from "../backup/testdata/dataset_backup.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import type { OdooReader } from "../sync/odoo_reader.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { activitySync } from "./activity_sync.ts";
import { messageSync } from "./message_sync.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

type Step = (
  ctx: { sql: Sql; budget: ReturnType<typeof budget> },
) => Promise<{ more: boolean; details?: unknown }>;

async function drain(sql: Sql, step: Step) {
  const sum = { inserted: 0, updated: 0, calls: 0 };
  for (let more = true; more; sum.calls++) {
    const r = await step({ sql, budget: budget() });
    const d = r.details as { inserted?: number; updated?: number };
    sum.inserted += d.inserted ?? 0;
    sum.updated += d.updated ?? 0;
    more = r.more;
  }
  return sum;
}

/** The chatter and activities as a user sees them: by Odoo id, with their lead's Odoo id; no local ids. */
async function chatterOf(sql: Sql) {
  const messages = await sql`
    select m.odoo_id, l.source_email_id as lead, m.message_type, m.subtype, m.subject, m.body, m.email_from,
           m.author_odoo_id, m.author_name, m.author_email, m.posted_at, m.tracking, m.attachment_odoo_ids,
           m.source_updated_at
      from public.lead_messages m left join public.leads l on l.id = m.lead_id order by m.odoo_id`;
  const activities = await sql`
    select a.odoo_id, l.source_email_id as lead, a.odoo_res_id, a.activity_type, a.type_label, a.summary,
           a.note, a.due_date, a.done, a.assigned_name, a.source_updated_at
      from public.activities a left join public.leads l on l.id = a.lead_id order by a.odoo_id`;
  const files = await sql`
    select m.odoo_id as message, f.odoo_attachment_id, lf.odoo_id as file
      from public.lead_message_files f join public.lead_messages m on m.id = f.message_id
      left join public.lead_files lf on lf.id = f.lead_file_id
     order by 1, 2`;
  return { messages: [...messages], activities: [...activities], files: [...files] };
}

Deno.test("the chatter and activities of 1,000 simulated leads arrive complete over the API and from a backup, the same rows both ways; a rerun changes nothing", async () => {
  const dataset = generateDataset({ leads: 1_000, attachments: 300, activities: 400, seed: 41 });
  const odoo = await startOdooSimulator({ dataset });
  const api = await createTestDatabase("chatter_api");
  const dump = await createTestDatabase("chatter_dump");
  const dir = await Deno.makeTempDir();
  try {
    const client: OdooReader = createOdooClient(
      {
        url: odoo.url,
        db: "crm_src",
        login: "admin",
        secret: "admin",
        transport: "jsonrpc",
        timeoutMs: 5_000,
      },
      { fetch, sleep: () => Promise.resolve() },
    );
    // Leads come over the API both ways (a backup brings files and chatter, not leads).
    for (const db of [api, dump]) await drain(db.sql, leadSync(client, { companyName: "Odoo" }) as Step);
    // The leads' files queued (as the archive's discovery queues them), so that attachments link.
    const onLeads = dataset.table("ir.attachment").rows
      .filter((a) => a.res_model === "crm.lead" && !a.res_field)
      .map((a) => ({ odoo_id: a.id, res_id: a.res_id, name: a.name }));
    for (const db of [api, dump]) {
      await db.sql`
        insert into public.lead_files (lead_id, odoo_id, name)
        select l.id, f.odoo_id, f.name
          from jsonb_to_recordset(${
        db.sql.json(onLeads as never)
      }) as f (odoo_id integer, res_id integer, name text)
          join public.leads l on l.source_email_id = 'odoo_crm_' || f.res_id`;
    }

    // Over the API: messages read before... and after the leads, in several pages.
    const messages = messageSync(client, { companyName: "Odoo", pageSize: 300 });
    const first = await drain(api.sql, messages as Step);
    const odooMessages = dataset.table("mail.message").rows.filter((m) => m.model === "crm.lead");
    assert.ok(odooMessages.length > 1_000, `a realistic chatter (${odooMessages.length} messages)`);
    assert.equal(first.inserted, odooMessages.length);
    assert.ok(first.calls >= 1);
    await drain(api.sql, activitySync(client, { companyName: "Odoo", pageSize: 300 }) as Step);

    // From the backup of the same Odoo.
    const written = await writeDatasetBackup(testClusterUrl(), dataset, dir, { chatter: true, checklist: 0 });
    const backup = await openBackup(written.folder);
    const fromDump = await importDumpChatter({ sql: dump.sql, backup });
    assert.equal(fromDump.messages.read, odooMessages.length);
    assert.equal(fromDump.messages.inserted, odooMessages.length);
    assert.equal(fromDump.activities.inserted, dataset.table("mail.activity").size);
    assert.deepEqual(fromDump.absent, []);
    assert.equal(fromDump.unlinkedMessages, 0);

    const viaApi = await chatterOf(api.sql);
    const viaDump = await chatterOf(dump.sql);
    assert.equal(viaApi.messages.length, odooMessages.length);
    assert.equal(viaApi.activities.length, dataset.table("mail.activity").size);
    assert.deepEqual(viaDump.messages, viaApi.messages, "the same messages both ways");
    assert.deepEqual(viaDump.activities, viaApi.activities, "the same activities both ways");
    assert.deepEqual(viaDump.files, viaApi.files);

    // What a user sees of one message of each kind, as Odoo holds it.
    const byId = new Map(viaApi.messages.map((m) => [m.odoo_id, m]));
    const tracked = dataset.table("mail.tracking.value").rows.find((t) => t.field_id === 9102)!;
    const stageMsg = byId.get(tracked.mail_message_id as number)!;
    const change = (stageMsg.tracking as { field: string }[]).find((c) => c.field === "user_id");
    assert.deepEqual(change, {
      field: "user_id",
      label: "Salesperson",
      type: "many2one",
      old: tracked.old_value_integer ? tracked.old_value_char : null,
      new: tracked.new_value_char,
      old_id: tracked.old_value_integer || null,
      new_id: tracked.new_value_integer,
    });
    assert.equal((stageMsg.tracking as { field: string }[])[0].field, "stage_id");
    const mail = odooMessages.find((m) => m.message_type === "email" && m.author_id)!;
    const author = dataset.table("res.partner").get(mail.author_id as number)!;
    assert.deepEqual(
      [
        byId.get(mail.id)!.subject,
        byId.get(mail.id)!.body,
        byId.get(mail.id)!.author_name,
        byId.get(mail.id)!.author_email,
      ],
      [mail.subject, mail.body, author.name, author.email],
    );
    assert.equal(byId.get(mail.id)!.lead, `odoo_crm_${mail.res_id}`);
    const withFile = odooMessages.find((m) => (m.attachment_ids as number[]).length > 0)!;
    const linked = viaApi.files.filter((f) => f.message === withFile.id);
    assert.deepEqual(linked.map((f) => f.odoo_attachment_id), withFile.attachment_ids);
    assert.deepEqual(linked.map((f) => f.file), withFile.attachment_ids, "each linked to its lead_files row");

    // Reruns: nothing written either way, nor when the other way comes after.
    const again = await drain(api.sql, messages as Step);
    assert.deepEqual([again.inserted, again.updated], [0, 0]);
    const dumpAgain = await importDumpChatter({ sql: dump.sql, backup });
    assert.deepEqual([dumpAgain.messages.inserted, dumpAgain.messages.updated], [0, 0]);
    assert.deepEqual([dumpAgain.activities.inserted, dumpAgain.activities.updated], [0, 0]);
    const onApi = await importDumpChatter({ sql: api.sql, backup });
    assert.deepEqual([onApi.messages.inserted, onApi.messages.updated, onApi.activities.updated], [0, 0, 0]);
    const apiOnDump = await drain(
      dump.sql,
      messageSync(client, { companyName: "Odoo", pageSize: 300 }) as Step,
    );
    assert.deepEqual([apiOnDump.inserted, apiOnDump.updated], [0, 0]);
    assert.deepEqual(await chatterOf(dump.sql), viaApi);
    backup.close();
  } finally {
    await odoo.close();
    await api.drop();
    await dump.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
