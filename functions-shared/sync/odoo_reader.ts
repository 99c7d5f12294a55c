/**
 * What the sync and the archive read from Odoo: the read side of the client
 * (`functions-shared/odoo/client.ts`), so that tests and benchmarks may pass
 * any object that reads, and count its calls.
 */
import type { OdooClient, OdooDomain } from "../odoo/client.ts";

export type Domain = OdooDomain;

export type OdooReader = Pick<OdooClient, "searchRead" | "searchCount" | "read">;
