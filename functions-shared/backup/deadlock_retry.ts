/**
 * Runs one statement again when PostgreSQL chose it as a deadlock's victim (40P01): the import's
 * statements that write many `lead_files` rows (creating the missing ones, claiming, renewing) run while
 * archive-odoo-files discovers and claims the same rows in its own order, and a lone statement that was
 * rolled back left nothing behind, so it is simply run again (seen on the full-size migration bench:
 * import-dump started while the archive's discovery was creating the rows).
 */
export async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code !== "40P01" || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 50 * i + Math.random() * 100));
    }
  }
}
