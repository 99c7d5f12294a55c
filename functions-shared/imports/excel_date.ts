/**
 * Excel stores dates as serial day numbers. In the 1900 date system (Windows
 * Excel's default) day 1 is 1900-01-01, and day 60 is 1900-02-29, a day that
 * never was: Lotus 1-2-3 took 1900 for a leap year and Excel kept the bug for
 * compatibility. So serials from 61 on are one day ahead of a plain count from
 * 1899-12-31. The 1904 system (old Mac workbooks, `<workbookPr date1904="1"/>`)
 * counts from 1904-01-01 as day 0 and has no such bug.
 */

const DAY_MS = 86_400_000;
const EPOCH_1900_BEFORE_BUG = Date.UTC(1899, 11, 31); // serial 1 → 1900-01-01
const EPOCH_1900_AFTER_BUG = Date.UTC(1899, 11, 30); // serial 61 → 1900-03-01
const EPOCH_1904 = Date.UTC(1904, 0, 1); // serial 0 → 1904-01-01

/** The largest serial Excel accepts: 9999-12-31. */
export const MAX_EXCEL_SERIAL = 2_958_465;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * The ISO date (`2024-03-15`) or date-time (`2024-03-15T10:30:00`, no zone:
 * Excel has none) of an Excel serial, or `null` where the serial is no date:
 * below 1 (below 0 in the 1904 system), above 9999-12-31, not finite, or 60 in
 * the 1900 system (the phantom 1900-02-29). Times are rounded to the second.
 */
export function excelSerialToIso(serial: number, date1904 = false): string | null {
  if (!Number.isFinite(serial) || serial > MAX_EXCEL_SERIAL) return null;
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days += 1;
    seconds = 0;
  }
  let ms: number;
  if (date1904) {
    if (days < 0) return null;
    ms = EPOCH_1904 + days * DAY_MS;
  } else {
    if (days < 1 || days === 60) return null;
    ms = (days < 60 ? EPOCH_1900_BEFORE_BUG : EPOCH_1900_AFTER_BUG) + days * DAY_MS;
  }
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (seconds === 0) return date;
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return `${date}T${pad(h)}:${pad(m)}:${pad(s)}`;
}
