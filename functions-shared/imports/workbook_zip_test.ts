import assert from "node:assert/strict";
import { ImportError } from "./import_error.ts";
import { message } from "./messages.ts";
import { streamedZip, xlsxParts } from "./testdata/xlsx_writer.ts";
import { bytesSource, openWorkbookZip, workbookKind } from "./workbook_zip.ts";

async function kindOf(parts: Record<string, string | Uint8Array>, name = "x.xlsx") {
  return await workbookKind(await openWorkbookZip(bytesSource(streamedZip(parts)), { fileName: name }));
}

Deno.test("workbookKind() tells a workbook by its central directory, whatever the local headers hide", async () => {
  assert.equal(await kindOf(xlsxParts({ rows: [["Nom"], ["Dupont"]] })), "xlsx");
  assert.equal(
    await kindOf({
      "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
      "content.xml": "<office:document-content/>",
      "META-INF/manifest.xml": "<manifest/>",
    }),
    "ods",
  );
  await assert.rejects(
    kindOf({ "[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>" }, "courrier.xlsx"),
    (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.equal(e.issue.code, "file_zip_not_xlsx");
      assert.match(message(e.issue), /^courrier\.xlsx : archive ZIP qui n'est pas un classeur Excel .*Word/);
      return true;
    },
  );
  await assert.rejects(kindOf({ "photo.jpg": "x", "notes.txt": "y" }), /archive of files/);
});
