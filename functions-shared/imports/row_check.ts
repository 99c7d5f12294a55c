/**
 * What lead and activity validation share: collecting a row's issues with the
 * file's own header named, and checking that a row has as many values as the
 * file has columns.
 */
import type { IssueCode, RowIssue } from "./messages.ts";
import type { Fail } from "./field_values.ts";
import type { ColumnMapping } from "./columns.ts";

/** The issues of one row, each naming its field by the file's header where known. */
export class RowIssues {
  issues: RowIssue[] | null = null;

  constructor(readonly row: number, readonly headers: Readonly<Record<string, string | undefined>> = {}) {}

  /** Records `code` on `field`, with the offending value (and max length) as params. */
  add(field: string, code: IssueCode, value?: string, extra?: Record<string, string | number>): void {
    const params: Record<string, string | number> = { ...extra };
    const column = this.headers[field];
    if (column !== undefined) params.column = column;
    if (value !== undefined) params.value = value;
    (this.issues ??= []).push({ row: this.row, field, code, params });
  }

  /** Records a parser's `Fail` for `field`. */
  fail(field: string, f: Fail, raw: string, max?: number): void {
    if (f.code === "too_long") {
      this.add(field, "too_long", undefined, { max: max!, length: raw.trim().length });
    } else this.add(field, f.code, raw.trim());
  }
}

/**
 * The issue of a row whose value count differs from the header's, or null.
 * Extra values that are all empty are tolerated: spreadsheets often write
 * trailing delimiters. A short row is refused: its values may have shifted.
 */
export function fieldCountIssue(
  mapping: ColumnMapping,
  values: readonly string[],
  row: number,
): RowIssue | null {
  const expected = mapping.headers.length;
  if (values.length === expected) return null;
  if (values.length > expected) {
    let extraEmpty = true;
    for (let i = expected; i < values.length; i++) {
      if (values[i].trim() !== "") {
        extraEmpty = false;
        break;
      }
    }
    if (extraEmpty) return null;
  }
  return { row, field: "", code: "row_field_count", params: { expected, actual: values.length } };
}

/** `values[i]`, or undefined for a field the file lacks (`i` = -1). */
export function at(values: readonly string[], i: number): string | undefined {
  return i < 0 ? undefined : values[i];
}
