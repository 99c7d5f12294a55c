-- Reconcile compares Odoo's chatter of leads with `lead_messages` too, once the message sync has run a
-- pass (`sync-odoo-messages`): id, res_id and write_date of mail.message on crm.lead listed beside the
-- leads, attachments and activities (a fourth request in flight, its own cursor), then compared per
-- message and counted per lead (README, "Reconcile").

alter table public.reconcile_runs add column odoo_messages integer not null default 0;
alter table public.reconcile_runs add column message_cursor bigint not null default 0;

alter table public.reconcile_differences add column message_id bigint;
alter table public.reconcile_differences drop constraint reconcile_differences_kind_check;
alter table public.reconcile_differences add constraint reconcile_differences_kind_check check (kind in (
  'lead_missing', 'lead_deleted', 'lead_stale',
  'file_missing', 'file_deleted', 'file_checksum', 'file_not_stored',
  'object_missing', 'object_size', 'object_sha1',
  'activity_missing', 'activity_deleted',
  'message_missing', 'message_deleted',
  'import_row_unaccounted'));

create table passerelle.reconcile_odoo_messages (
  run_id bigint not null references public.reconcile_runs (id) on delete cascade,
  odoo_id integer not null,
  res_id integer,
  write_date timestamp,
  primary key (run_id, odoo_id)
);
grant select, insert, update, delete on passerelle.reconcile_odoo_messages to service_role;

-- Messages are compared only once their sync has run a pass: before, every one would be "missing".
create function passerelle.messages_synced()
returns boolean
language sql stable set search_path = '' as $$
  select exists (select 1 from public.sync_state where source = 'odoo_messages' and passes > 0)
$$;

-- Stages one page of Odoo messages (id, res_id, write_date) and moves the cursor.
create function passerelle.reconcile_stage_messages(run bigint, messages jsonb, cursor_id bigint)
returns integer
language sql volatile set search_path = '' as $$
  with ins as (
    insert into passerelle.reconcile_odoo_messages (run_id, odoo_id, res_id, write_date)
    select run, m.id, m.res_id, passerelle.odoo_time(m.write_date) at time zone 'UTC'
      from jsonb_to_recordset(messages) as m (id integer, res_id integer, write_date jsonb)
    on conflict do nothing
    returning 1
  ), n as (select count(*)::integer as n from ins)
  update public.reconcile_runs r
     set odoo_messages = r.odoo_messages + n.n, message_cursor = reconcile_stage_messages.cursor_id,
         updated_at = now()
    from n where r.id = run
  returning n.n;
$$;

-- The messages' comparison, after `reconcile_compare`: per lead, how many messages each side holds (in
-- each difference's `data`), and the messages missing, and those Odoo no longer has, marked. A message of
-- a lead deleted in Odoo went with it (mail.thread's unlink deletes its messages): marked, part of the
-- lead's difference.
create function passerelle.reconcile_compare_messages(run bigint)
returns integer
language plpgsql volatile set search_path = '' as $$
declare
  n integer;
begin
  if not passerelle.messages_synced() then
    return 0;
  end if;
  create temporary table if not exists reconcile_message_counts (
    res_id integer primary key, odoo integer not null, supabase integer not null
  ) on commit drop;
  truncate reconcile_message_counts;
  insert into reconcile_message_counts
  select coalesce(o.res_id, s.res_id), coalesce(o.n, 0), coalesce(s.n, 0)
    from (select res_id, count(*)::integer as n from passerelle.reconcile_odoo_messages where run_id = run
           group by res_id) o
    full join (select odoo_res_id as res_id, count(*)::integer as n from public.lead_messages
                where source_deleted_at is null group by odoo_res_id) s on s.res_id = o.res_id;

  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, detail, action, data)
  select run, 'message_missing', o.odoo_id, l.id,
         'Odoo message ' || o.odoo_id || ' of lead ' || l.id || ' is not in Supabase (lead ' || l.id || ': ' ||
           c.odoo || ' messages in Odoo, ' || c.supabase || ' in Supabase)',
         'repair: the message sync reads it again',
         jsonb_build_object('odoo_write_date', o.write_date, 'lead_odoo_messages', c.odoo,
                            'lead_supabase_messages', c.supabase)
    from passerelle.reconcile_odoo_messages o
    join public.leads l on l.source_email_id = 'odoo_crm_' || o.res_id
    join reconcile_message_counts c on c.res_id = o.res_id
   where o.run_id = run and not exists (select 1 from public.lead_messages m where m.odoo_id = o.odoo_id);

  with gone as (
    select m.id, m.odoo_id, m.odoo_res_id, m.lead_id, m.source_deleted_at,
           exists (select 1 from public.leads l join passerelle.reconcile_odoo_leads ol
                     on ol.run_id = run and ol.odoo_id = l.odoo_id where l.id = m.lead_id) as lead_alive
      from public.lead_messages m
     where not exists (select 1 from passerelle.reconcile_odoo_messages o where o.run_id = run and o.odoo_id = m.odoo_id)
  ), marked as (
    update public.lead_messages m set source_deleted_at = now() from gone
     where m.id = gone.id and m.source_deleted_at is null
  )
  insert into public.reconcile_differences (run_id, kind, open, odoo_id, lead_id, message_id, detail, action, data)
  select run, 'message_deleted', g.source_deleted_at is null, g.odoo_id, g.lead_id, g.id,
         'Odoo message ' || g.odoo_id || ' was deleted in Odoo; Supabase keeps message ' || g.id,
         case when g.source_deleted_at is null then 'none: marked source_deleted_at, kept'
              else 'none: kept, marked deleted since ' || to_char(g.source_deleted_at, 'YYYY-MM-DD HH24:MI') end,
         jsonb_build_object('lead_odoo_messages', coalesce(c.odoo, 0), 'lead_supabase_messages', coalesce(c.supabase, 0))
    from gone g left join reconcile_message_counts c on c.res_id = g.odoo_res_id
   where g.lead_alive;

  select count(*) into n from public.reconcile_differences d
   where d.run_id = run and d.kind in ('message_missing', 'message_deleted');
  delete from passerelle.reconcile_odoo_messages where run_id = run;
  return n;
end $$;

-- repair(run) also restarts the message sync's pass for messages missing (redefined from
-- 20261201190200_reconcile_activities.sql: the same body, plus the block for message_missing).
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

  -- Messages Odoo has and Supabase lacks: the message sync's pass restarts from the oldest
  -- write_date concerned, as for activities.
  select count(*), min((d.data ->> 'odoo_write_date')::timestamp) into n, since
    from public.reconcile_differences d
   where d.run_id = run and d.kind = 'message_missing' and d.repaired_at is null;
  if n > 0 then
    update public.sync_state s
       set cursor_id = 0, pass_high = null, pass_started_at = null,
           pass_since = case when s.pass_since is null then null else least(s.pass_since, since) end,
           updated_at = now()
     where s.source = 'odoo_messages';
  end if;
  kind := 'message_missing'; queued := n; return next;

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
     and d.kind not in ('lead_deleted', 'file_deleted', 'activity_deleted', 'message_deleted',
                        'import_row_unaccounted');
  update public.reconcile_runs set repaired_at = now() where id = run;
end $$;


-- The latest run, with its messages (redefined from 20261201190200_reconcile_activities.sql).
create or replace function passerelle.reconcile_summary()
returns jsonb
language sql stable set search_path = '' as $$
  select to_jsonb(s) from (
    select r.id as run_id, r.deep, r.phase, r.started_at, r.finished_at, r.odoo_leads, r.odoo_attachments,
           r.odoo_activities, r.odoo_messages, r.objects_checked, r.bytes_checked, r.storage_ms, r.differences, r.deleted_kept,
           r.by_kind, r.repaired_at, r.error
      from public.reconcile_runs r order by r.id desc limit 1) s
$$;

revoke all on function passerelle.messages_synced() from public;
revoke all on function passerelle.reconcile_stage_messages(bigint, jsonb, bigint) from public;
revoke all on function passerelle.reconcile_compare_messages(bigint) from public;
revoke all on function passerelle.repair(bigint) from public;
revoke all on function passerelle.reconcile_summary() from public;
grant execute on all functions in schema passerelle to service_role;
