"""Writes a CSV's rows into an .xlsx whose strings are SHARED (xl/sharedStrings.xml), as Excel,
LibreOffice, openpyxl and XlsxWriter's default mode write them, streaming: the sheet goes to the
zip as rows come, each distinct string is numbered the first time a cell uses it (the order those
writers number them in), and the table follows the sheet. Every cell is the text the CSV holds, so
the workbook imports to the same leads as the CSV. Control characters are written as _xHHHH_ and
text with outer spaces or line breaks keeps xml:space="preserve", as XlsxWriter does.
(XlsxWriter's default mode would hold the whole sheet in memory: gigabytes for a million rows.)

Usage: /usr/bin/python3 write_xlsx_shared.py in.csv out.xlsx [delimiter]"""
import csv
import re
import sys
import zipfile

src, dst = sys.argv[1], sys.argv[2]
delimiter = sys.argv[3] if len(sys.argv) > 3 else ";"

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def escape(s):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return CONTROL.sub(lambda m: "_x%04X_" % ord(m.group(0)), s)


def column(i):
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
}

strings = {}
uses = 0
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    for name, text in PARTS.items():
        z.writestr(name, text)
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet, open(
        src, newline="", encoding="utf-8-sig"
    ) as f:
        sheet.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        out = []
        for r, row in enumerate(csv.reader(f, delimiter=delimiter), start=1):
            cells = []
            for c, v in enumerate(row):
                if v == "":
                    continue
                i = strings.get(v)
                if i is None:
                    i = strings[v] = len(strings)
                uses += 1
                cells.append('<c r="%s%d" t="s"><v>%d</v></c>' % (column(c), r, i))
            out.append('<row r="%d">%s</row>' % (r, "".join(cells)))
            if len(out) >= 1000:
                sheet.write("".join(out).encode())
                out = []
        out.append("</sheetData></worksheet>")
        sheet.write("".join(out).encode())
    with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as sst:
        sst.write(
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                % (uses, len(strings))
            ).encode()
        )
        out = []
        for s in strings:  # (dicts keep insertion order: index order)
            preserve = s != s.strip() or "\n" in s
            out.append(
                '<si><t xml:space="preserve">%s</t></si>' % escape(s)
                if preserve
                else "<si><t>%s</t></si>" % escape(s)
            )
            if len(out) >= 10000:
                sst.write("".join(out).encode())
                out = []
        out.append("</sst>")
        sst.write("".join(out).encode())
