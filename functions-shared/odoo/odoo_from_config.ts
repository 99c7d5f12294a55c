/**
 * The Odoo client a function uses, built from its configuration with the
 * platform's `fetch` and timers.
 */
import { type Config, requireOdoo } from "../config.ts";
import { createOdooClient, type OdooClient } from "./client.ts";

/** Throws `config_invalid` when the Odoo settings are missing. */
export function odooFromConfig(config: Config): OdooClient {
  return createOdooClient(requireOdoo(config), {
    fetch,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}
