/**
 * The step of `sync-odoo-messages`: the chatter of leads (`mail.message` of crm.lead) into
 * `lead_messages`, in keyset pages by id. A page is three Odoo reads (the messages; their tracking values,
 * with the tracked fields not known yet; their authors) and one database round trip
 * (`passerelle.sync_odoo_messages_page`, set-based, the cursor in the same transaction), pass by pass
 * (`odoo_pass.ts`); a row is rewritten only when what was read differs. Archived authors (OdooBot, a
 * former employee) are still the authors: they are read too.
 */
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import type { Domain, OdooReader } from "../sync/odoo_reader.ts";
import {
  authorIds,
  FIELD_FIELDS,
  MESSAGE_FIELDS,
  messageRows,
  type OdooAuthor,
  type OdooField,
  type OdooMessage,
  type OdooTracking,
  trackedFieldIds,
  TRACKING_FIELDS,
} from "./message_row.ts";
import { ALL, odooPass } from "./odoo_pass.ts";

const ON_LEADS: Domain = [["model", "=", "crm.lead"]];

/**
 * What the sync says, once, when Odoo refuses `mail.tracking.value` to its login: Odoo 17 and 19 give that
 * model to Settings users only (base.group_system, addons/mail/security/ir.model.access.csv), and a
 * message's `tracking_value_ids` carries the same group, so a salesman's login cannot read them either way.
 */
export function trackingRefusedNotice(odooMessage: string): string {
  return "Messages synced without their tracking values: Odoo refused mail.tracking.value to this login " +
    "(it needs Settings rights, base.group_system), so the history of stage and salesperson changes is " +
    `not copied. Odoo said: ${odooMessage.split("\n")[0]}`;
}

/** The sync_state row of the message sync. */
export const MESSAGE_SOURCE = "odoo_messages";

/** Builds the step; `companyName` is the company the synced leads belong to. */
export function messageSync(odoo: OdooReader, opts: { companyName: string; pageSize?: number }) {
  const source = MESSAGE_SOURCE;
  const pageSize = opts.pageSize ?? 1000;
  // Tracked fields, kept between calls: a field id always names the same field.
  const fields = new Map<number, OdooField>();
  // Odoo's refusal of mail.tracking.value to this login, once met: the pages after it skip that read (the
  // step lives as long as its isolate, whose login does not change; a new deployment asks again).
  let refused: string | null = null;

  async function readTrackings(ids: number[]): Promise<OdooTracking[]> {
    if (refused !== null) return [];
    try {
      return await odoo.searchRead<OdooTracking>("mail.tracking.value", [["mail_message_id", "in", ids]], {
        fields: TRACKING_FIELDS,
        order: "id asc",
        context: ALL,
      });
    } catch (e) {
      if (!(e instanceof PasserelleError) || e.code !== "odoo_access_denied") throw e;
      const said = (e.cause as { message?: string } | undefined)?.message ?? e.message;
      refused = said;
      return [];
    }
  }

  async function readPage(domain: Domain) {
    const messages = await odoo.searchRead<OdooMessage>("mail.message", domain, {
      fields: MESSAGE_FIELDS,
      order: "id asc",
      limit: pageSize,
      context: ALL,
    });
    if (messages.length === 0) return { messages, trackings: [], authors: new Map<number, OdooAuthor>() };
    const ids = messages.map((m) => m.id);
    const authorsRead = odoo.searchRead<OdooAuthor>("res.partner", [["id", "in", authorIds(messages)]], {
      fields: ["id", "name", "email"],
      order: "id asc",
      context: ALL,
    });
    authorsRead.catch(() => {}); // awaited below
    const trackings = await readTrackings(ids);
    const unknown = trackedFieldIds(trackings).filter((id) => !fields.has(id));
    if (unknown.length) {
      const read = await odoo.searchRead<OdooField>("ir.model.fields", [["id", "in", unknown]], {
        fields: FIELD_FIELDS,
        order: "id asc",
        context: ALL,
      });
      for (const f of read) fields.set(f.id, f);
    }
    const authors = new Map((await authorsRead).map((a) => [a.id, a]));
    return { messages, trackings, authors };
  }

  return async (ctx: { sql: Sql; budget: Budget; sampleMemory?: () => void }): Promise<StepResult> => {
    const { sql, budget } = ctx;
    const pass = odooPass(odoo, sql, { source, model: "mail.message", on: ON_LEADS });
    let state = await pass.load(opts.companyName);
    let inserted = 0, updated = 0, unchanged = 0, pages = 0, passDone = false, passStarted = false;
    // Odoo reads the next page while PostgreSQL writes this one; a page read for a call whose budget then
    // ends is dropped (the cursor did not move past it: the next call reads it again).
    let next: ReturnType<typeof readPage> | null = null;
    while (!budget.spent()) {
      if (state.pass_high === null) {
        state = await pass.begin(state);
        passStarted = true;
      }
      const page = await (next ?? readPage(pass.domain(state)));
      next = null;
      if (page.messages.length === 0) {
        await pass.end();
        passDone = true;
        break;
      }
      const rows = messageRows(page.messages, page.trackings, fields, page.authors);
      const last = page.messages[page.messages.length - 1].id;
      if (!budget.spent()) {
        next = readPage(pass.domain({ ...state, cursor_id: last }));
        next.catch(() => {}); // (its failure, if any, surfaces where it is awaited)
      }
      const [r] = await sql<{ inserted: number; updated: number; unchanged: number }[]>`
        select * from passerelle.sync_odoo_messages_page(${source}, ${state.company_id},
                                                         ${sql.json(rows as never)}, ${last})`;
      inserted += r.inserted;
      updated += r.updated;
      unchanged += r.unchanged;
      pages++;
      state = { ...state, cursor_id: last };
      ctx.sampleMemory?.();
    }
    const [{ linked }] = await sql<{ linked: number }[]>`select passerelle.link_odoo_messages() as linked`;
    // Said once: in this call's log row, and in sync_state (the status document) until cleared.
    const errors: string[] = [];
    if (refused !== null && state.notice === null) {
      const notice = trackingRefusedNotice(refused);
      const [said] = await sql`update public.sync_state set notice = ${notice}
                                 where source = ${source} and notice is null returning 1`;
      if (said) errors.push(notice);
    }
    const remaining = passDone ? 0 : await pass.remaining(state);
    return {
      migrated: inserted + updated + linked,
      failed: 0,
      remaining,
      more: !passDone,
      // Worked: a page written (the cursor moved) or a pass begun; an idle incremental call (one empty
      // page, the pass closed) chains nothing.
      worked: pages > 0 || passStarted && !passDone || linked > 0,
      errors,
      details: {
        inserted,
        updated,
        unchanged,
        linked,
        pages,
        ...(refused !== null ? { tracking: "refused" } : {}),
      },
    };
  };
}
