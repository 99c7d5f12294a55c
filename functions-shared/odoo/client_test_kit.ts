/**
 * What the Odoo client's tests share: a client configuration for a
 * simulator, dependencies whose sleep records delays instead of waiting,
 * and a rejection that must be a PasserelleError.
 */
import assert from "node:assert/strict";
import type { OdooConfig } from "../config.ts";
import { PasserelleError } from "../errors.ts";
import type { OdooClientDeps } from "./client.ts";

/** The simulator's admin over JSON-RPC, as `over` changes it. */
export function config(url: string, over: Partial<OdooConfig> = {}): OdooConfig {
  return {
    url,
    db: "crm_src",
    login: "admin",
    secret: "admin",
    transport: "jsonrpc",
    timeoutMs: 5000,
    ...over,
  };
}

/** Deps with a sleep that records delays instead of waiting. */
export function deps(over: Partial<OdooClientDeps> = {}): OdooClientDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { fetch, sleep: (ms) => (sleeps.push(ms), Promise.resolve()), random: () => 0.5, sleeps, ...over };
}

/** The PasserelleError `p` rejects with (fails the test when it resolves or throws something else). */
export async function rejects(p: Promise<unknown>): Promise<PasserelleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PasserelleError, `expected a PasserelleError, got ${e}`);
    return e;
  }
  assert.fail("expected a rejection");
}
