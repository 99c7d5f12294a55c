import assert from "node:assert/strict";
import { importKit, testConfig } from "../../../scripts/testing/import_kit.ts";

const csv = (lines: string[]) => new TextEncoder().encode("\ufeff" + lines.join("\r\n") + "\r\n");
const SMALL = csv([
  "Identifiant externe;Prénom;Nom;Courriel;Téléphone;Société;Montant",
  'L1;Émilie;Lefèvre;emilie@exemple.fr;06 12 34 56 78;Boulangerie\\Lefèvre\t"1";1 234,56 €',
  "L2;Jean;Martin;pas-un-email;06 12 34 56 79;Martin SA;10",
  'L3;Zoé;Durand;zoe@exemple.fr;06 12 34 56 70;=HYPERLINK("x");5',
  "L4;Emilie;Bis;EMILIE@exemple.fr;07 00 00 00 01;Doublon;1",
]);

function upload(bytes: Uint8Array, name: string, companyId: number, options: unknown = {}) {
  // The fields first, then the file, whose bytes stream to Storage as they arrive.
  const form = new FormData();
  form.set("companyId", String(companyId));
  form.set("options", JSON.stringify(options));
  form.set("file", new File([bytes as Uint8Array<ArrayBuffer>], name, { type: "text/csv" }));
  return form;
}

Deno.test("start answers 202 with the job id, refuses the same file twice, and keeps jobs private", async () => {
  const kit = await importKit("imp_handler");
  const waits: Promise<unknown>[] = [];
  try {
    const h = kit.handler("leads", { waitUntil: (p) => waits.push(p) });
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const member = await kit.token(kit.member);

    const refused = await kit.call(h, member, upload(SMALL, "leads.csv", kit.company));
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, "forbidden");

    const res = await kit.call(h, admin, upload(SMALL, "Leads été.csv", kit.company));
    assert.equal(res.status, 202);
    const { jobId } = await res.json();
    assert.match(jobId, /^[0-9a-f-]{36}$/);
    await Promise.all(waits); // the in-process first batch, as EdgeRuntime.waitUntil runs it
    await kit.drain("leads");

    const status = await (await kit.call(h, admin, { action: "status", jobId })).json();
    assert.equal(status.status, "completed");
    assert.deepEqual(
      { ...status.counts },
      {
        total: 4,
        processed: 4,
        valid: 4, // (row 3's "pas-un-email" is kept as written, with a warning)
        invalid: 0,
        warned: 1,
        duplicate: 1,
        committed: 3,
        inserted: 3,
        updated: 0,
        skipped: 1,
      },
    );
    assert.equal(status.progress, 100);
    assert.ok(status.errorReportUrl, "a signed URL of the error report");
    const [job] = await kit.db
      .sql`select error_report_path, file_path from public.import_jobs where id = ${jobId}`;
    assert.match(
      job.file_path,
      new RegExp(`^imports/${kit.company}/${kit.admin}/[0-9a-f]{64}/Leads_ete.csv$`),
    );
    const bytes = new Uint8Array(
      await new Response(await kit.store.get(job.error_report_path)).arrayBuffer(),
    );
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a BOM, for Excel");
    const report = new TextDecoder().decode(bytes);
    assert.match(report, /^Ligne;Champ;Erreur;/);
    assert.match(report, /3;Courriel;.*pas-un-email/);

    const again = await kit.call(h, admin, upload(SMALL, "copie.csv", kit.company));
    assert.equal(again.status, 409);
    const dup = await again.json();
    assert.equal(dup.code, "import_duplicate_file");
    assert.match(dup.message, new RegExp(jobId));
    const forced = await kit.call(h, admin, upload(SMALL, "copie.csv", kit.company, { force: true }));
    assert.equal(forced.status, 202);
    await Promise.all(waits);

    const other = await kit.token(kit.other);
    for (const action of ["status", "cancel", "undo", "delete"]) {
      const r = await kit.call(h, other, { action, jobId });
      assert.equal(r.status, 404, action);
      assert.equal((await r.json()).code, "not_found");
    }
    const leads = await kit.db
      .sql`select email, external_id, company_name from public.leads order by external_id`;
    assert.deepEqual(leads.map((l) => l.external_id), ["L1", "L2", "L3"]);
    assert.equal(leads[1].email, "pas-un-email", "an address that cannot be read is kept as written");
    assert.equal(
      leads[0].company_name,
      'Boulangerie\\Lefèvre\t"1"',
      "backslashes, tabs and quotes survive COPY",
    );
  } finally {
    await Promise.all(waits);
    await kit.close();
  }
});

Deno.test("start queues its continuation through pg_net in the job's transaction, and starts without Vault too", async () => {
  const kit = await importKit("imp_chain");
  try {
    const h = kit.handler("activities", { config: { ...testConfig, chain: true } });
    const member = await kit.token(kit.member);
    const start = (name: string) =>
      kit.call(
        h,
        member,
        upload(csv(["Email du lead;Type;Résumé", `${name}@exemple.fr;Appel;Rappeler`]), name, kit.company),
      );
    assert.equal((await start("sans-vault")).status, 202, "no Vault secret yet: the job starts all the same");
    await kit.db.sql`select passerelle.store_secrets('http://127.0.0.1:1', 'service-key')`;
    assert.equal((await start("avec-vault")).status, 202);
    const queued = await kit.db.sql`select url, body from net.http_request_queue`;
    assert.equal(queued.length, 1);
    assert.equal(queued[0].url, "http://127.0.0.1:1/functions/v1/batch-import-activities");
    const body = JSON.parse(new TextDecoder().decode(queued[0].body));
    assert.equal(body.trigger, "chain");
  } finally {
    await kit.close();
  }
});
