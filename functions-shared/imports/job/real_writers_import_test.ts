/**
 * The same 30 tricky lead rows (see `tricky_leads.ts`), small (< 64 KB) and large (> 1 MB), written by
 * real programs at test time (`real_writers.ts`; installed by `scripts/install_writers.sh`, which
 * `scripts/test.sh` runs: a writer missing fails the test), import to exactly the leads of their CSV.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { writeWithRealWriters } from "../testdata/real_writers.ts";
import { trickyCsv, trickySpec } from "../testdata/tricky_leads.ts";
import { importAs } from "../../../scripts/testing/format_kit.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";

for (const [size, filler] of [["small", 0], ["large", 9_000]] as const) {
  Deno.test(`${size} workbooks of six real writers import to exactly the leads of the same rows' CSV`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `writers-${size}-` });
    const kit = await importKit(`imp_writers_${size}`);
    try {
      const spec = trickySpec(filler);
      const files = await writeWithRealWriters(dir, spec);
      const csv = await importAs(kit, "leads.csv", trickyCsv(spec));
      assert.equal(csv.job.status, "completed", csv.job.error_message);
      assert.equal(csv.leads.length, 30 + filler);
      assert.equal(csv.job.invalid_rows, 0);
      for (const f of files) {
        const bytes = await Deno.readFile(f.path);
        if (size === "small") assert.ok(bytes.length < 64 * 1024, `${f.writer}: ${bytes.length} bytes`);
        else assert.ok(bytes.length > 1024 * 1024, `${f.writer}: ${bytes.length} bytes`);
        const format = f.path.slice(f.path.lastIndexOf(".") + 1);
        const got = await importAs(kit, `${f.writer}-${basename(f.path)}`, bytes);
        assert.equal(got.job.status, "completed", `${f.writer}: ${got.job.error_message}`);
        assert.equal(got.job.file_format, format);
        assert.deepEqual(
          { ...got.job, file_format: "csv", leads: got.leads },
          { ...csv.job, leads: csv.leads },
          f.writer,
        );
      }
      if (size === "small") {
        // openpyxl stores no computed value for a formula: the import says so, naming the cell.
        const formula = await importAs(
          kit,
          "openpyxl-formule.xlsx",
          await Deno.readFile(`${dir}/openpyxl-formula.xlsx`),
        );
        assert.equal(formula.job.status, "failed");
        assert.match(
          formula.job.error_message,
          /openpyxl-formule\.xlsx, ligne 34, cellule I34 : formule sans valeur calculée \(=10\+20\)/,
        );
        assert.equal(formula.leads.length, 0);
      }
    } finally {
      await kit.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
