/**
 * Every npm dependency, pinned in one place. Functions import only relative
 * paths and `npm:` specifiers so that `supabase functions deploy` can bundle
 * them without an import map (checked by `module_graph_test.ts`).
 */
export { default as postgres } from "npm:postgres@3.4.9";
export type { Sql, TransactionSql } from "npm:postgres@3.4.9";
export { z } from "npm:zod@4.6.7";
export * as jose from "npm:jose@6.2.18";
export { createClient } from "npm:@supabase/supabase-js@2.119.1";
export { strToU8, unzipSync, zipSync } from "npm:fflate@0.8.3";
export type { Zippable } from "npm:fflate@0.8.3";
export { Zip, ZipDeflate, ZipPassThrough } from "npm:fflate@0.8.3";
