import assert from "node:assert/strict";
import { generateDataset, type Row } from "./dataset.ts";
import { sha1Hex } from "./content.ts";

const ds = generateDataset({
  leads: 2000,
  seed: 42,
  attachments: 120,
  largeAttachments: { count: 1, bytes: 20_000_000 },
});
const leads = ds.table("crm.lead").rows;
const attachments = ds.table("ir.attachment").rows.filter((a) => a.res_model === "crm.lead");

Deno.test("generateDataset() is deterministic for a seed and differs across seeds", () => {
  const again = generateDataset({ leads: 2000, seed: 42, attachments: 120 });
  const other = generateDataset({ leads: 2000, seed: 43, attachments: 120 });
  const sig = (rows: Row[]) => JSON.stringify(rows.slice(0, 50));
  assert.equal(sig(again.table("crm.lead").rows), sig(leads));
  assert.notEqual(sig(other.table("crm.lead").rows), sig(leads));
});

Deno.test("generateDataset() makes the requested leads with gaps, ~5% archived, empty and duplicate e-mails", () => {
  assert.equal(leads.length, 2000);
  assert.ok(leads.at(-1)!.id > 2000 + 200, "ids skip a lost batch");
  const archived = leads.filter((l) => l.active === false).length;
  assert.ok(archived > 2000 * 0.03 && archived < 2000 * 0.07, `${archived} archived`);
  assert.ok(leads.some((l) => l.email_from === false));
  const emails = leads.map((l) => String(l.email_from).toLowerCase()).filter((e) => e !== "false");
  assert.ok(new Set(emails).size < emails.length, "some e-mails repeat");
  assert.ok(leads.some((l) => /[\u{1F300}-\u{1FAFF}]/u.test(String(l.name))), "emoji in names");
  assert.ok(leads.some((l) => /[éèàçô]/.test(String(l.contact_name))), "accents in names");
});

Deno.test("generateDataset() shares create_date within a batch and keeps microseconds", () => {
  for (const l of leads) assert.match(String(l.create_date), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  const distinct = new Set(leads.map((l) => l.create_date));
  assert.equal(distinct.size, Math.ceil(2000 / 250), "one create_date per batch of 250");
  const byWrite = Map.groupBy(leads, (l) => String(l.write_date));
  assert.ok([...byWrite.values()].some((g) => g.length > 10), "rows of one write share write_date");
});

Deno.test("generateDataset() links partners as companies and contacts", () => {
  const partners = ds.table("res.partner");
  const contact = partners.rows.find((p) => typeof p.parent_id === "number")!;
  assert.equal(partners.get(contact.parent_id as number)!.is_company, true);
  assert.ok(leads.some((l) => typeof l.partner_id === "number"));
});

Deno.test("generated attachments: checksum is the sha1 of the bytes, shared contents share it", () => {
  for (const a of attachments.filter((a) => a.type === "binary" && Number(a.file_size) < 1_000_000)) {
    const bytes = ds.attachmentBytes(a.id)!;
    assert.equal(bytes.length, a.file_size, `size of ${a.name}`);
    assert.equal(ds.contentChecksum(a.id), bytes.length ? sha1Hex(bytes) : false, `checksum of ${a.name}`);
  }
  const logos = attachments.filter((a) => String(a.name).startsWith("logo")).map((a) =>
    ds.contentChecksum(a.id)
  );
  assert.equal(logos.length, 3);
  assert.equal(new Set(logos).size, 1);
  assert.equal(ds.contentChecksum(attachments.find((a) => a.name === "vide.txt")!.id), false);
});

Deno.test("generated attachments include url ones, an orphan and hostile names", () => {
  const url = attachments.find((a) => a.type === "url")!;
  assert.equal(url.file_size, 0);
  assert.equal(ds.attachmentBytes(url.id), null);
  const orphans = attachments.filter((a) => !ds.table("crm.lead").get(a.res_id as number));
  assert.equal(orphans.length, 1);
  assert.ok(attachments.some((a) => a.name === "../../etc/passwd.txt"));
  assert.equal(attachments.length, 120);
});

Deno.test("a 20 MB attachment is made when read, not kept", () => {
  const big = attachments.find((a) => a.file_size === 20_000_000)!;
  const content = ds.contents.get(big.id)!;
  assert.equal(content.kind, "generated");
  const a = ds.attachmentBytes(big.id)!;
  assert.equal(a.length, 20_000_000);
  assert.deepEqual(
    a.subarray(0, 4096),
    ds.attachmentBytes(big.id)!.subarray(0, 4096),
    "same bytes every read",
  );
});

Deno.test("mutators: editLead() moves write_date forward, createLead() takes a fresh id", () => {
  const d = generateDataset({ leads: 300, seed: 1, attachments: 20 });
  const t = d.table("crm.lead");
  const first = t.rows[0];
  const before = String(first.write_date);
  const at = d.editLead(first.id, { name: "Renamed" });
  assert.ok(at > before);
  assert.equal(t.get(first.id)!.name, "Renamed");
  const orphanLead = d.table("ir.attachment").rows.find((a) => a.name === "orphelin.pdf")!.res_id as number;
  const id = d.createLead({ name: "Nouveau 🚀" });
  assert.ok(id > orphanLead, "the deleted lead's id is not reused");
  assert.equal(t.get(id)!.create_date, t.get(id)!.write_date);
  const shared = d.touchLeads([t.rows[1].id, t.rows[2].id]);
  assert.equal(t.rows[1].write_date, shared);
  assert.equal(t.rows[2].write_date, shared);
  d.archiveLead(id);
  assert.equal(t.get(id)!.active, false);
});

Deno.test("mutators: deleteLead() removes the lead's attachments unless asked to leave orphans", () => {
  const d = generateDataset({ leads: 300, seed: 2, attachments: 30 });
  const on = (leadId: number) => d.table("ir.attachment").rows.filter((a) => a.res_id === leadId);
  const linked = d.table("ir.attachment").rows.filter((x) =>
    x.res_model === "crm.lead" && d.table("crm.lead").get(x.res_id as number)
  );
  const [a, b] = [...new Set(linked.map((x) => x.res_id as number))];
  d.deleteLead(a);
  assert.equal(on(a).length, 0);
  assert.equal(d.table("crm.lead").get(a), undefined);
  d.deleteLead(b, { keepAttachments: true });
  assert.ok(on(b).length > 0);
  assert.throws(() => d.deleteLead(a), /no crm.lead/);
});
