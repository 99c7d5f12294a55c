/**
 * Workbooks written by real spreadsheet programs, at test time, from one `TrickySpec`: openpyxl and
 * XlsxWriter (normal, constant_memory, 1904 dates; `scripts/testing/writers/write_python.py`), ExcelJS's
 * streaming writer and SheetJS (`write_node.mjs`), LibreOffice (`soffice --convert-to xlsx` and `ods`)
 * and Gnumeric (`ssconvert`) re-saving XlsxWriter's file. `scripts/install_writers.sh` (run by
 * `scripts/test.sh`) installs them; a writer missing is an error, never a skip.
 */
import { join } from "node:path";
import type { TrickySpec } from "./tricky_leads.ts";

const WRITERS_DIR = new URL("../../../scripts/testing/writers/", import.meta.url).pathname;

/** One file a real writer made. */
export interface WrittenFile {
  /** Which program, and how (`libreoffice`, `xlsxwriter-constant-memory`, ...). */
  writer: string;
  path: string;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`${cmd} is missing: run scripts/install_writers.sh (${(e as Error).message})`);
  }
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
}

/**
 * Writes `spec` with every real writer into `dir`. `openpyxl-formula.xlsx` is apart: openpyxl stores no
 * cached value for a formula, so it holds one formula without a value, to be refused.
 */
export async function writeWithRealWriters(dir: string, spec: TrickySpec): Promise<WrittenFile[]> {
  const specPath = join(dir, "spec.json");
  await Deno.writeTextFile(specPath, JSON.stringify(spec));
  await Promise.all([
    run("/usr/bin/python3", [join(WRITERS_DIR, "write_python.py"), specPath, dir]),
    run("node", [join(WRITERS_DIR, "write_node.mjs"), specPath, dir]),
  ]);
  // LibreOffice and Gnumeric re-save XlsxWriter's workbook (merged title, hidden column, cached formulas).
  const lo = join(dir, "libreoffice");
  await Deno.mkdir(lo, { recursive: true });
  // A profile of its own: a soffice already running (another test, a user) would take the job silently.
  const profile = `-env:UserInstallation=file://${join(dir, "lo-profile")}`;
  for (const format of ["xlsx", "ods"]) {
    await run("soffice", [
      profile,
      "--headless",
      "--convert-to",
      format,
      "--outdir",
      lo,
      join(dir, "xlsxwriter.xlsx"),
    ]);
  }
  await run("ssconvert", [join(dir, "xlsxwriter.xlsx"), join(dir, "gnumeric.xlsx")]);
  const files: WrittenFile[] = [
    { writer: "libreoffice", path: join(lo, "xlsxwriter.xlsx") },
    { writer: "libreoffice-ods", path: join(lo, "xlsxwriter.ods") },
    { writer: "gnumeric", path: join(dir, "gnumeric.xlsx") },
    { writer: "openpyxl", path: join(dir, "openpyxl.xlsx") },
    { writer: "xlsxwriter", path: join(dir, "xlsxwriter.xlsx") },
    { writer: "xlsxwriter-constant-memory", path: join(dir, "xlsxwriter-constant-memory.xlsx") },
    { writer: "xlsxwriter-1904", path: join(dir, "xlsxwriter-1904.xlsx") },
    { writer: "exceljs-stream", path: join(dir, "exceljs-stream.xlsx") },
    { writer: "sheetjs", path: join(dir, "sheetjs.xlsx") },
  ];
  for (const f of files) await Deno.stat(f.path); // each writer wrote its file
  return files;
}
