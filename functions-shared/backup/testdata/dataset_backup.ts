/**
 * The Odoo backup of a simulated Odoo (`scripts/odoo_simulator`): its `ir.attachment` rows dumped by the
 * machine's pg_dump (`pgDumpOdoo`), its contents in a filestore named by sha1 (shared content stored
 * once, as Odoo does), Odoo's empty `checklist/` markers, zipped as Odoo zips it. So a test or a bench
 * can run `archive-odoo-files` (against the simulator) and `import-dump` (on the backup) on the very
 * same files. Files are written one at a time: a 12 GB backup never sits in memory.
 */
import { dirname, join } from "node:path";
import type { OdooDataset } from "../../../scripts/odoo_simulator/dataset.ts";
import { chatterTables } from "./chatter_dump.ts";
import { manifest, type OdooAttachmentRow, pgDumpOdoo, sha1Hex, zipFolderStreaming } from "./odoo_backup.ts";
import { zip64Writer } from "./zip64_writer.ts";

/** What was written. */
export interface DatasetBackup {
  /** The extracted folder (dump.sql, manifest.json, filestore/). */
  folder: string;
  /** The zip, when asked for. */
  zip: string | null;
  rows: OdooAttachmentRow[];
  /** Bytes in the filestore (each content once). */
  filestoreBytes: number;
  /** Distinct contents written. */
  filestoreFiles: number;
}

/**
 * Writes the backup of `dataset` under `dir`.
 *
 * @example
 * const b = await writeDatasetBackup(testClusterUrl(), dataset, dir, { zip: true, checklist: 40 });
 */
export async function writeDatasetBackup(
  clusterUrl: string,
  dataset: OdooDataset,
  dir: string,
  /** `chatter`: the dump holds the dataset's chatter and activities too (`chatter_dump.ts`). */
  opts: { zip?: boolean; checklist?: number; level?: 0 | 1 | 6; chatter?: boolean } = {},
): Promise<DatasetBackup> {
  const folder = join(dir, "backup");
  await Deno.mkdir(join(folder, "filestore"), { recursive: true });
  const { rows, written, filestoreBytes } = await filestore(dataset, async (fname, bytes) => {
    const p = join(folder, "filestore", fname);
    await Deno.mkdir(dirname(p), { recursive: true });
    await Deno.writeFile(p, bytes);
  });
  // Odoo's checklist markers: empty files named like stored ones, which are not attachments.
  for (const fname of [...written].slice(0, opts.checklist ?? 3)) {
    const p = join(folder, "filestore", "checklist", fname);
    await Deno.mkdir(dirname(p), { recursive: true });
    await Deno.writeFile(p, new Uint8Array(0));
  }
  await pgDumpOdoo(
    clusterUrl,
    rows,
    join(folder, "dump.sql"),
    opts.chatter ? chatterTables(dataset) : undefined,
  );
  await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
  let zip: string | null = null;
  if (opts.zip) {
    zip = join(dir, "odoo_backup.zip");
    await zipFolderStreaming(folder, zip, { level: opts.level ?? 1 });
  }
  return { folder, zip, rows, filestoreBytes, filestoreFiles: written.size };
}

/**
 * Writes the backup of `dataset` straight into a zip at `out` (zip64, `zip64_writer.ts`), with no
 * extracted folder beside it: each content is made, hashed and written once, so a 12.6 GB backup takes
 * about the time to write it. The filestore comes first and `dump.sql` last (its rows need every
 * content's sha1); the import finds entries through the central directory, wherever they sit.
 *
 * @example
 * const b = await writeDatasetZip(testClusterUrl(), dataset, "/tmp/backup.zip", { checklist: 40 });
 */
export async function writeDatasetZip(
  clusterUrl: string,
  dataset: OdooDataset,
  out: string,
  opts: { checklist?: number } = {},
): Promise<DatasetBackup> {
  const zip = await zip64Writer(out);
  try {
    const { rows, written, filestoreBytes } = await filestore(
      dataset,
      (fname, bytes) => zip.add(`filestore/${fname}`, bytes),
    );
    for (const fname of [...written].slice(0, opts.checklist ?? 3)) {
      await zip.add(`filestore/checklist/${fname}`, new Uint8Array(0));
    }
    const dump = `${out}.dump.sql`;
    await pgDumpOdoo(clusterUrl, rows, dump);
    await zip.add("dump.sql", await Deno.readFile(dump));
    await Deno.remove(dump);
    await zip.add("manifest.json", new TextEncoder().encode(manifest()));
    return { folder: "", zip: out, rows, filestoreBytes, filestoreFiles: written.size };
  } finally {
    await zip.close();
  }
}

/**
 * The dataset's `ir.attachment` rows as Odoo stores them (url rows and empty files without a filestore
 * entry), each distinct content handed once to `write` under its filestore name.
 */
async function filestore(
  dataset: OdooDataset,
  write: (fname: string, bytes: Uint8Array) => Promise<void>,
): Promise<{ rows: OdooAttachmentRow[]; written: Set<string>; filestoreBytes: number }> {
  const rows: OdooAttachmentRow[] = [];
  const written = new Set<string>();
  let filestoreBytes = 0;
  for (const a of dataset.table("ir.attachment").rows) {
    const id = a.id as number;
    const base = {
      id,
      name: String(a.name),
      res_model: (a.res_model as string) || null,
      res_id: (a.res_id as number) || null,
      res_field: (a.res_field as string) || null,
      mimetype: (a.mimetype as string) || null,
    };
    if (a.type === "url") {
      rows.push({
        ...base,
        type: "url",
        url: String(a.url),
        store_fname: null,
        file_size: 0,
        checksum: null,
      });
      continue;
    }
    const bytes = dataset.attachmentBytes(id) ?? new Uint8Array(0);
    if (bytes.length === 0) {
      rows.push({ ...base, store_fname: null, file_size: 0, checksum: null });
      continue;
    }
    const sha1 = sha1Hex(bytes);
    dataset.knownChecksum(id, sha1); // (the simulator need not hash it again)
    const fname = `${sha1.slice(0, 2)}/${sha1}`;
    if (!written.has(fname)) {
      await write(fname, bytes);
      written.add(fname);
      filestoreBytes += bytes.length;
    }
    rows.push({ ...base, store_fname: fname, file_size: bytes.length, checksum: sha1 });
  }
  return { rows, written, filestoreBytes };
}
