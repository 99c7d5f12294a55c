/**
 * V8's `gc`, when the process runs with `--v8-flags=--expose-gc` (`deno task import-dump` and
 * `deno task migrate` do), for `importBackup()`'s `collectGarbage`; undefined otherwise.
 */
export function exposedGc(): ((minor?: boolean) => void) | undefined {
  const gc = (globalThis as { gc?: (o?: { type: "minor" | "major" }) => void }).gc;
  return typeof gc === "function" ? (minor) => gc({ type: minor ? "minor" : "major" }) : undefined;
}
