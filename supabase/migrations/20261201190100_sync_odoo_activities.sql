-- Odoo's activities on leads (mail.activity, res_model crm.lead) into `activities`, over the API,
-- incrementally like the leads (README, "sync-odoo-activities"): one page in one call, set-based,
-- the cursor in the same transaction.

-- The Odoo lead an activity belongs to, kept so that an activity read before its lead is linked
-- once the lead arrives; and what Odoo's write_date said, for the incremental passes.
alter table public.activities add column odoo_res_id integer;
alter table public.activities add column source_updated_at timestamptz;
create index activities_unlinked_idx on public.activities (odoo_res_id) where lead_id is null;

-- `activities`: mail.activity rows as search_read answers them, each with `kind` (the known kind of
-- its type, mapped by the function as the CSV import does) added.
create function passerelle.sync_odoo_activities_page(
  source text,
  company bigint,
  activities jsonb,
  cursor_id bigint
) returns table (inserted integer, updated integer, unchanged integer)
language plpgsql volatile set search_path = '' as $$
declare
  n_in integer;
  n_up integer;
begin
  with src as (
    select (a ->> 'id')::integer as odoo_id, (a ->> 'res_id')::integer as res_id,
           passerelle.odoo_text(a -> 'kind') as kind,
           passerelle.odoo_m2o_name(a -> 'activity_type_id') as type_label,
           passerelle.odoo_text(a -> 'summary') as summary,
           passerelle.odoo_text(a -> 'note') as note,
           case when jsonb_typeof(a -> 'date_deadline') = 'string' then (a ->> 'date_deadline')::date end as due_date,
           -- Done: archived (Odoo 17 keeps a done activity whose type says so) or with its done date.
           (not coalesce((a ->> 'active')::boolean, true) or jsonb_typeof(a -> 'date_done') = 'string') as done,
           passerelle.odoo_m2o_name(a -> 'user_id') as assigned_name,
           passerelle.odoo_time(a -> 'write_date') as source_updated_at
      from jsonb_array_elements(activities) a
  ),
  up as (
    insert into public.activities as t
      (company_id, lead_id, odoo_id, odoo_res_id, activity_type, type_label, summary, note, due_date, done,
       assigned_name, source_updated_at)
    select company, l.id, s.odoo_id, s.res_id, s.kind, s.type_label, s.summary, s.note, s.due_date, s.done,
           s.assigned_name, s.source_updated_at
      from src s left join public.leads l on l.source_email_id = 'odoo_crm_' || s.res_id
    on conflict (odoo_id) do update
       set lead_id = excluded.lead_id, odoo_res_id = excluded.odoo_res_id, activity_type = excluded.activity_type,
           type_label = excluded.type_label, summary = excluded.summary, note = excluded.note,
           due_date = excluded.due_date, done = excluded.done, assigned_name = excluded.assigned_name,
           source_updated_at = excluded.source_updated_at, updated_at = now()
     -- Changed is what was read, not a write_date rendered to the second (issue #16).
     where (t.lead_id, t.odoo_res_id, t.activity_type, t.type_label, t.summary, t.note, t.due_date, t.done,
            t.assigned_name, t.source_updated_at) is distinct from
           (excluded.lead_id, excluded.odoo_res_id, excluded.activity_type, excluded.type_label, excluded.summary,
            excluded.note, excluded.due_date, excluded.done, excluded.assigned_name, excluded.source_updated_at)
    returning (xmax = 0) as is_insert
  )
  select count(*) filter (where is_insert), count(*) filter (where not is_insert) into n_in, n_up from up;

  update public.sync_state s
     set cursor_id = sync_odoo_activities_page.cursor_id, synced = s.synced + n_in, last_run_at = now(),
         updated_at = now()
   where s.source = sync_odoo_activities_page.source;

  return query select n_in, n_up, jsonb_array_length(activities) - n_in - n_up;
end $$;

-- Activities read before their lead: linked once it is synced (once per call, whatever the pages).
create function passerelle.link_odoo_activities()
returns integer
language sql volatile set search_path = '' as $$
  with linked as (
    update public.activities a set lead_id = l.id, updated_at = now()
      from public.leads l
     where a.lead_id is null and a.odoo_res_id is not null and l.source_email_id = 'odoo_crm_' || a.odoo_res_id
    returning 1)
  select count(*)::integer from linked;
$$;

revoke all on function passerelle.link_odoo_activities() from public;
grant execute on function passerelle.link_odoo_activities() to service_role;
revoke all on function passerelle.sync_odoo_activities_page(text, bigint, jsonb, bigint) from public;
grant execute on function passerelle.sync_odoo_activities_page(text, bigint, jsonb, bigint) to service_role;
