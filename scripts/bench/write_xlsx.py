"""Writes a CSV's rows into an .xlsx with XlsxWriter's constant_memory mode (a real streaming writer:
rows go to disk as they come, strings inline), every cell as the text the CSV holds, so that the
workbook imports to the same leads as the CSV.

Usage: /usr/bin/python3 write_xlsx.py in.csv out.xlsx [delimiter]"""
import csv
import sys

import xlsxwriter

src, dst = sys.argv[1], sys.argv[2]
delimiter = sys.argv[3] if len(sys.argv) > 3 else ";"
wb = xlsxwriter.Workbook(dst, {"constant_memory": True})
ws = wb.add_worksheet("Leads")
with open(src, newline="", encoding="utf-8-sig") as f:
    for i, row in enumerate(csv.reader(f, delimiter=delimiter)):
        ws.write_row(i, 0, row)
wb.close()
