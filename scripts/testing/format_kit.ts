/**
 * What the format tests share: an import of a file for a company of its own, down to the leads it made,
 * so that files of different formats holding the same rows can be compared lead for lead.
 */
import { type Kit } from "./import_kit.ts";
import { startImport } from "../../functions-shared/imports/job/start_import.ts";

/** Imports `bytes` as `name` for a company of its own; its job and the digest of the leads it made. */
export async function importAs(kit: Kit, name: string, bytes: Uint8Array, drain = {}) {
  const [{ id: company }] = await kit.db.sql<{ id: number }[]>`
    insert into public.companies (name) values (${name}) returning id`;
  await kit.db.sql`select passerelle.add_member(${company}, ${kit.admin}, 'admin')`;
  const key = `imports/${company}/${kit.admin}/${name}`;
  await kit.store.put(key, bytes, { contentType: "application/octet-stream", upsert: true });
  const { jobId } = await startImport(
    { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
    { kind: "user", userId: kit.admin },
    { companyId: company, path: key },
  );
  // One flush per call (a budget that allows nothing more), so that the parse resumes from its checkpoint.
  const calls = await kit.drain("leads", { flushRows: 2_000, ...drain }, 500, 1);
  const [job] = await kit.db.sql`
    select status, error_message, file_format, valid_rows, invalid_rows, committed_rows,
           (payload -> 'parse' ->> 'lastRow')::int as last_row
      from public.import_jobs where id = ${jobId}`;
  const leads = await kit.db.sql<{ lead: string }[]>`
    select concat_ws('|', title, contact_name, company_name, email, phone, expected_revenue, probability,
                     source_created_at::date, description) as lead
      from public.leads where company_id = ${company} order by 1`;
  return { job: { ...job }, calls, leads: leads.map((l) => l.lead) };
}

/** `text` in UTF-16 with its BOM, as Excel's « Texte Unicode » saves it. */
export function utf16(text: string, encoding: "utf-16le" | "utf-16be"): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xfeff, encoding === "utf-16le");
  for (let i = 0; i < text.length; i++) v.setUint16(2 + 2 * i, text.charCodeAt(i), encoding === "utf-16le");
  return out;
}
