/**
 * Chooses the ObjectStore adapter from configuration, at the edge (a function's `index.ts`, a script's
 * `main`): Supabase Storage by default, a local directory with `STORAGE_KIND=local`.
 */
import type { Config } from "../config.ts";
import { PasserelleError } from "../errors.ts";
import { localStore } from "./local_store.ts";
import type { ObjectStore } from "./object_store.ts";
import { supabaseStore } from "./supabase_store.ts";

/** What may be injected into the adapter. */
export interface StoreDeps {
  fetch?: typeof fetch;
}

/**
 * The ObjectStore `config.storage` names, on `config.storage.bucket`.
 *
 * @example
 * const store = storeFromConfig(config); // config from loadConfig(), read in index.ts
 */
export function storeFromConfig(
  config: Pick<Config, "storage" | "supabaseUrl" | "serviceRoleKey">,
  deps: StoreDeps = {},
): ObjectStore {
  const { kind, bucket, localDir } = config.storage;
  if (kind === "local") {
    if (!localDir) throw new PasserelleError("config_invalid", "STORAGE_LOCAL_DIR is missing");
    return localStore({ dir: localDir, bucket });
  }
  return supabaseStore({
    url: config.supabaseUrl,
    serviceRoleKey: config.serviceRoleKey,
    bucket,
    fetch: deps.fetch,
  });
}
