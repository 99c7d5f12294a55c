-- Reconcile compares Odoo's activities on leads with `activities` too, once they are synced
-- (`sync-odoo-activities`): ids and res_id of mail.activity staged per run, then one statement per
-- kind, as for leads and attachments (README, "Reconcile").

-- What Odoo no longer has is marked, never deleted (Odoo unlinks a done activity unless its type keeps it).
alter table public.activities add column source_deleted_at timestamptz;

alter table public.reconcile_runs add column odoo_activities integer not null default 0;
alter table public.reconcile_runs drop constraint reconcile_runs_phase_check;
alter table public.reconcile_runs add constraint reconcile_runs_phase_check
  check (phase in ('leads', 'attachments', 'activities', 'compare', 'storage', 'done', 'failed'));

alter table public.reconcile_differences add column activity_id bigint;
alter table public.reconcile_differences drop constraint reconcile_differences_kind_check;
alter table public.reconcile_differences add constraint reconcile_differences_kind_check check (kind in (
  'lead_missing', 'lead_deleted', 'lead_stale',
  'file_missing', 'file_deleted', 'file_checksum', 'file_not_stored',
  'object_missing', 'object_size', 'object_sha1',
  'activity_missing', 'activity_deleted',
  'import_row_unaccounted'));

create table passerelle.reconcile_odoo_activities (
  run_id bigint not null references public.reconcile_runs (id) on delete cascade,
  odoo_id integer not null,
  res_id integer,
  write_date timestamp,
  primary key (run_id, odoo_id)
);
grant select, insert, update, delete on passerelle.reconcile_odoo_activities to service_role;

-- Activities are compared only once their sync has run a pass: before, every one would be "missing".
create function passerelle.activities_synced()
returns boolean
language sql stable set search_path = '' as $$
  select exists (select 1 from public.sync_state where source = 'odoo_activities' and passes > 0)
$$;

-- Stages one page of Odoo activities (id, res_id, write_date) and moves the cursor.
create function passerelle.reconcile_stage_activities(run bigint, activities jsonb, cursor_id bigint)
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
     set odoo_activities = r.odoo_activities + n.n, cursor_id = reconcile_stage_activities.cursor_id,
         updated_at = now()
    from n where r.id = run
  returning n.n;
$$;

-- The activities' comparison, after `reconcile_compare` (whose lead deletions it follows): missing
-- ones, and those Odoo no longer has, marked. An activity of a lead deleted in Odoo went with it
-- (unlink deletes the record's activities): marked, part of the lead's difference.
create function passerelle.reconcile_compare_activities(run bigint)
returns integer
language plpgsql volatile set search_path = '' as $$
declare
  n integer;
begin
  if not passerelle.activities_synced() then
    return 0;
  end if;
  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, detail, action, data)
  select run, 'activity_missing', o.odoo_id, l.id,
         'Odoo activity ' || o.odoo_id || ' of lead ' || l.id || ' is not in Supabase',
         'repair: the activity sync reads it again', jsonb_build_object('odoo_write_date', o.write_date)
    from passerelle.reconcile_odoo_activities o
    join public.leads l on l.source_email_id = 'odoo_crm_' || o.res_id
   where o.run_id = run and not exists (select 1 from public.activities a where a.odoo_id = o.odoo_id);

  with gone as (
    select a.id, a.odoo_id, a.lead_id, a.source_deleted_at,
           exists (select 1 from public.leads l join passerelle.reconcile_odoo_leads ol
                     on ol.run_id = run and ol.odoo_id = l.odoo_id where l.id = a.lead_id) as lead_alive
      from public.activities a
     where a.odoo_id is not null
       and not exists (select 1 from passerelle.reconcile_odoo_activities o where o.run_id = run and o.odoo_id = a.odoo_id)
  ), marked as (
    update public.activities a set source_deleted_at = now() from gone
     where a.id = gone.id and a.source_deleted_at is null
  )
  insert into public.reconcile_differences (run_id, kind, open, odoo_id, lead_id, activity_id, detail, action)
  select run, 'activity_deleted', g.source_deleted_at is null, g.odoo_id, g.lead_id, g.id,
         'Odoo activity ' || g.odoo_id || ' was deleted in Odoo; Supabase keeps activity ' || g.id,
         case when g.source_deleted_at is null then 'none: marked source_deleted_at, kept'
              else 'none: kept, marked deleted since ' || to_char(g.source_deleted_at, 'YYYY-MM-DD HH24:MI') end
    from gone g where g.lead_alive;

  select count(*) into n from public.reconcile_differences d
   where d.run_id = run and d.kind in ('activity_missing', 'activity_deleted');
  delete from passerelle.reconcile_odoo_activities where run_id = run;
  return n;
end $$;

-- repair(run) also restarts the activity sync's pass for activities missing.
create or replace function passerelle.repair(run bigint)
returns table (kind text, queued integer)
language plpgsql volatile set search_path = '' as $$
#variable_conflict use_column
declare
  since timestamp;
  n integer;
  kinds text[];
begin
  if not exists (select 1 from public.reconcile_runs r where r.id = run and r.phase = 'done') then
    raise exception 'reconcile run % is not finished (see public.reconcile_runs)', run;
  end if;

  -- Stale and missing leads: the sync writes a lead only when what it read differs from what it
  -- wrote last time (today: its write_date; the odoo helper's source_hash once it lands); forgetting
  -- that makes the next read write it. The sync's pass restarts from the oldest write_date concerned
  -- (an incremental pass reads `write_date >= pass_since`), so those leads are read again.
  update public.leads l set source_updated_at = null
    from public.reconcile_differences d
   where d.run_id = run and d.kind = 'lead_stale' and d.repaired_at is null and l.id = d.lead_id;
  get diagnostics n = row_count;
  if exists (select 1 from information_schema.columns c
              where c.table_schema = 'public' and c.table_name = 'leads' and c.column_name = 'source_hash') then
    execute 'update public.leads l set source_hash = null from public.reconcile_differences d
              where d.run_id = $1 and d.kind = ''lead_stale'' and d.repaired_at is null and l.id = d.lead_id'
      using run;
  end if;
  kind := 'lead_stale'; queued := n; return next;
  select count(*) into n from public.reconcile_differences d
   where d.run_id = run and d.kind = 'lead_missing' and d.repaired_at is null;
  kind := 'lead_missing'; queued := n; return next;
  select min((d.data ->> 'odoo_write_date')::timestamp) into since from public.reconcile_differences d
   where d.run_id = run and d.kind in ('lead_stale', 'lead_missing') and d.repaired_at is null;
  if since is not null then
    update public.sync_state s
       set cursor_id = 0, pass_high = null, pass_started_at = null,
           pass_since = case when s.pass_since is null then null else least(s.pass_since, since) end,
           updated_at = now()
     where s.source = 'odoo_leads';
  end if;

  -- Activities Odoo has and Supabase lacks: the activity sync's pass restarts from the oldest
  -- write_date concerned, as for leads.
  select count(*), min((d.data ->> 'odoo_write_date')::timestamp) into n, since
    from public.reconcile_differences d
   where d.run_id = run and d.kind = 'activity_missing' and d.repaired_at is null;
  if n > 0 then
    update public.sync_state s
       set cursor_id = 0, pass_high = null, pass_started_at = null,
           pass_since = case when s.pass_since is null then null else least(s.pass_since, since) end,
           updated_at = now()
     where s.source = 'odoo_activities';
  end if;
  kind := 'activity_missing'; queued := n; return next;

  -- Attachments without their row: the archive's discovery pass runs again at its next call.
  select count(*) into n from public.reconcile_differences d
   where d.run_id = run and d.kind = 'file_missing' and d.repaired_at is null;
  if n > 0 then
    update public.sync_state set cursor_id = 0, caught_up_at = null, updated_at = now()
     where source = 'odoo_attachments';
  end if;
  kind := 'file_missing'; queued := n; return next;

  -- Content changed in Odoo: the row takes Odoo's checksum and size and is archived again.
  update public.lead_files f
     set checksum = d.data ->> 'odoo_checksum', file_size = (d.data ->> 'odoo_file_size')::bigint
    from public.reconcile_differences d
   where d.run_id = run and d.kind = 'file_checksum' and d.repaired_at is null and f.id = d.lead_file_id;

  -- Stored objects missing or wrong, changed content, failed files: back to the archive's queue
  -- (its upload replaces the object under the same key). Claimed files are the archive's now.
  with q as (
    update public.lead_files f
       set status = 'pending', storage_path = null, file_url = null, done_at = null, attempts = 0,
           run_after = now(), leased_until = null, last_error = null, error_code = null, updated_at = now()
      from public.reconcile_differences d
     where d.run_id = run and d.repaired_at is null and f.id = d.lead_file_id
       and d.kind in ('file_checksum', 'object_missing', 'object_size', 'object_sha1', 'file_not_stored')
       and f.status in ('done', 'failed')
    returning d.kind
  )
  select coalesce(array_agg(q.kind), '{}') into kinds from q;
  return query select k, count(*)::integer from unnest(kinds) k group by k order by k;

  update public.reconcile_differences d set repaired_at = now()
   where d.run_id = run and d.repaired_at is null and d.open
     and d.kind not in ('lead_deleted', 'file_deleted', 'activity_deleted', 'import_row_unaccounted');
  update public.reconcile_runs set repaired_at = now() where id = run;
end $$;


-- The latest run, with its activities.
create or replace function passerelle.reconcile_summary()
returns jsonb
language sql stable set search_path = '' as $$
  select to_jsonb(s) from (
    select r.id as run_id, r.deep, r.phase, r.started_at, r.finished_at, r.odoo_leads, r.odoo_attachments,
           r.odoo_activities, r.objects_checked, r.bytes_checked, r.storage_ms, r.differences, r.deleted_kept,
           r.by_kind, r.repaired_at, r.error
      from public.reconcile_runs r order by r.id desc limit 1) s
$$;

revoke all on function passerelle.activities_synced() from public;
revoke all on function passerelle.reconcile_stage_activities(bigint, jsonb, bigint) from public;
revoke all on function passerelle.reconcile_compare_activities(bigint) from public;
grant execute on all functions in schema passerelle to service_role;
