// Writes the tricky leads spec (JSON, see functions-shared/imports/testdata/tricky_leads.ts) with
// ExcelJS's streaming writer and SheetJS, as real users' programs do.
// Usage: node write_node.mjs spec.json out_dir
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ExcelJS = require("exceljs");
const XLSX = require("xlsx");

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = process.argv[3];
const width = spec.headers.length;
const asDate = (iso) => new Date(`${iso}T00:00:00Z`);
const serial = (iso) => Math.round((Date.parse(`${iso}T00:00:00Z`) - Date.UTC(1899, 11, 30)) / 86400000);

async function exceljsStream(path) {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: true,
    useStyles: true,
  });
  const ws = wb.addWorksheet("Leads");
  ws.columns = spec.headers.map((_, j) => ({ key: `c${j}`, width: 20, hidden: j === spec.hidden }));
  ws.mergeCells(1, 1, 1, width);
  ws.getRow(1).getCell(1).value = spec.title;
  ws.getRow(1).commit();
  ws.getRow(2).values = spec.headers;
  ws.getRow(2).commit();
  let r = 3;
  for (const row of spec.rows) {
    if (row !== null) {
      const xr = ws.getRow(r);
      row.forEach((c, j) => {
        if (c === null) return;
        const cell = xr.getCell(j + 1);
        if ("s" in c) cell.value = c.s;
        else if ("n" in c) {
          cell.value = c.n;
          if (c.fmt) cell.numFmt = c.fmt;
        } else if ("date" in c) {
          cell.value = asDate(c.date);
          cell.numFmt = c.fmt;
        } else cell.value = { formula: c.f, result: c.v };
      });
      xr.commit();
    }
    r++;
  }
  ws.commit();
  await wb.commit();
}

function sheetjs(path) {
  const aoa = [[spec.title], spec.headers];
  for (const row of spec.rows) {
    if (row === null) {
      aoa.push([]);
      continue;
    }
    aoa.push(row.map((c) => {
      if (c === null) return null;
      if ("s" in c) return { t: "s", v: c.s };
      if ("n" in c) return { t: "n", v: c.n, z: c.fmt };
      if ("date" in c) return { t: "n", v: serial(c.date), z: c.fmt };
      return { t: typeof c.v === "number" ? "n" : "s", v: c.v, f: c.f };
    }));
  }
  const ws = XLSX.utils.aoa_to_sheet(aoa);
  ws["!merges"] = [{ s: { r: 0, c: 0 }, e: { r: 0, c: width - 1 } }];
  ws["!cols"] = spec.headers.map((_, j) => (j === spec.hidden ? { hidden: true } : {}));
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, "Leads");
  XLSX.writeFile(wb, path, { compression: true });
}

await exceljsStream(join(out, "exceljs-stream.xlsx"));
sheetjs(join(out, "sheetjs.xlsx"));
