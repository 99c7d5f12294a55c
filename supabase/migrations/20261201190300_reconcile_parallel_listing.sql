-- Reconcile lists leads, attachments and activities at once (three Odoo requests in flight, Odoo is
-- threaded), each with its own cursor; -1 marks a listing that reached its end (an empty page).
alter table public.reconcile_runs add column file_cursor bigint not null default 0;
alter table public.reconcile_runs add column activity_cursor bigint not null default 0;

create or replace function passerelle.reconcile_stage_files(run bigint, files jsonb, cursor_id bigint)
returns integer
language sql volatile set search_path = '' as $$
  with ins as (
    insert into passerelle.reconcile_odoo_files (run_id, odoo_id, res_id, checksum, file_size, odoo_type)
    select run, a.id, a.res_id, passerelle.odoo_text(a.checksum), a.file_size, a.type
      from jsonb_to_recordset(files) as a(id integer, res_id integer, checksum jsonb, file_size bigint, type text)
    on conflict do nothing
    returning 1
  ), n as (select count(*)::integer as n from ins)
  update public.reconcile_runs r
     set odoo_attachments = r.odoo_attachments + n.n, file_cursor = reconcile_stage_files.cursor_id,
         updated_at = now()
    from n where r.id = run
  returning n.n;
$$;

create or replace function passerelle.reconcile_stage_activities(run bigint, activities jsonb, cursor_id bigint)
returns integer
language sql volatile set search_path = '' as $$
  with ins as (
    insert into passerelle.reconcile_odoo_activities (run_id, odoo_id, res_id, write_date)
    select run, (a ->> 'id')::integer, (a ->> 'res_id')::integer,
           passerelle.odoo_time(a -> 'write_date') at time zone 'UTC'
      from jsonb_array_elements(activities) a
    on conflict do nothing
    returning 1
  ), n as (select count(*)::integer as n from ins)
  update public.reconcile_runs r
     set odoo_activities = r.odoo_activities + n.n, activity_cursor = reconcile_stage_activities.cursor_id,
         updated_at = now()
    from n where r.id = run
  returning n.n;
$$;
