/**
 * Measures parse and parse + validate throughput on a generated lead CSV:
 * CPU time and peak RSS, one mode per process so peaks do not mix.
 * A script, not a test (no timing assertions in tests).
 *
 *   deno run -A functions-shared/imports/testdata/measure_throughput.ts [rows] [mode]
 *
 * modes: `generate` (writes /tmp/passerelle-leads-<rows>.csv), `parse`,
 * `validate` (parse + map + validate every row), `resume` (parse + validate in
 * pieces of `maxRows` 100,000, each opening the file at the last checkpoint, as
 * successive Edge Function calls do), `papa` (Papa Parse streamed, for comparison),
 * `zod` (parse + a zod 4 schema per row, for comparison), `xlsx` (read + validate a
 * generated .xlsx of `rows` rows), `xlsx-last` (one call resuming at the last 10 %
 * of that .xlsx: what the costliest call of an XLSX import pays), or `all` (the
 * CSV modes, each in its own process).
 */
import { generateLeadCsv } from "./lead_csv.ts";
import { readCsvRows } from "../csv_reader.ts";
import { sniffFile } from "../sniff.ts";
import { mapColumns } from "../columns.ts";
import { leadRowValidator } from "../lead_row.ts";
import { openFileSource, readXlsxHeader, readXlsxRows } from "../xlsx_reader.ts";
import { LEAD_CSV_HEADERS, leadCsvRow } from "./lead_csv.ts";
import { buildXlsx } from "./xlsx_writer.ts";

const rows = Number(Deno.args[0] ?? 1_000_000);
const mode = Deno.args[1] ?? "all";
const path = `/tmp/passerelle-leads-${rows}.csv`;

/** CPU seconds used by this process, all threads (Linux: /proc/self/stat, in clock ticks of 1/100 s). */
function cpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime
}

function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function ensureFile(): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    const f = await Deno.create(path + ".part");
    await generateLeadCsv({ rows, delimiter: ";", seed: 1 }).pipeTo(f.writable);
    await Deno.rename(path + ".part", path);
  }
}

async function ensureXlsx(): Promise<string> {
  const xlsx = `/tmp/passerelle-leads-${rows}.xlsx`;
  try {
    await Deno.stat(xlsx);
  } catch {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const recent = { emails: [] as string[], phones: [] as string[] };
    const cells: string[][] = [LEAD_CSV_HEADERS];
    for (let i = 1; i <= rows; i++) {
      cells.push(leadCsvRow(i, random, recent, { invalidRate: 0.01, duplicateRate: 0.02 }));
    }
    await Deno.writeFile(xlsx + ".part", buildXlsx({ rows: cells }));
    await Deno.rename(xlsx + ".part", xlsx);
  }
  return xlsx;
}

async function sniff() {
  const f = await Deno.open(path);
  const head = new Uint8Array(65536);
  const n = (await f.read(head)) ?? 0;
  f.close();
  return sniffFile(head.subarray(0, n), "leads.csv");
}

async function run(m: string): Promise<Record<string, unknown>> {
  if (m.startsWith("xlsx")) return await runXlsx(m);
  const s = await sniff();
  const start = cpuSeconds();
  const t0 = performance.now();
  let count = 0, valid = 0, invalid = 0, calls = 0;
  if (m === "parse" || m === "validate" || m === "resume") {
    const mapped = mapColumns(s.headers, "lead");
    if (!mapped.ok) throw new Error(JSON.stringify(mapped.issues));
    const validate = leadRowValidator(mapped.mapping);
    let offset = s.dataOffset, row = s.dataRow, ascii = s.ascii, done = false;
    while (!done) {
      calls++;
      const f = await Deno.open(path);
      await f.seek(offset, Deno.SeekMode.Start);
      let got = 0;
      for await (
        const b of readCsvRows(f.readable, {
          encoding: s.encoding,
          delimiter: s.delimiter,
          startOffset: offset,
          startRow: row,
          asciiSoFar: ascii,
          maxRows: m === "resume" ? 100_000 : undefined,
        })
      ) {
        for (const r of b.rows) {
          count++;
          got++;
          if (m !== "parse") {
            if (validate(r.values, r.rowNumber).ok) valid++;
            else invalid++;
          }
        }
        offset = b.endOffset, row = b.nextRow, ascii = b.asciiSoFar;
      }
      done = m !== "resume" || got === 0;
    }
  } else if (m === "papa") {
    // A comparison only: Papa Parse is no dependency of the functions.
    // deno-lint-ignore no-import-prefix
    const { default: Papa } = await import("npm:papaparse@5.7.1");
    const text = (await Deno.open(path)).readable.pipeThrough(new TextDecoderStream());
    await new Promise<void>((resolve, reject) => {
      // Papa reads Node streams in Deno; feed it chunk by chunk as its docs' "step" mode.
      const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { delimiter: ";" });
      parser.on("data", () => count++);
      parser.on("end", () => resolve());
      parser.on("error", reject);
      (async () => {
        for await (const chunk of text) parser.write(chunk);
        parser.end();
      })();
    });
  } else if (m === "zod") {
    const { z } = await import("../../deps.ts");
    const schema = z.object({
      firstName: z.string().trim().max(100),
      lastName: z.string().trim().max(100),
      email: z.email(),
      phone: z.string().regex(/^[+\d][\d .]{6,}$/),
      company: z.string().max(255),
      amount: z.string(),
      probability: z.coerce.number().min(0).max(100),
    });
    const f = await Deno.open(path);
    await f.seek(s.dataOffset, Deno.SeekMode.Start);
    for await (
      const b of readCsvRows(f.readable, { ...s, startOffset: s.dataOffset, startRow: s.dataRow })
    ) {
      for (const r of b.rows) {
        count++;
        const v = r.values;
        const out = schema.safeParse({
          firstName: v[1],
          lastName: v[2],
          email: v[3],
          phone: v[4],
          company: v[5],
          amount: v[7],
          probability: v[8],
        });
        if (out.success) valid++;
        else invalid++;
      }
    }
  }
  const cpu = cpuSeconds() - start;
  return {
    mode: m,
    rows: count,
    valid,
    invalid,
    calls,
    cpuS: +cpu.toFixed(2),
    wallS: +((performance.now() - t0) / 1000).toFixed(2),
    peakRssMb: peakRssMb(),
  };
}

async function runXlsx(m: string): Promise<Record<string, unknown>> {
  const path = await ensureXlsx();
  const source = await openFileSource(path);
  const start = cpuSeconds();
  const t0 = performance.now();
  // `xlsx` reads the header as the first call of an import does; `xlsx-last` is a later call,
  // which knows the header from the job's checkpoint.
  const h = m === "xlsx" ? await readXlsxHeader(source) : { headers: LEAD_CSV_HEADERS, dataRow: 2 };
  const mapped = mapColumns(h.headers, "lead");
  if (!mapped.ok) throw new Error(JSON.stringify(mapped.issues));
  const validate = leadRowValidator(mapped.mapping);
  let count = 0, valid = 0, invalid = 0;
  const startRow = m === "xlsx-last" ? Math.floor(rows * 0.9) : h.dataRow;
  for await (const b of readXlsxRows(source, { startRow, width: h.headers.length })) {
    for (const r of b.rows) {
      count++;
      if (validate(r.values, r.rowNumber).ok) valid++;
      else invalid++;
    }
  }
  source.close();
  const cpu = cpuSeconds() - start;
  return {
    mode: m,
    rows: count,
    valid,
    invalid,
    xlsxBytes: source.size,
    cpuS: +cpu.toFixed(2),
    wallS: +((performance.now() - t0) / 1000).toFixed(2),
    peakRssMb: peakRssMb(),
  };
}

if (mode.startsWith("xlsx")) await ensureXlsx();
else await ensureFile();
if (mode === "generate" || mode === "generate-xlsx") {
  console.log("generated");
} else if (mode === "all") {
  console.log(`${path}: ${(await Deno.stat(path)).size} bytes`);
  for (const m of ["parse", "validate", "resume", "papa", "zod"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, String(rows), m],
    }).output();
    Deno.stdout.writeSync(out.stdout);
    Deno.stderr.writeSync(out.stderr);
  }
} else {
  console.log(JSON.stringify(await run(mode)));
}
