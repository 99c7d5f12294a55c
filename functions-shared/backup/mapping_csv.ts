/**
 * The mapping CSV of the seed's manual procedure (`id,store_fname,name,mimetype`, exported from a
 * restored database with `\copy (select id, store_fname, name, mimetype from ir_attachment ...) to ...
 * csv header`), for users who already made one: it stands in for `dump.sql`. It says nothing of the
 * record an attachment belongs to, so it can only fill existing `lead_files` rows.
 */
import { PasserelleError } from "../errors.ts";
import type { Attachment } from "./attachment.ts";
import { sha1FromStoreFname } from "./store_fname.ts";

/** RFC 4180 records: `,` between fields, `"` quoting with `""` for a quote, CRLF or LF between records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      any = true;
      i++;
    } else if (c === ",") {
      record.push(field);
      field = "";
      any = true;
      i++;
    } else if (c === "\n" || c === "\r") {
      if (any || field !== "") {
        record.push(field);
        records.push(record);
      }
      record = [];
      field = "";
      any = false;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      any = true;
      i++;
    }
  }
  if (quoted) throw new PasserelleError("import_invalid", "The mapping CSV ends inside a quoted field");
  if (any || field !== "") {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * Reads a mapping CSV into attachments. The header must name `id` and `store_fname` (in any order;
 * `name` and `mimetype` are optional); an empty `store_fname` reads null. The checksum is the sha1 the
 * filestore name spells.
 *
 * @example
 * parseMappingCsv("id,store_fname,name,mimetype\n812,ab/ab12...,devis.pdf,application/pdf\n");
 */
export function parseMappingCsv(text: string): Attachment[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (rows.length === 0) throw new PasserelleError("import_invalid", "The mapping CSV is empty");
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const at = (name: string) => header.indexOf(name);
  const [iId, iStore, iName, iMime] = [at("id"), at("store_fname"), at("name"), at("mimetype")];
  if (iId < 0 || iStore < 0) {
    throw new PasserelleError(
      "import_invalid",
      `The mapping CSV must have the columns id,store_fname,name,mimetype (its header reads ${
        rows[0].join(",")
      })`,
    );
  }
  return rows.slice(1).map((r, k) => {
    const id = Number(r[iId]);
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new PasserelleError(
        "import_invalid",
        `The mapping CSV's line ${k + 2} has no valid id ("${r[iId]}")`,
      );
    }
    const storeFname = r[iStore] || null;
    return {
      id,
      name: iName >= 0 ? r[iName] ?? "" : "",
      resModel: null,
      resId: null,
      resField: null,
      storeFname,
      fileSize: null,
      checksum: storeFname ? sha1FromStoreFname(storeFname) : null,
      mimetype: iMime >= 0 ? r[iMime] || null : null,
      type: null,
      inDatabase: false,
    };
  });
}
