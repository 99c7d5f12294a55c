/**
 * The one way functions and scripts open PostgreSQL: postgres.js with
 * prepared statements off, since Supabase's transaction pooler (port 6543,
 * what `SUPABASE_DB_URL` may point at) cannot keep them.
 */
import { postgres, type Sql } from "./deps.ts";

export type { Sql };

/** Opens a small pool; notices (e.g. `raise warning` in chaining) go to `onNotice`. */
export function connectDb(url: string, opts: { max?: number; onNotice?: (msg: string) => void } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 3,
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: (n) => opts.onNotice?.(String(n.message)),
    connection: { application_name: "passerelle" },
  });
}
