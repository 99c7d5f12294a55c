/**
 * The status page in a real browser: headless Chromium (Debian's `chromium`
 * package) loads the page from `deno task status --web`'s server over a
 * database caught mid-migration, and the figures it draws must be those of
 * the JSON document and of the terminal view. The screenshot is kept in
 * test-artifacts/status-page.png (git-ignored) for a person to look at.
 * Without chromium the test is skipped, saying so: `WITH_CHROMIUM=1 bash scripts/install.sh`.
 */
import assert from "node:assert/strict";
import {
  formatEta,
  formatPercent,
  formatProgress,
  formatRate,
  formatRemaining,
} from "../../functions-shared/status/format.ts";
import { readStatus } from "../../functions-shared/status/read_status.ts";
import type { ProgressFigures, StatusDocument } from "../../functions-shared/status/status_document.ts";
import { renderTerminal } from "../../functions-shared/status/terminal.ts";
import {
  AT,
  EXPECTED,
  seedMigrationInProgress,
} from "../../functions-shared/status/testdata/migration_in_progress.ts";
import { createTestDatabase } from "../testing/test_database.ts";
import { readStatusPage, serveStatusWeb } from "./status_web.ts";

function findChromium(): string | undefined {
  const candidates = [Deno.env.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* not there */ }
  }
  return undefined;
}

const chromium = findChromium();
const artifacts = new URL("../../test-artifacts/", import.meta.url);

/** Runs headless Chromium on `url` with the flags the page is tested with; returns stdout. */
async function headless(url: string, extra: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "passerelle-chromium-" });
  try {
    const out = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--window-size=1200,900",
        "--virtual-time-budget=5000",
        ...extra,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, `chromium failed:\n${new TextDecoder().decode(out.stderr)}`);
    return stdout;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

const decode = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(
    /&nbsp;/g,
    "\u00a0",
  ).replace(/&amp;/g, "&");

/** The `<section data-key=...>` card of `key` in the dumped DOM. */
function cardHtml(dom: string, key: string): string {
  const start = dom.indexOf(`data-key="${key}"`);
  assert.ok(start > 0, `no card ${key} in the page`);
  const end = dom.indexOf("</section>", start);
  return dom.slice(start, end);
}

/** Text of the element carrying `data-field="<name>"` in `html` (undefined when absent). */
function fieldText(html: string, name: string): string | undefined {
  const m = html.match(new RegExp(`data-field="${name}"[^>]*>([^<]*)<`));
  return m ? decode(m[1]) : undefined;
}

function fieldAttr(html: string, name: string, attr: string): string | undefined {
  const m = html.match(new RegExp(`<[^>]*data-field="${name}"[^>]*>`));
  return m?.[0].match(new RegExp(`${attr}="([^"]*)"`))?.[1];
}

/** What every view must show for one card, formatted once. */
function figures(m: ProgressFigures) {
  return {
    progress: formatProgress(m),
    percent: formatPercent(m.percent),
    remaining: formatRemaining(m),
    eta: formatEta(m),
    rate: formatRate(m.rate, m.unit),
  };
}

Deno.test({
  name: chromium
    ? "the status page, the JSON and the terminal show the same figures (headless Chromium, screenshot kept)"
    : "the status page in headless Chromium: SKIPPED, chromium is not installed (WITH_CHROMIUM=1 bash scripts/install.sh)",
  ignore: !chromium,
  async fn() {
    const db = await createTestDatabase("status_page");
    const server = serveStatusWeb({
      load: () => readStatus(db.sql, { at: AT }),
      page: await readStatusPage(),
      port: 0,
    });
    try {
      await seedMigrationInProgress(db.sql);
      const base = `http://127.0.0.1:${server.addr.port}`;
      const doc: StatusDocument = await (await fetch(`${base}/status.json`)).json();
      const terminal = renderTerminal(doc, { width: 200 });
      // One run gives both the DOM and the screenshot (Chromium 156 honours both flags).
      await Deno.mkdir(artifacts, { recursive: true });
      const png = new URL("status-page.png", artifacts).pathname;
      await Deno.remove(png).catch(() => {});
      const dom = await headless(`${base}/`, ["--dump-dom", `--screenshot=${png}`]);

      assert.match(dom, /data-generated-at="2026-11-24T12:00:00/, "the page drew the document");
      const cards = [...doc.migrations, ...doc.imports];
      assert.equal(cards.length, 3);
      for (const m of cards) {
        const html = cardHtml(dom, m.key);
        const want = figures(m);
        for (const [name, text] of Object.entries(want)) {
          assert.equal(fieldText(html, name), text, `${m.key} ${name} on the page`);
          assert.ok(terminal.includes(text), `${m.key} ${name} "${text}" in the terminal:\n${terminal}`);
        }
        assert.equal(fieldAttr(html, "pulse", "data-alive"), String(m.alive), `${m.key} pulse`);
        assert.equal(fieldAttr(html, "gear", "data-active"), String(m.active), `${m.key} gear`);
        const failing = "cron" in m && m.cron.failing;
        assert.equal(fieldText(html, "cron-badge"), failing ? "Cron failing" : undefined, `${m.key} badge`);
      }

      // ...and those figures are the ones worked out by hand for this scene.
      const files = cardHtml(dom, "files");
      assert.equal(fieldText(files, "progress"), EXPECTED.files.progress);
      assert.equal(fieldText(files, "remaining"), EXPECTED.files.remainingText);
      assert.equal(fieldText(files, "eta"), EXPECTED.files.eta);
      assert.equal(fieldText(files, "rate"), EXPECTED.files.rateText);
      assert.match(files, /class="pulse live"/, "files: last batch 10 s ago, green");
      assert.match(files, /class="gear active"/, "files: a call is running, the gear spins");
      const leads = cardHtml(dom, "leads");
      assert.equal(fieldText(leads, "progress"), EXPECTED.leads.progress);
      assert.equal(fieldText(leads, "eta"), EXPECTED.leads.eta);
      assert.match(leads, /class="pulse stale"/, "leads: last batch 200 s ago, red");
      // Its last call was refused, but no cron request of its (none is scheduled): no cron failure (issue #13).
      assert.equal(
        fieldText(leads, "cron-badge"),
        undefined,
        "leads: a stranger's refused call is no cron failure",
      );
      assert.equal(
        fieldText(cardHtml(dom, `import:${doc.imports[0].id}`), "progress"),
        EXPECTED.import.progress,
      );
      const errors = [...dom.matchAll(/data-field="error"/g)].length;
      assert.equal(errors, 3, "the error panel lists the files' two errors and the leads' one");
      assert.match(
        dom,
        /<span id="connection" class="">refreshing every 3 s<\/span>/,
        "the page fetched its document",
      );

      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
      assert.ok(bytes.length > 20_000, `a screenshot with content (${bytes.length} bytes)`);
    } finally {
      await server.shutdown();
      await db.drop();
    }
  },
});

Deno.test({
  name: chromium
    ? "the status page shows the chatter syncs as the JSON and the terminal do: read, written, stored, the notice (headless Chromium)"
    : "the status page's chatter in headless Chromium: SKIPPED, chromium is not installed (WITH_CHROMIUM=1 bash scripts/install.sh)",
  ignore: !chromium,
  async fn() {
    const db = await createTestDatabase("status_page_chatter");
    const server = serveStatusWeb({
      load: () => readStatus(db.sql, { at: AT }),
      page: await readStatusPage(),
      port: 0,
    });
    try {
      const notice =
        "Messages synced without their tracking values: Odoo refused mail.tracking.value to this login";
      await db.sql`
        with company as (insert into public.companies (name) values ('Odoo') returning id)
        insert into public.sync_state (source, company_id, phase, cursor_id, passes, notice)
        select 'odoo_messages', id, 'full', 1234, 0, ${notice} from company`;
      await db.sql`
        insert into public.migration_logs (function_name, status, migrated, failed, remaining, elapsed_s, errors,
                                           trigger, details, created_at)
        values ('sync-odoo-messages', 'success', 900, 0, 100, 3, ${[notice]}, 'manual',
                '{"inserted": 800, "updated": 100, "unchanged": 50}', ${AT.toISOString()}::timestamptz - interval '20 seconds'),
               ('sync-odoo-messages', 'success', 0, 0, 100, 1, '{}', 'manual',
                '{"inserted": 0, "updated": 0, "unchanged": 25}', ${AT.toISOString()}::timestamptz - interval '10 seconds')`;
      const base = `http://127.0.0.1:${server.addr.port}`;
      const doc: StatusDocument = await (await fetch(`${base}/status.json`)).json();
      const messages = doc.chatter!.find((c) => c.key === "messages")!;
      assert.deepEqual([messages.read, messages.written, messages.cursor_id], [975, 900, 1234]);
      const terminal = renderTerminal(doc, { width: 300 });
      const dom = await headless(`${base}/`, ["--dump-dom"]);
      const start = dom.indexOf(`data-key="messages"`);
      assert.ok(start > 0, "the messages' line on the page");
      const li = dom.slice(start, dom.indexOf("</li>", start));
      for (const [name, text] of [["read", "975 read"], ["written", "900 written"], ["stored", "0 stored"]]) {
        assert.equal(fieldText(li, name), text, name);
        assert.ok(terminal.includes(text), `${text} in the terminal:\n${terminal}`);
      }
      assert.equal(fieldText(li, "notice"), notice);
      assert.ok(li.includes("first pass, cursor at id 1234"));
      assert.ok(terminal.includes("first pass, cursor at id 1234") && terminal.includes(notice), terminal);
      assert.equal(dom.includes(`data-key="activities"`), false, "the activity sync never ran: no line");
    } finally {
      await server.shutdown();
      await db.drop();
    }
  },
});
