/**
 * The tenant boundary over HTTP: anon, a signed-in user with no role, a member
 * and an admin of Acme, an admin of Globex and the service role, against every
 * action of both import functions (start, status, review, commit, cancel,
 * retry, undo, delete). Nobody reaches another company's job or file, and a
 * refused call changes nothing; the rightful callers' calls work.
 */
import assert from "node:assert/strict";
import { signJwt } from "../../../scripts/stack/keys.ts";
import { importKit, JWT_SECRET, type Kit, SERVICE_KEY } from "../../../scripts/testing/import_kit.ts";
import type { JobKind } from "./import_job.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");
const FILES: Record<JobKind, Uint8Array> = {
  leads: csv(["Nom;Courriel", "Globex SA;contact@globex.test", "Bad;pas-un-email"]),
  activities: csv(["Email du lead;Type;Résumé", "contact@globex.test;Appel;Rappeler"]),
};
const ACTIONS = ["status", "cancel", "retry", "commit", "undo", "delete"] as const;

async function world(kit: Kit) {
  const [{ id: globex }] = await kit.db.sql<{ id: number }[]>`
    insert into public.companies (name) values ('Globex') returning id`;
  const user = async (email: string) =>
    (await kit.db.sql<{ id: string }[]>`insert into auth.users (email) values (${email}) returning id`)[0].id;
  const admin2 = await user("admin@globex.test");
  await kit.db.sql`select passerelle.add_member(${globex}, ${admin2}, 'admin')`;
  const nobody = await user("personne@exemple.fr");
  const bearer = async (uid: string) => `Bearer ${await kit.token(uid)}`;
  return {
    globex,
    admin2,
    auth: {
      anon: null,
      "anon token": `Bearer ${await signJwt(JWT_SECRET, { role: "anon" })}`,
      "no role": await bearer(nobody),
      "member of 1": await bearer(kit.member),
      "admin of 1": await bearer(kit.admin),
      "admin of 2": await bearer(admin2),
      "service role": `Bearer ${SERVICE_KEY}`,
    } as Record<string, string | null>,
  };
}

async function send(h: (r: Request) => Promise<Response>, auth: string | null, body: unknown) {
  const res = await h(
    new Request("http://localhost/functions/v1/import", {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, body: await res.json() };
}

/** What a refused call must leave as it was: the job, its rows, the company's leads, the file. */
async function snapshot(kit: Kit, jobId: string, companyId: number) {
  const [job] = await kit.db.sql`select status, step, cancel_requested, undone_at, updated_at, file_path
                                   from public.import_jobs where id = ${jobId}`;
  const [{ rows }] = await kit.db
    .sql`select count(*)::int as rows from public.import_rows where job_id = ${jobId}`;
  const [{ leads }] = await kit.db
    .sql`select count(*)::int as leads from public.leads where company_id = ${companyId}`;
  const [{ acts }] = await kit.db
    .sql`select count(*)::int as acts from public.activities where company_id = ${companyId}`;
  return { job: { ...job }, rows, leads, acts, file: await kit.store.exists(job.file_path) };
}

Deno.test("HTTP matrix: no role reaches another company's import, for every action of both functions", async () => {
  const kit = await importKit("imp_tenancy");
  try {
    const w = await world(kit);
    const seen: string[] = [];
    for (const kind of ["leads", "activities"] as const) {
      const h = kit.handler(kind);
      const startIn = async (company: number, owner: string, auth: string | null) => {
        const path = `imports/${company}/${owner}/${kind}-${crypto.randomUUID()}.csv`;
        await kit.store.put(path, FILES[kind], { contentType: "text/csv" });
        return await send(h, auth, {
          action: "start",
          companyId: company,
          file: { path },
          options: { autoCommit: false, force: true },
          ...(auth === w.auth["service role"] ? { ownerId: owner } : {}),
        });
      };
      // A job of each company, parsed and waiting for review.
      const j2 = await startIn(w.globex, w.admin2, w.auth["admin of 2"]);
      const j1 = await startIn(kit.company, kit.admin, w.auth["admin of 1"]);
      assert.equal(j2.status, 202, JSON.stringify(j2.body));
      assert.equal(j1.status, 202, JSON.stringify(j1.body));
      await kit.drain(kind);
      const before = await snapshot(kit, j2.body.jobId, w.globex);
      assert.equal(before.job.status, "ready");

      const expectStart: Record<string, number> = {
        anon: 401,
        "anon token": 401,
        "no role": 403,
        "member of 1": 403,
        "admin of 1": 403,
      };
      for (const [role, status] of Object.entries(expectStart)) {
        const r = await send(h, w.auth[role], {
          action: "start",
          companyId: w.globex,
          file: { path: `imports/${w.globex}/${w.admin2}/x.csv` },
        });
        assert.equal(r.status, status, `${kind} start into Globex by ${role}: ${JSON.stringify(r.body)}`);
        seen.push(`${kind} start ${role} ${r.status}`);
      }
      // Every action on Globex's job (and, for those who are not its admin, on Acme's admin's job).
      const refused: [string, string, number][] = [
        ["anon", j2.body.jobId, 401],
        ["anon token", j2.body.jobId, 401],
        ["no role", j2.body.jobId, 404],
        ["no role", j1.body.jobId, 404],
        ["member of 1", j2.body.jobId, 404],
        ["member of 1", j1.body.jobId, 404],
        ["admin of 1", j2.body.jobId, 404],
        ["admin of 2", j1.body.jobId, 404],
      ];
      for (const [role, jobId, status] of refused) {
        for (const action of ACTIONS) {
          const r = await send(h, w.auth[role], { action, jobId });
          assert.equal(r.status, status, `${kind} ${action} by ${role}`);
          assert.equal(
            r.body.code,
            status === 401 ? (role === "anon" ? "auth_missing" : "auth_invalid") : "not_found",
          );
          if (status === 404) assert.doesNotMatch(JSON.stringify(r.body), /Globex|globex|ready|prêt/);
          seen.push(`${kind} ${action} ${role} ${r.status}`);
        }
      }
      assert.deepEqual(
        await snapshot(kit, j2.body.jobId, w.globex),
        before,
        `${kind}: Globex's job untouched`,
      );

      // The rightful callers: Globex's admin reviews and commits, the service role reads, undoes, deletes.
      const review = await send(h, w.auth["admin of 2"], { action: "status", jobId: j2.body.jobId });
      assert.equal(review.status, 200);
      assert.equal(review.body.status, "ready");
      assert.equal(review.body.counts.total, kind === "leads" ? 2 : 1);
      const service = await send(h, w.auth["service role"], { action: "status", jobId: j2.body.jobId });
      assert.equal(service.status, 200);
      const commit = await send(h, w.auth["admin of 2"], { action: "commit", jobId: j2.body.jobId });
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      await kit.drain(kind);
      const done = await send(h, w.auth["admin of 2"], { action: "status", jobId: j2.body.jobId });
      assert.equal(done.body.status, "completed");
      const undo = await send(h, w.auth["service role"], { action: "undo", jobId: j2.body.jobId });
      assert.equal(undo.status, 200, JSON.stringify(undo.body));
      const del = await send(h, w.auth["admin of 2"], { action: "delete", jobId: j2.body.jobId });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      const cancel = await send(h, w.auth["admin of 1"], { action: "cancel", jobId: j1.body.jobId });
      assert.equal(cancel.body.status, "cancelled");
      const retry = await send(h, w.auth["admin of 1"], { action: "retry", jobId: j1.body.jobId });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      const s1 = await startIn(kit.company, kit.admin, w.auth["service role"]);
      assert.equal(s1.status, 202, `the service role starts for an owner: ${JSON.stringify(s1.body)}`);
      if (kind === "activities") {
        const m = await startIn(kit.company, kit.member, w.auth["member of 1"]);
        assert.equal(m.status, 202, "a member imports activities into their company");
        const own = await send(h, w.auth["member of 1"], { action: "status", jobId: m.body.jobId });
        assert.equal(own.status, 200, "and sees their own job");
        const adminSees = await send(h, w.auth["admin of 1"], { action: "status", jobId: m.body.jobId });
        assert.equal(adminSees.status, 200, "as their company's admin does");
      } else {
        const m = await startIn(kit.company, kit.member, w.auth["member of 1"]);
        assert.equal(m.status, 403, "a member does not import leads");
      }
    }
    // 2 functions x (5 starts + 8 callers x 6 actions).
    assert.equal(seen.length, 2 * (5 + 8 * 6));
  } finally {
    await kit.close();
  }
});
