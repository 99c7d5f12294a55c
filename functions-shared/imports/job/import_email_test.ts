import assert from "node:assert/strict";
import { startResendStandin } from "../../../scripts/resend_standin/server.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

const FILE = new TextEncoder().encode(
  "Prénom;Nom;Courriel\r\nÉmilie;Lefèvre;emilie@exemple.fr\r\nJean;Martin;x\r\n",
);

Deno.test("a large job's end is emailed through Resend, and skipped cleanly without a key", async () => {
  const kit = await importKit("imp_email");
  const resend = startResendStandin({ keys: ["re_test_key"] });
  try {
    const path = await kit.put("mail.csv", FILE);
    const start = (options: Record<string, unknown>) =>
      startImport(
        { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
        { kind: "user", userId: kit.admin, email: "admin@exemple.fr" },
        { companyId: kit.company, path, options: { force: true, ...options } },
      );
    const a = await start({ locale: "en" });
    await kit.drain("leads", {
      email: {
        resend: { apiKey: "re_test_key", url: resend.url, from: "Passerelle <imports@exemple.fr>" },
        minRows: 2,
      },
    });
    assert.equal(resend.sent.length, 1);
    assert.deepEqual(resend.sent[0].to, ["admin@exemple.fr"]);
    assert.equal(resend.sent[0].subject, "Import of mail.csv: completed");
    // (the address "x" is kept as written, with a warning: README, "Validity policy")
    assert.match(resend.sent[0].text!, /Valid: 2, invalid: 0/);
    const [ja] = await kit.db.sql`
      select payload ->> 'email' as email, error_report_path from public.import_jobs where id = ${a.jobId}`;
    assert.equal(ja.email, `sent: ${resend.sent[0].id}`);
    const report = new TextDecoder().decode(
      new Uint8Array(await new Response(await kit.store.get(ja.error_report_path)).arrayBuffer()),
    );
    assert.match(
      report,
      /^Row;Field;Error;Prénom;Nom;Courriel\r\n3;Courriel;.*Courriel.*: invalid address \(value/,
      "English report",
    );

    const b = await start({});
    await kit.drain("leads", { email: { minRows: 2 } });
    const [jb] = await kit.db
      .sql`select payload ->> 'email' as email from public.import_jobs where id = ${b.jobId}`;
    assert.equal(jb.email, "skipped: no RESEND_API_KEY");

    const c = await start({});
    await kit.drain("leads", {
      email: { resend: { apiKey: "re_revoked", url: resend.url, from: "imports@exemple.fr" }, minRows: 2 },
    });
    const [jc] = await kit.db
      .sql`select status, payload ->> 'email' as email from public.import_jobs where id = ${c.jobId}`;
    assert.equal(jc.status, "completed", "a refused email never fails the import");
    assert.match(jc.email, /^failed: Resend answered 403: invalid_api_key/);
    assert.equal(resend.sent.length, 1);
  } finally {
    await resend.close();
    await kit.close();
  }
});
