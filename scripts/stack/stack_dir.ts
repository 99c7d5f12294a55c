/**
 * Where a stack keeps its cluster, keys and files: outside the work tree
 * (whose parents may be closed to the `postgres` user), one folder per
 * checkout and purpose, so that a second start finds its data again.
 */
import { createHash } from "node:crypto";

export const projectRoot = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** `/var/tmp/passerelle-<purpose>-<hash of the checkout path>`, or PASSERELLE_STACK_DIR. */
export function stackDir(purpose: "dev" | "test" | "demo", env: Record<string, string | undefined>): string {
  const override = env[
    {
      dev: "PASSERELLE_STACK_DIR",
      test: "PASSERELLE_TEST_STACK_DIR",
      demo: "PASSERELLE_DEMO_STACK_DIR",
    }[purpose]
  ];
  if (override) return override;
  const hash = createHash("sha256").update(projectRoot).digest("hex").slice(0, 10);
  return `/var/tmp/passerelle-${purpose}-${hash}`;
}
