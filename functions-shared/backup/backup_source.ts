/**
 * An Odoo backup as the import reads it: the zip Odoo's database manager and Odoo.sh produce
 * (`dump.sql`, `manifest.json`, `filestore/ab/ab12...`), or the folder it extracts to. Both give the same
 * two things, each streamed: the dump, and the filestore files named by `store_fname`. The filestore's
 * `checklist/` folder (Odoo's empty marker files for its garbage collector) is never an attachment.
 *
 * A zip is read through its central directory, so `dump.sql` is found wherever it sits (Odoo writes it
 * first), and a zip whose entries all sit under one folder (`mydb/dump.sql`) reads the same.
 */
import { basename, join } from "node:path";
import { PasserelleError } from "../errors.ts";
import { openFileSource, openZip, type ZipArchive, type ZipEntry } from "../zip_reader.ts";
import { storeFnameProblem } from "./store_fname.ts";

/** A file of the filestore. */
export interface BackupFile {
  /** Its `store_fname`. */
  storeFname: string;
  /** Its size in bytes (inflated). */
  size: number;
  /** Where it lies in the backup: reading in this order keeps a zip's reads sequential. */
  order: number;
  /** Its bytes; the stream errors with `signal.reason` once `signal` aborts. */
  open(signal?: AbortSignal): ReadableStream<Uint8Array>;
}

/** An opened backup. */
export interface Backup {
  readonly kind: "zip" | "folder";
  /** The path the user gave. */
  readonly path: string;
  /** True when the backup holds a `dump.sql`. */
  readonly hasDump: boolean;
  /** `dump.sql`, streamed (`backup_invalid` when there is none). */
  dump(signal?: AbortSignal): ReadableStream<Uint8Array>;
  /**
   * Finds these filestore files; names that are missing, unsafe (see `storeFnameProblem`) or not regular
   * files are simply absent from the answer. Also says how many files the filestore holds.
   */
  locate(storeFnames: Iterable<string>): Promise<{ files: Map<string, BackupFile>; filestoreFiles: number }>;
  close(): void;
}

function invalid(message: string): PasserelleError {
  return new PasserelleError("backup_invalid", message);
}

const CHECKLIST = "checklist/";

/**
 * Opens a backup zip or extracted folder. Throws `backup_invalid` when the path holds neither, and (for
 * a zip) when the archive is truncated or damaged.
 *
 * @example
 * const backup = await openBackup("odoo_2026-11-24.zip");
 * const rows = readCopyTable(backup.dump(), { table: "ir_attachment", columns: ["id", "store_fname"] });
 */
export async function openBackup(path: string): Promise<Backup> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new PasserelleError("backup_invalid", `${path}: cannot be read (${(e as Error).message})`, false, {
      cause: e,
    });
  }
  return info.isDirectory ? await folderBackup(path) : await zipBackup(path);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await Deno.lstat(p)).isFile;
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isDirectory;
  } catch {
    return false;
  }
}

async function folderBackup(dir: string): Promise<Backup> {
  const dumpPath = join(dir, "dump.sql");
  const filestore = join(dir, "filestore");
  const hasDump = await isFile(dumpPath);
  if (!(await isDir(filestore))) {
    throw invalid(
      `${dir}: no filestore/ folder here; an extracted Odoo backup holds dump.sql and filestore/`,
    );
  }
  return {
    kind: "folder",
    path: dir,
    hasDump,
    dump(signal) {
      if (!hasDump) throw invalid(`${dir}: no dump.sql here`);
      return fileStream(dumpPath, signal);
    },
    async locate(names) {
      const files = new Map<string, BackupFile>();
      const sorted = [...new Set(names)].filter((n) => storeFnameProblem(n) === null).sort();
      for (const [i, name] of sorted.entries()) {
        const p = join(filestore, name);
        try {
          const st = await Deno.lstat(p);
          // A symlink could point anywhere: only regular files are filestore files.
          if (!st.isFile) continue;
          files.set(name, {
            storeFname: name,
            size: st.size,
            order: i,
            open: (signal) => fileStream(p, signal),
          });
        } catch {
          // missing: absent from the answer
        }
      }
      return { files, filestoreFiles: await countFiles(filestore) };
    },
    close() {},
  };
}

/** Counts the filestore's files, its checklist aside. */
async function countFiles(filestore: string): Promise<number> {
  let n = 0;
  for await (const top of Deno.readDir(filestore)) {
    if (!top.isDirectory || top.name === "checklist") continue;
    for await (const f of Deno.readDir(join(filestore, top.name))) if (f.isFile) n++;
  }
  return n;
}

/** A file's bytes, in 256 KiB reads; closes the file at the end, on cancel and on abort. */
function fileStream(path: string, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  const close = () => {
    try {
      file?.close();
    } catch { /* already closed */ }
    file = null;
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        if (signal?.aborted) throw signal.reason;
        file ??= await Deno.open(path, { read: true });
        const buf = new Uint8Array(256 << 10);
        const n = await file.read(buf);
        if (n === null) {
          close();
          ctrl.close();
          return;
        }
        ctrl.enqueue(n === buf.length ? buf : buf.subarray(0, n));
      } catch (e) {
        close();
        throw e;
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}

/** What a file that is not a zip most likely is, to say so instead of "not a zip". */
async function notAZip(path: string): Promise<string | null> {
  const head = new Uint8Array(16);
  const file = await Deno.open(path, { read: true });
  const n = (await file.read(head)) ?? 0;
  file.close();
  const text = new TextDecoder().decode(head.subarray(0, n));
  if (text.startsWith("PK")) return null;
  if (text.startsWith("PGDMP")) {
    return `${path}: this is a pg_dump custom-format file, which holds no filestore: download the backup ` +
      'as a zip with the filestore (Odoo\'s database manager: Backup Format "zip (includes filestore)")';
  }
  if (text.startsWith("--") || text.startsWith("\\restrict") || text.startsWith("SET ")) {
    return `${path}: this is a dump.sql alone; give the folder that holds it and filestore/ (or the backup zip)`;
  }
  return null;
}

/** An open zip file: its archive, and the file to close. */
export interface ZipFile extends ZipArchive {
  close(): void;
}

/**
 * Opens a backup zip (see `zip_reader.ts`). Its errors are `backup_invalid` and name the zip and the
 * entry: truncated archives (no end record), entries that point outside the file, damaged data (CRC-32
 * or size mismatch, bad deflate data), encrypted entries and compression methods other than stored and
 * deflate.
 */
export async function openZipFile(path: string): Promise<ZipFile> {
  const error = (message: string, cause?: unknown) =>
    new PasserelleError("backup_invalid", `${basename(path)}: ${message}`, false, { cause });
  const source = await openFileSource(path);
  try {
    const zip = await openZip(source, { error: (_problem, message, _entry, cause) => error(message, cause) });
    return { ...zip, close: () => source.close() };
  } catch (e) {
    source.close();
    if (e instanceof PasserelleError) throw e;
    throw error(`cannot be read as a zip archive (${e instanceof Error ? e.message : e})`, e);
  }
}

async function zipBackup(path: string): Promise<Backup> {
  const hint = await notAZip(path);
  if (hint) throw invalid(hint);
  const zip = await openZipFile(path);
  try {
    let dumpEntry: ZipEntry | null = null;
    let filestoreRoot: string | null = null;
    for await (const e of zip.entries()) {
      const depth = e.name.split("/").length;
      if (e.name === "dump.sql" || e.name.endsWith("/dump.sql")) {
        if (!dumpEntry || depth < dumpEntry.name.split("/").length) dumpEntry = e;
      }
      const inner = e.name.indexOf("/filestore/");
      const at = e.name.startsWith("filestore/") ? 0 : inner >= 0 ? inner + 1 : -1;
      if (at >= 0 && (filestoreRoot === null || at < filestoreRoot.length)) {
        filestoreRoot = e.name.slice(0, at);
      }
    }
    // Everything lives under the folder of dump.sql (Odoo: the zip's root).
    const root = dumpEntry
      ? dumpEntry.name.slice(0, dumpEntry.name.length - "dump.sql".length)
      : filestoreRoot;
    if (root === null) {
      throw invalid(`${path}: this zip holds neither dump.sql nor filestore/: is it an Odoo backup?`);
    }
    return zipSource(path, zip, dumpEntry, `${root}filestore/`);
  } catch (e) {
    zip.close();
    throw e;
  }
}

function zipSource(path: string, zip: ZipFile, dumpEntry: ZipEntry | null, prefix: string): Backup {
  return {
    kind: "zip",
    path,
    hasDump: dumpEntry !== null,
    dump(signal) {
      if (!dumpEntry) throw invalid(`${path}: this zip holds no dump.sql`);
      return zip.open(dumpEntry, { signal });
    },
    async locate(names) {
      const wanted = new Set([...names].filter((n) => storeFnameProblem(n) === null));
      const files = new Map<string, BackupFile>();
      let filestoreFiles = 0;
      for await (const e of zip.entries()) {
        if (!e.name.startsWith(prefix) || e.name.endsWith("/")) continue;
        const name = e.name.slice(prefix.length);
        if (name.startsWith(CHECKLIST)) continue;
        filestoreFiles++;
        if (!wanted.has(name) || files.has(name)) continue;
        files.set(name, {
          storeFname: name,
          size: e.size,
          order: e.localHeaderOffset,
          open: (signal) => zip.open(e, { signal }),
        });
      }
      return { files, filestoreFiles };
    },
    close() {
      zip.close();
    },
  };
}
