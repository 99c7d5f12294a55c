/**
 * What the import tests share: a fresh migrated database, a local bucket in a
 * temporary directory, a company with an admin and two members, signed user
 * tokens, the handler, and `drain()`, which advances a job call after call,
 * each with its own budget, as cron and the chain would. Only tests import it.
 */
import { signJwt } from "../stack/keys.ts";
import { createTestDatabase, type TestDatabase } from "./test_database.ts";
import { startBudget } from "../../functions-shared/engine/budget.ts";
import { processCpuMs } from "../../functions-shared/engine/usage.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import type { ObjectStore } from "../../functions-shared/storage/object_store.ts";
import { type AdvanceDeps, advanceImports } from "../../functions-shared/imports/job/advance_imports.ts";
import { importHandler, type ImportHandlerDeps } from "../../functions-shared/imports/job/import_handler.ts";
import type { JobKind } from "../../functions-shared/imports/job/import_job.ts";

export const JWT_SECRET = "a-jwt-secret-of-the-project-for-tests-only";
export const SERVICE_KEY = "service-role-key-for-import-tests";

/** Test configuration: no chaining through pg_net (Vault holds no key here). */
export const testConfig = {
  serviceRoleKey: SERVICE_KEY,
  jwtSecret: JWT_SECRET,
  budget: { wallMs: 50_000, cpuMs: 1_500 },
  workers: 1,
  chain: false,
};

/** A test's world. */
export interface Kit {
  db: TestDatabase;
  store: ObjectStore;
  dir: string;
  company: number;
  /** Admin of `company` (and operator: `user_roles` admin). */
  admin: string;
  /** Members of `company`. */
  member: string;
  other: string;
  token: (userId: string, email?: string) => Promise<string>;
  handler: (kind: JobKind, extra?: Partial<ImportHandlerDeps>) => (req: Request) => Promise<Response>;
  /** POSTs JSON (or a FormData) with a bearer token. */
  call: (h: (r: Request) => Promise<Response>, token: string, body: unknown) => Promise<Response>;
  /** Advances jobs of `kind` until none is active (an undo under way is active) or `maxCalls` calls were made; returns the calls made. */
  drain: (kind: JobKind, extra?: Partial<AdvanceDeps>, maxCalls?: number, cpuMs?: number) => Promise<number>;
  /** Puts `bytes` at `imports/<company>/<owner>/<name>` (the owner's upload folder; default the admin) and returns the key. */
  put: (name: string, bytes: Uint8Array, owner?: string) => Promise<string>;
  close: () => Promise<void>;
}

/** Sets up a kit; call `close()` at the end. */
export async function importKit(label: string): Promise<Kit> {
  const db = await createTestDatabase(label);
  const dir = await Deno.makeTempDir({ prefix: "imports-test-" });
  const store = localStore({ dir, bucket: "estimation-files" });
  const [{ id: company }] = await db.sql<{ id: number }[]>`
    insert into public.companies (name) values ('Boulangerie Lefèvre') returning id`;
  const user = async (email: string, role: string | null) => {
    const [{ id }] = await db.sql<
      { id: string }[]
    >`insert into auth.users (email) values (${email}) returning id`;
    if (role === "admin") await db.sql`insert into public.user_roles (user_id, role) values (${id}, ${role})`;
    if (role) await db.sql`select passerelle.add_member(${company}, ${id}, ${role})`;
    return id;
  };
  const admin = await user("admin@exemple.fr", "admin");
  const member = await user("membre@exemple.fr", "member");
  const other = await user("autre@exemple.fr", "member");
  return {
    db,
    store,
    dir,
    company,
    admin,
    member,
    other,
    token: (sub, email) => signJwt(JWT_SECRET, { role: "authenticated", sub, ...(email ? { email } : {}) }),
    handler: (kind, extra = {}) =>
      importHandler({
        name: kind === "leads" ? "import-leads" : "batch-import-activities",
        kind,
        config: testConfig,
        sql: db.sql,
        store,
        ...extra,
      }),
    call: (h, token, body) =>
      h(
        new Request("http://localhost/functions/v1/import", {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            ...(body instanceof FormData ? {} : { "content-type": "application/json" }),
          },
          body: body instanceof FormData ? body : JSON.stringify(body),
        }),
      ),
    async drain(kind, extra = {}, maxCalls = 500, cpuMs = testConfig.budget.cpuMs) {
      let calls = 0;
      for (; calls < maxCalls; calls++) {
        const [{ n }] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from public.import_jobs
           where kind = ${kind} and (status in ('queued', 'parsing', 'committing')
                                     or (undone_at is null and payload -> 'undo' ->> 'state' = 'running'))`;
        if (n === 0) break;
        const budget = startBudget({ ...testConfig.budget, cpuMs }, {
          now: () => performance.now(),
          cpu: processCpuMs,
        });
        await advanceImports({ sql: db.sql, store, kind, ...extra }, budget);
      }
      return calls;
    },
    async put(name, bytes, owner = admin) {
      const key = `imports/${company}/${owner}/${name}`;
      await store.put(key, bytes, { contentType: "text/csv", upsert: true });
      return key;
    },
    async close() {
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
