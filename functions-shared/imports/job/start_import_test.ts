import assert from "node:assert/strict";
import { importKit, type Kit } from "../../../scripts/testing/import_kit.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");
const LEADS = csv(["Nom;Courriel", "Dupont;dupont@exemple.fr", "Martin;martin@exemple.fr"]);

/** A second company (Globex) with its admin and a member, and a user with no role at all. */
async function globex(kit: Kit) {
  const [{ id }] = await kit.db.sql<{ id: number }[]>`
    insert into public.companies (name) values ('Globex') returning id`;
  const user = async (email: string, role: string | null) => {
    const [{ id: uid }] = await kit.db.sql<{ id: string }[]>`
      insert into auth.users (email) values (${email}) returning id`;
    if (role) await kit.db.sql`select passerelle.add_member(${id}, ${uid}, ${role})`;
    return uid;
  };
  return {
    id,
    admin: await user("admin@globex.test", "admin"),
    member: await user("membre@globex.test", "member"),
    nobody: await user("personne@exemple.fr", null),
  };
}

/** POSTs `body` as JSON with a user's token and an optional Accept-Language. */
async function post(
  kit: Kit,
  h: (r: Request) => Promise<Response>,
  userId: string,
  body: unknown,
  lang?: string,
) {
  const res = await h(
    new Request("http://localhost/functions/v1/import", {
      method: "POST",
      headers: {
        authorization: `Bearer ${await kit.token(userId)}`,
        "content-type": "application/json",
        ...(lang ? { "accept-language": lang } : {}),
      },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, body: await res.json() };
}

/** Every file under `dir`. */
function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...files(`${dir}/${e.name}`));
    else out.push(`${dir}/${e.name}`);
  }
  return out;
}

const jobs = async (kit: Kit) => (await kit.db.sql`select count(*)::int as n from public.import_jobs`)[0].n;

Deno.test("the file-path attack of the review is refused: no job, no row read, the other company's file kept", async () => {
  const kit = await importKit("imp_attack");
  try {
    const g = await globex(kit);
    // Globex's own file, at the README's example name and in its admin's upload folder.
    const legacy = `imports/${g.id}/leads-2026.csv`;
    await kit.store.put(legacy, LEADS, { contentType: "text/csv" });
    const own = `imports/${g.id}/${g.admin}/leads-2026.csv`;
    await kit.store.put(own, LEADS, { contentType: "text/csv" });
    for (const kind of ["leads", "activities"] as const) {
      const h = kit.handler(kind);
      const start = (userId: string, path: string) =>
        post(kit, h, userId, {
          action: "start",
          companyId: g.id,
          file: { path },
          options: { autoCommit: false },
        });
      const nobody = await start(g.nobody, legacy);
      assert.equal(nobody.status, 403, kind);
      assert.deepEqual(nobody.body, {
        code: "forbidden",
        message: `Vous n'êtes pas membre de la société ${g.id}`,
      });
      // A member of Globex, even, reads only their own folder: not the company's, not their admin's.
      for (const path of [legacy, own, `imports/${g.id}/${g.member}/../${g.admin}/leads-2026.csv`]) {
        const r = await start(g.member, path);
        assert.equal(r.status, 403, `${kind} ${path}`);
        assert.match(
          r.body.message,
          kind === "leads"
            ? /^Importer des leads demande d'être administrateur/
            : new RegExp(`votre dossier de dépôt « imports/${g.id}/${g.member}/ »`),
        );
      }
      // An admin of Acme is nobody in Globex.
      assert.equal((await start(kit.admin, own)).status, 403);
    }
    assert.equal(await jobs(kit), 0, "no job was created, so no import row holds Globex's cells");
    assert.ok(await kit.store.exists(legacy), "and no delete can remove the file");
    assert.ok(await kit.store.exists(own));
  } finally {
    await kit.close();
  }
});

Deno.test("start: a folder is a 400, and so are a long name, options of the wrong shape and unknown assignees", async () => {
  const kit = await importKit("imp_start_checks");
  try {
    const g = await globex(kit);
    const h = kit.handler("leads");
    const path = await kit.put("leads.csv", LEADS);
    const start = (extra: Record<string, unknown>, lang?: string) =>
      post(kit, h, kit.admin, { action: "start", companyId: kit.company, file: { path }, ...extra }, lang);

    for (const folder of [`imports/${kit.company}/`, `imports/${kit.company}/${kit.admin}/`]) {
      const r = await start({ file: { path: folder } });
      assert.deepEqual(r, {
        status: 400,
        body: { code: "bad_request", message: `file.path « ${folder} » est un dossier, pas un fichier` },
      });
    }
    const missing = await start({ file: { path: `imports/${kit.company}/${kit.admin}/absent.csv` } }, "en");
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /^No file "imports\/.*absent.csv" in Storage$/);

    const long = await start({ name: "x".repeat(201) });
    assert.equal(long.status, 400);
    assert.match(long.body.message, /^name : Trop grand : chaîne de caractères doit avoir <=200 caractères$/);
    const longEn = await start({ name: "x".repeat(201) }, "en-GB,en;q=0.9");
    assert.match(longEn.body.message, /^name: Too big: expected string to have <=200 characters$/);

    const shapes: [unknown, RegExp][] = [
      [
        { assignment: "x" },
        /^options\.assignment : Entrée invalide : objet attendu, chaîne de caractères reçu$/,
      ],
      [[], /^options : Entrée invalide : objet attendu, tableau reçu$/],
      [{ assignment: { mode: "tous" } }, /^options\.assignment\.mode : Option invalide : une valeur parmi/],
      [{ duplicateStratgy: "update" }, /^options : Clé non reconnue : "duplicateStratgy"$/],
      [{ autoCommit: "false" }, /^options\.autoCommit : Entrée invalide : booléen attendu/],
      [{ mapping: { Nom: 3 } }, /^options\.mapping\.Nom : /],
    ];
    for (const [options, message] of shapes) {
      const r = await start({ options });
      assert.equal(r.status, 400, JSON.stringify(options));
      assert.equal(r.body.code, "bad_request");
      assert.match(r.body.message, message);
    }

    const ghost = "00000000-0000-4000-8000-000000000001";
    for (const userId of [ghost, g.admin]) {
      const r = await start({ options: { assignment: { mode: "single", userId } } });
      assert.deepEqual(r, {
        status: 400,
        body: {
          code: "bad_request",
          message:
            `options.assignment : l'utilisateur ${userId} n'est pas membre de la société ${kit.company}`,
        },
      });
    }
    const rr = await start({
      options: { assignment: { mode: "round_robin", userIds: [kit.member, ghost] } },
    });
    assert.match(rr.body.message, new RegExp(`l'utilisateur ${ghost} n'est pas`));
    assert.deepEqual(await start({ ownerId: kit.member }), {
      status: 403,
      body: {
        code: "forbidden",
        message: "ownerId est réservé à la clé de service : un utilisateur importe en son propre nom",
      },
    });
    assert.equal(await jobs(kit), 0, "nothing was started");

    const ok = await start({
      name: "x".repeat(200),
      options: { assignment: { mode: "single", userId: kit.member } },
    });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    await kit.drain("leads");
    const leads = await kit.db.sql`select assigned_to from public.leads`;
    assert.deepEqual(
      leads.map((l) => l.assigned_to),
      [kit.member, kit.member],
      "a member's assignment commits",
    );
  } finally {
    await kit.close();
  }
});

Deno.test("a NUL in a header fails the import at once naming the column, instead of a crash loop", async () => {
  const kit = await importKit("imp_nul_header");
  try {
    const h = kit.handler("leads");
    // Past the sniffer's first KB, which would call the file binary.
    const headers = [
      "Nom",
      "Courriel",
      ...Array.from({ length: 120 }, (_, i) => `Colonne ${i}`),
      "Ré\u0000gion",
    ];
    const row = ["Dupont", "dupont@exemple.fr", ...headers.slice(2).map(() => "x")];
    const path = await kit.put("nul.csv", csv([headers.join(";"), row.join(";"), row.join(";")]));
    const r = await post(kit, h, kit.admin, { action: "start", companyId: kit.company, file: { path } });
    assert.equal(r.status, 202);
    const calls = await kit.drain("leads", {}, 10);
    assert.equal(calls, 1, "one call ends it");
    const status = await post(kit, h, kit.admin, { action: "status", jobId: r.body.jobId });
    assert.equal(status.body.status, "failed");
    assert.equal(
      status.body.errorMessage,
      "nul.csv : l'en-tête de la colonne 123 (« Ré␀gion ») contient un caractère nul (U+0000) : corrigez l'en-tête ou enregistrez le fichier au format CSV UTF-8",
    );
  } finally {
    await kit.close();
  }
});

Deno.test("the duplicate-file answer names the earlier job only to whom may see it", async () => {
  const kit = await importKit("imp_dup_file");
  try {
    const h = kit.handler("activities");
    const file = csv(["Email du lead;Type;Résumé", "a@exemple.fr;Appel;Rappeler"]);
    const start = async (userId: string, lang?: string) =>
      post(kit, h, userId, {
        action: "start",
        companyId: kit.company,
        file: { path: await kit.put("act.csv", file, userId) },
      }, lang);
    const first = await start(kit.member);
    assert.equal(first.status, 202);
    const jobId = first.body.jobId;

    const other = await start(kit.other);
    assert.equal(other.status, 409);
    assert.equal(other.body.code, "import_duplicate_file");
    assert.ok(!other.body.message.includes(jobId), "another member does not learn the job id");
    assert.match(
      other.body.message,
      /^Ce fichier a déjà été importé dans cette société par un autre utilisateur le .* UTC : envoyez options\.force = true pour l'importer à nouveau$/,
    );
    const otherEn = await start(kit.other, "en");
    assert.match(
      otherEn.body.message,
      /^This file was already imported into this company by another user on /,
    );

    for (const who of [kit.member, kit.admin]) {
      const r = await start(who);
      assert.equal(r.status, 409);
      assert.match(
        r.body.message,
        new RegExp(`^Ce fichier a déjà été importé par l'import ${jobId} \\(en attente, le `),
      );
    }
  } finally {
    await kit.close();
  }
});

Deno.test("HTTP errors speak the job's locale, else Accept-Language, else French", async () => {
  const kit = await importKit("imp_locale");
  try {
    const h = kit.handler("leads");
    const path = await kit.put("leads.csv", LEADS);
    const body = { action: "start", companyId: kit.company, file: { path } };
    const fr = await post(kit, h, kit.member, body);
    assert.deepEqual(fr.body, {
      code: "forbidden",
      message: `Importer des leads demande d'être administrateur de la société ${kit.company}`,
    });
    const en = await post(kit, h, kit.member, body, "de-DE, en;q=0.8, fr;q=0.5");
    assert.equal(en.body.message, `Importing leads needs the admin role in company ${kit.company}`);
    const optionEn = await post(kit, h, kit.member, { ...body, options: { locale: "en" } }, "fr");
    assert.equal(optionEn.body.message, en.body.message, "options.locale wins over the header");

    const unknown = await post(kit, h, kit.admin, { action: "purge", jobId: "x" }, "en");
    assert.deepEqual(unknown, {
      status: 400,
      body: {
        code: "bad_request",
        message: 'Unknown action "purge" (actions: start, status, cancel, retry, commit, undo, delete)',
      },
    });
    const notFound = await post(kit, h, kit.admin, { action: "status", jobId: crypto.randomUUID() });
    assert.equal(notFound.status, 404);
    assert.match(notFound.body.message, /^Aucun import « [0-9a-f-]{36} »$/);
    const noJobId = await post(kit, h, kit.admin, { action: "status" });
    assert.equal(noJobId.status, 400);
    assert.match(noJobId.body.message, /^jobId : /);

    const started = await post(kit, h, kit.admin, { ...body, options: { locale: "en", autoCommit: false } });
    assert.equal(started.status, 202);
    await kit.drain("leads");
    // The job speaks English, whatever the caller's header says.
    const undo = await post(kit, h, kit.admin, { action: "undo", jobId: started.body.jobId }, "fr");
    assert.deepEqual(undo, {
      status: 409,
      body: {
        code: "conflict",
        message: `Job ${started.body.jobId} is ready: nothing is committed yet (delete it, or commit it)`,
      },
    });
    const junk = await h(
      new Request("http://localhost/functions/v1/import", {
        method: "POST",
        headers: {
          authorization: `Bearer ${await kit.token(kit.admin)}`,
          "content-type": "application/json",
        },
        body: "{ pas du json",
      }),
    );
    assert.equal(junk.status, 400);
    assert.equal(
      (await junk.json()).message,
      "Le corps de la requête doit être un objet JSON ou un formulaire multipart/form-data",
    );
  } finally {
    await kit.close();
  }
});

Deno.test("a multipart start takes its fields before the file, and refuses a field that comes after it", async () => {
  const kit = await importKit("imp_multipart_order");
  try {
    const h = kit.handler("activities");
    const file = new File([csv(["Email du lead;Type;Résumé", "a@exemple.fr;Appel;Rappeler"])], "act.csv");
    const send = async (fields: [string, string | File][]) => {
      const form = new FormData();
      for (const [k, v] of fields) form.append(k, v);
      const res = await kit.call(h, await kit.token(kit.member), form);
      return { status: res.status, body: await res.json() };
    };
    const first = await send([["file", file], ["companyId", String(kit.company)]]);
    assert.deepEqual(first, {
      status: 400,
      body: {
        code: "bad_request",
        message:
          "Le fichier (champ multipart « file ») arrive avant « companyId » : envoyez les champs (companyId, options…) avant le fichier",
      },
    });
    const after = await send([["companyId", String(kit.company)], ["file", file], ["options", "{}"]]);
    assert.equal(after.status, 400);
    assert.match(after.body.message, /^Le champ multipart « options » vient après le fichier/);
    assert.equal(await jobs(kit), 0);
    assert.deepEqual(files(kit.dir), [], "and nothing is left in Storage");
    const ok = await send([["companyId", String(kit.company)], ["options", '{"locale":"en"}'], [
      "file",
      file,
    ]]);
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    const [job] = await kit.db.sql`select file_path, file_name, options from public.import_jobs`;
    assert.match(job.file_path, new RegExp(`^imports/${kit.company}/${kit.member}/[0-9a-f]{64}/act.csv$`));
    assert.equal(job.options.locale, "en");
  } finally {
    await kit.close();
  }
});
