/**
 * `ir_attachment.store_fname`: where Odoo keeps a file, relative to its filestore (`ab/ab12cd...`, the
 * sha1 of the content). A backup is user-supplied input: a name that leaves the filestore (`../`, an
 * absolute path) would read another file, so such names are refused before anything is opened.
 */

/**
 * Why `name` cannot be a filestore path, or null when it can: it must be relative, `/`-separated, with no
 * empty, `.` or `..` segment, no backslash, drive letter or control character.
 *
 * @example
 * storeFnameProblem("ab/ab12cd"); // null
 * storeFnameProblem("../../etc/passwd"); // 'it has a ".." segment'
 */
export function storeFnameProblem(name: string): string | null {
  if (name.length === 0) return "it is empty";
  if (name.length > 1024) return "it is longer than 1024 characters";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "it holds control characters";
  if (name.startsWith("/")) return "it is an absolute path";
  if (/^[A-Za-z]:/.test(name)) return "it starts with a drive letter";
  if (name.includes("\\")) return "it holds a backslash";
  for (const seg of name.split("/")) {
    if (seg === "") return "it has an empty path segment";
    if (seg === "." || seg === "..") return `it has a "${seg}" segment`;
  }
  return null;
}

/** The sha1 a filestore name spells (`ab/ab12...` with 40 hex digits), or null. */
export function sha1FromStoreFname(name: string): string | null {
  const m = /^([0-9a-f]{2})\/([0-9a-f]{40})$/.exec(name);
  return m && m[2].startsWith(m[1]) ? m[2] : null;
}
