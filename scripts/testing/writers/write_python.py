"""Writes the tricky leads spec (JSON, see functions-shared/imports/testdata/tricky_leads.ts) with
openpyxl and XlsxWriter (normal, constant_memory, 1904 date system), as real users' programs do.

Usage: /usr/bin/python3 write_python.py spec.json out_dir
openpyxl cannot store a formula's cached value: its file holds the values, and openpyxl-formula.xlsx
holds one formula without a value (which the import must refuse, naming the cell)."""
import datetime
import json
import os
import sys

import openpyxl
import xlsxwriter
from openpyxl.utils import get_column_letter

spec = json.load(open(sys.argv[1], encoding="utf-8"))
out = sys.argv[2]
width = len(spec["headers"])


def as_date(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%d")


def write_openpyxl(path, with_formula=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leads"
    ws.cell(row=1, column=1, value=spec["title"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for j, h in enumerate(spec["headers"]):
        ws.cell(row=2, column=j + 1, value=h)
    r = 3
    for row in spec["rows"]:
        if row is not None:
            for j, c in enumerate(row):
                if c is None:
                    continue
                cell = ws.cell(row=r, column=j + 1)
                if "s" in c:
                    cell.value = c["s"]
                    cell.data_type = "s"
                elif "n" in c:
                    cell.value = c["n"]
                    cell.number_format = c.get("fmt", "General")
                elif "date" in c:
                    cell.value = as_date(c["date"])
                    cell.number_format = c["fmt"]
                else:
                    cell.value = c["v"]
        r += 1
    ws.column_dimensions[get_column_letter(spec["hidden"] + 1)].hidden = True
    if with_formula:
        ws.cell(row=r, column=1, value="Formule")
        ws.cell(row=r, column=4, value="f@exemple.fr")
        ws.cell(row=r, column=9, value="=10+20")
    wb.save(path)


def write_xlsxwriter(path, **options):
    wb = xlsxwriter.Workbook(path, options)
    ws = wb.add_worksheet("Leads")
    formats = {}

    def fmt(code):
        if code not in formats:
            formats[code] = wb.add_format({"num_format": code})
        return formats[code]

    ws.set_column(spec["hidden"], spec["hidden"], None, None, {"hidden": True})
    ws.merge_range(0, 0, 0, width - 1, spec["title"])
    for j, h in enumerate(spec["headers"]):
        ws.write_string(1, j, h)
    r = 2
    for row in spec["rows"]:
        if row is not None:
            for j, c in enumerate(row):
                if c is None:
                    continue
                if "s" in c:
                    ws.write_string(r, j, c["s"])
                elif "n" in c:
                    ws.write_number(r, j, c["n"], fmt(c.get("fmt", "General")))
                elif "date" in c:
                    ws.write_datetime(r, j, as_date(c["date"]), fmt(c["fmt"]))
                else:
                    ws.write_formula(r, j, "=" + c["f"], None, c["v"])
        r += 1
    wb.close()


write_openpyxl(os.path.join(out, "openpyxl.xlsx"))
write_openpyxl(os.path.join(out, "openpyxl-formula.xlsx"), with_formula=True)
write_xlsxwriter(os.path.join(out, "xlsxwriter.xlsx"))
write_xlsxwriter(os.path.join(out, "xlsxwriter-constant-memory.xlsx"), constant_memory=True)
write_xlsxwriter(os.path.join(out, "xlsxwriter-1904.xlsx"), date_1904=True)
