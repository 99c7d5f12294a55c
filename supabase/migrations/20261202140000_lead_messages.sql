-- The chatter of leads: Odoo's mail.message on crm.lead (notes, e-mails, notifications with their
-- tracking values) into `lead_messages`, over the API (`sync-odoo-messages`) or from a backup's dump.sql
-- (`deno task import-dump`): both hand the same normalized rows to one page function (README,
-- "sync-odoo-messages"), so both ways write the same rows.

create table public.lead_messages (
  id bigint generated always as identity primary key,
  company_id bigint not null references public.companies (id) on delete cascade,
  -- Null while the lead is not synced yet; linked once it is (`link_odoo_messages`).
  lead_id bigint references public.leads (id) on delete cascade,
  odoo_id integer not null unique,
  odoo_res_id integer not null,
  -- Odoo's selection as is: comment, email, notification, auto_comment, user_notification, ...
  message_type text not null,
  -- The subtype's name (Note, Discussions, Stage Changed, ...).
  subtype text,
  subject text,
  -- Odoo's HTML, as is (never trimmed nor cleaned: what the user wrote).
  body text,
  email_from text,
  author_odoo_id integer,
  author_name text,
  author_email text,
  posted_at timestamptz,
  -- One object a change, in Odoo's order: {field, label, type, old, new, old_id, new_id} (old_id/new_id for
  -- a many2one), values as Odoo displays them (README, "Tracking values").
  tracking jsonb not null default '[]'::jsonb check (jsonb_typeof(tracking) = 'array'),
  -- ir.attachment ids (message_attachment_rel), matched to lead_files by odoo_id (`lead_message_files`).
  attachment_odoo_ids integer[] not null default '{}',
  source_updated_at timestamptz,
  -- Odoo no longer has the message (found by reconcile): marked, kept.
  source_deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index lead_messages_lead_idx on public.lead_messages (lead_id, posted_at);
create index lead_messages_unlinked_idx on public.lead_messages (odoo_res_id) where lead_id is null;

alter table public.lead_messages enable row level security;
-- As the company tenancy reads activities (20261201130100): a member reads their companies' chatter.
create policy "members read their companies' lead messages" on public.lead_messages for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid()))));

-- A message's attachments, each with its lead_files row once that exists (a view, so that a file
-- discovered later is linked without a write). security_invoker: read with the reader's RLS.
create view public.lead_message_files with (security_invoker = true) as
  select m.id as message_id, m.lead_id, a.odoo_attachment_id, f.id as lead_file_id, f.name, f.storage_path,
         f.status
    from public.lead_messages m
   cross join lateral unnest(m.attachment_odoo_ids) as a (odoo_attachment_id)
    left join public.lead_files f on f.odoo_id = a.odoo_attachment_id;

-- `messages`: rows normalized by functions-shared/chatter/message_row.ts (the same for the API and the
-- dump). A row is rewritten only when a value read differs.
create function passerelle.sync_odoo_messages_page(
  source text,
  company bigint,
  messages jsonb,
  cursor_id bigint
) returns table (inserted integer, updated integer, unchanged integer)
language plpgsql volatile set search_path = '' as $$
declare
  n_in integer;
  n_up integer;
begin
  with src as (
    select m.*
      from jsonb_to_recordset(messages) as m (
        odoo_id integer, res_id integer, message_type text, subtype text, subject text, body text,
        email_from text, author_odoo_id integer, author_name text, author_email text, posted_at timestamp,
        tracking jsonb, attachment_odoo_ids integer[], source_updated_at timestamp)
  ),
  up as (
    insert into public.lead_messages as t
      (company_id, lead_id, odoo_id, odoo_res_id, message_type, subtype, subject, body, email_from,
       author_odoo_id, author_name, author_email, posted_at, tracking, attachment_odoo_ids, source_updated_at)
    select company, l.id, s.odoo_id, s.res_id, s.message_type, s.subtype, s.subject, s.body, s.email_from,
           s.author_odoo_id, s.author_name, s.author_email, s.posted_at at time zone 'UTC',
           coalesce(s.tracking, '[]'::jsonb), coalesce(s.attachment_odoo_ids, '{}'),
           s.source_updated_at at time zone 'UTC'
      from src s left join public.leads l on l.source_email_id = 'odoo_crm_' || s.res_id
    on conflict (odoo_id) do update
       set lead_id = excluded.lead_id, odoo_res_id = excluded.odoo_res_id, message_type = excluded.message_type,
           subtype = excluded.subtype, subject = excluded.subject, body = excluded.body,
           email_from = excluded.email_from, author_odoo_id = excluded.author_odoo_id,
           author_name = excluded.author_name, author_email = excluded.author_email,
           posted_at = excluded.posted_at, tracking = excluded.tracking,
           attachment_odoo_ids = excluded.attachment_odoo_ids, source_updated_at = excluded.source_updated_at,
           source_deleted_at = null, updated_at = now()
     where (t.lead_id, t.odoo_res_id, t.message_type, t.subtype, t.subject, t.body, t.email_from, t.author_odoo_id,
            t.author_name, t.author_email, t.posted_at, t.tracking, t.attachment_odoo_ids, t.source_updated_at,
            t.source_deleted_at) is distinct from
           (excluded.lead_id, excluded.odoo_res_id, excluded.message_type, excluded.subtype, excluded.subject,
            excluded.body, excluded.email_from, excluded.author_odoo_id, excluded.author_name,
            excluded.author_email, excluded.posted_at, excluded.tracking, excluded.attachment_odoo_ids,
            excluded.source_updated_at, null::timestamptz)
    returning (xmax = 0) as is_insert
  )
  select count(*) filter (where is_insert), count(*) filter (where not is_insert) into n_in, n_up from up;

  -- The dump's import passes a source that has no sync_state row: nothing moves there.
  update public.sync_state s
     set cursor_id = sync_odoo_messages_page.cursor_id, synced = s.synced + n_in, last_run_at = now(),
         updated_at = now()
   where s.source = sync_odoo_messages_page.source;

  return query select n_in, n_up, jsonb_array_length(messages) - n_in - n_up;
end $$;

-- Messages read before their lead: linked once it is synced (once per call).
create function passerelle.link_odoo_messages()
returns integer
language sql volatile set search_path = '' as $$
  with linked as (
    update public.lead_messages m set lead_id = l.id, updated_at = now()
      from public.leads l
     where m.lead_id is null and l.source_email_id = 'odoo_crm_' || m.odoo_res_id
    returning 1)
  select count(*)::integer from linked;
$$;

revoke all on function passerelle.link_odoo_messages() from public;
grant execute on function passerelle.link_odoo_messages() to service_role;
revoke all on function passerelle.sync_odoo_messages_page(text, bigint, jsonb, bigint) from public;
grant execute on function passerelle.sync_odoo_messages_page(text, bigint, jsonb, bigint) to service_role;
