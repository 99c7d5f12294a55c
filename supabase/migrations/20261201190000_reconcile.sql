-- Reconciliation (README, "Reconcile"): proves that Supabase holds what Odoo
-- holds. A run reads Odoo's side cheaply into staging tables (one row per lead
-- and per attachment, tagged with the run), then compares it with Supabase in
-- one set-based statement per kind of difference; Storage is checked after
-- (sizes, or every byte's sha1 in deep mode). Differences are kept, one row
-- each, with what to do about them; `passerelle.repair(run)` queues the fixes.

-- What Odoo no longer has is marked, never deleted: the user's data stays.
alter table public.leads add column source_deleted_at timestamptz;
alter table public.lead_files add column source_deleted_at timestamptz;

create table public.reconcile_runs (
  id bigint generated always as identity primary key,
  -- deep: every stored object is read back and its sha1 checked (rclone check --download).
  deep boolean not null default false,
  phase text not null default 'leads'
    check (phase in ('leads', 'attachments', 'compare', 'storage', 'done', 'failed')),
  cursor_id bigint not null default 0,
  odoo_leads integer not null default 0,
  odoo_attachments integer not null default 0,
  objects_checked integer not null default 0,
  bytes_checked bigint not null default 0,
  -- Wall time spent checking stored objects (the deep mode's MB/s is bytes_checked over it).
  storage_ms bigint not null default 0,
  -- Differences that need the user (or `repair`); deletions already marked by an earlier run are
  -- listed but not counted here (`deleted_kept`).
  differences integer,
  deleted_kept integer,
  by_kind jsonb,
  calls integer not null default 0,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  repaired_at timestamptz,
  updated_at timestamptz not null default now()
);
-- One run at a time: the function continues the run in progress.
create unique index reconcile_runs_one_active_idx on public.reconcile_runs ((true))
  where phase not in ('done', 'failed');

create table public.reconcile_differences (
  id bigint generated always as identity primary key,
  run_id bigint not null references public.reconcile_runs (id) on delete cascade,
  kind text not null check (kind in (
    'lead_missing', 'lead_deleted', 'lead_stale',
    'file_missing', 'file_deleted', 'file_checksum', 'file_not_stored',
    'object_missing', 'object_size', 'object_sha1',
    'import_row_unaccounted')),
  -- false: still so, but already marked by an earlier run (a deletion kept): nothing to do.
  open boolean not null default true,
  odoo_id integer,
  lead_id bigint,
  lead_file_id bigint,
  import_job_id uuid,
  row_number integer,
  detail text not null,
  action text not null,
  data jsonb not null default '{}',
  repaired_at timestamptz
);
create index reconcile_differences_run_idx on public.reconcile_differences (run_id, kind);

-- Odoo's side of a run, staged in sets; emptied when the run ends.
create table passerelle.reconcile_odoo_leads (
  run_id bigint not null references public.reconcile_runs (id) on delete cascade,
  odoo_id integer not null,
  write_date timestamp,
  lead jsonb not null,
  primary key (run_id, odoo_id)
);

create table passerelle.reconcile_odoo_files (
  run_id bigint not null references public.reconcile_runs (id) on delete cascade,
  odoo_id integer not null,
  res_id integer,
  checksum text,
  file_size bigint,
  odoo_type text,
  primary key (run_id, odoo_id)
);

-- The operator's tables (the SQL editor, the service role, the status document): RLS on and no policy, so
-- the Data API shows them to no user (a reconcile spans every company; per-company policies would need a
-- company on each difference, and the global admin role no longer grants CRM reads once tenancy lands).
alter table public.reconcile_runs enable row level security;
alter table public.reconcile_differences enable row level security;

-- A lead's own values as the sync maps them (README, "Lead mapping"), from an
-- Odoo row, as a row of the leads' columns. The same expressions as
-- `sync_odoo_leads_page`'s `mapped`, on the same helpers (odoo_text...), so a
-- change of those helpers changes both alike; `partner_odoo_id` stands for
-- customer_id/contact_id, which need the partners.
-- These three are inlined into the comparison's query, which makes them 10 times cheaper per lead
-- (measured on 10,000 leads: 250 µs a lead when called): so no `set search_path` (every name in them is
-- qualified; PostgreSQL never inlines a function with a SET clause), and `stable`, as jsonb_build_object
-- and to_jsonb are (it never inlines a function declared less volatile than its body).
create type passerelle.lead_values as (
  title text, lead_type text, contact_name text, company_name text, email text, phone text,
  expected_revenue numeric(14, 2), probability numeric(5, 2), priority smallint, stage text, salesperson text,
  tags text[], description text, active boolean, source_created_at timestamptz, source_updated_at timestamptz,
  partner_odoo_id integer
);

create function passerelle.odoo_lead_values(l jsonb, tag_names text[]) returns passerelle.lead_values
language sql stable as $$
  select row(
    coalesce(passerelle.odoo_text(l -> 'name'), 'Odoo lead ' || (l ->> 'id')),
    passerelle.odoo_text(l -> 'type'),
    passerelle.odoo_text(l -> 'contact_name'),
    passerelle.odoo_text(l -> 'partner_name'),
    lower(passerelle.odoo_text(l -> 'email_from')),
    passerelle.odoo_text(l -> 'phone'),
    (l ->> 'expected_revenue')::numeric(14, 2),
    least(100, greatest(0, (l ->> 'probability')::numeric))::numeric(5, 2),
    nullif(passerelle.odoo_text(l -> 'priority'), '')::smallint,
    passerelle.odoo_m2o_name(l -> 'stage_id'),
    passerelle.odoo_m2o_name(l -> 'user_id'),
    tag_names,
    passerelle.odoo_text(l -> 'description'),
    coalesce((l ->> 'active')::boolean, true),
    passerelle.odoo_time(l -> 'create_date'),
    passerelle.odoo_time(l -> 'write_date'),
    passerelle.odoo_m2o_id(l -> 'partner_id'))::passerelle.lead_values
$$;

-- A lead's tag names as the sync maps `tag_ids` (`tag <id>` for a tag it could not name).
create function passerelle.odoo_lead_tags(l jsonb, tags jsonb) returns text[]
language sql stable as $$
  select coalesce((select array_agg(coalesce(tags ->> t.id, 'tag ' || t.id) order by t.ord)
                     from jsonb_array_elements_text(
                            case when jsonb_typeof(l -> 'tag_ids') = 'array' then l -> 'tag_ids' else '[]' end
                          ) with ordinality as t(id, ord)), '{}')
$$;

-- The same values of a stored lead; `partner_odoo_id` is its contact's partner, else its customer's.
create function passerelle.stored_lead_values(l public.leads, partner_odoo_id integer)
returns passerelle.lead_values
language sql stable as $$
  select row(l.title, l.lead_type, l.contact_name, l.company_name, l.email, l.phone, l.expected_revenue,
             l.probability, l.priority, l.stage, l.salesperson, l.tags, l.description, l.active,
             l.source_created_at, l.source_updated_at, partner_odoo_id)::passerelle.lead_values
$$;

-- Stages one page of Odoo leads (as search_read answered) and moves the cursor, in one statement.
create function passerelle.reconcile_stage_leads(run bigint, leads jsonb, cursor_id bigint)
returns integer
language sql volatile set search_path = '' as $$
  with ins as (
    insert into passerelle.reconcile_odoo_leads (run_id, odoo_id, write_date, lead)
    select run, (l ->> 'id')::integer, (passerelle.odoo_time(l -> 'write_date') at time zone 'UTC'), l
      from jsonb_array_elements(leads) l
    on conflict do nothing
    returning 1
  ), n as (select count(*)::integer as n from ins)
  update public.reconcile_runs r
     set odoo_leads = r.odoo_leads + n.n, cursor_id = reconcile_stage_leads.cursor_id, updated_at = now()
    from n where r.id = run
  returning n.n;
$$;

-- Stages one page of Odoo attachments on crm.lead and moves the cursor.
create function passerelle.reconcile_stage_files(run bigint, files jsonb, cursor_id bigint)
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
     set odoo_attachments = r.odoo_attachments + n.n, cursor_id = reconcile_stage_files.cursor_id,
         updated_at = now()
    from n where r.id = run
  returning n.n;
$$;

-- The comparison, once Odoo's side is staged: one statement per kind, set-based
-- (hash joins over the run's rows), deletions marked in the same transaction.
-- `tag_names` maps crm.tag ids to names as the sync's call read them.
create function passerelle.reconcile_compare(run bigint, tag_names jsonb)
returns integer
language plpgsql volatile set search_path = '' as $$
declare
  n integer;
begin
  -- Leads Odoo has and Supabase lacks.
  insert into public.reconcile_differences (run_id, kind, odoo_id, detail, action, data)
  select run, 'lead_missing', o.odoo_id, 'Odoo lead ' || o.odoo_id || ' is not in Supabase',
         'repair: the sync reads it again', jsonb_build_object('odoo_write_date', o.write_date)
    from passerelle.reconcile_odoo_leads o
   where o.run_id = run
     and not exists (select 1 from public.leads l where l.source_email_id = 'odoo_crm_' || o.odoo_id);

  -- Leads Supabase has and Odoo no longer has: deleted in Odoo. Marked, kept. An attachment of such
  -- a lead went with it (Odoo's unlink deletes the record's attachments): it is part of this
  -- difference, marked too, not a difference of its own.
  with gone as (
    select l.id, l.odoo_id, l.source_deleted_at from public.leads l
     where l.source = 'odoo' and l.odoo_id is not null
       and not exists (select 1 from passerelle.reconcile_odoo_leads o where o.run_id = run and o.odoo_id = l.odoo_id)
  ), marked as (
    update public.leads l set source_deleted_at = now() from gone
     where l.id = gone.id and l.source_deleted_at is null
  ), files as (
    update public.lead_files f set source_deleted_at = now() from gone
     where f.lead_id = gone.id and f.source_deleted_at is null
       and not exists (select 1 from passerelle.reconcile_odoo_files a where a.run_id = run and a.odoo_id = f.odoo_id)
    returning f.lead_id
  )
  insert into public.reconcile_differences (run_id, kind, open, odoo_id, lead_id, detail, action, data)
  select run, 'lead_deleted', g.source_deleted_at is null, g.odoo_id, g.id,
         'Odoo lead ' || g.odoo_id || ' was deleted in Odoo; Supabase keeps lead ' || g.id,
         case when g.source_deleted_at is null then 'none: marked source_deleted_at, kept'
              else 'none: kept, marked deleted since ' || to_char(g.source_deleted_at, 'YYYY-MM-DD HH24:MI') end,
         jsonb_build_object('files', (select count(*) from public.lead_files f where f.lead_id = g.id))
    from gone g;

  -- Leads both have, that differ: Odoo newer, or any mapped value different (an edit made in the
  -- second the sync read the lead has the same write_date but other values).
  -- Each side's values computed once per lead (materialized) and compared as rows; the fields are
  -- named only for the leads that differ.
  with pairs as materialized (
    select o.odoo_id, l.id, o.write_date, l.source_updated_at,
           passerelle.odoo_lead_values(o.lead, passerelle.odoo_lead_tags(o.lead, tag_names)) as odoo,
           -- A lead without partner may be the customer of a partner of its partner_name (the sync
           -- matches by name, #16): the partner is compared only when Odoo's lead has one.
           passerelle.stored_lead_values(l, case when passerelle.odoo_m2o_id(o.lead -> 'partner_id') is not null
                                                 then coalesce(ct.odoo_partner_id, cu.odoo_partner_id) end) as ours
      from passerelle.reconcile_odoo_leads o
      join public.leads l on l.source_email_id = 'odoo_crm_' || o.odoo_id
      left join public.contacts ct on ct.id = l.contact_id
      left join public.customers cu on cu.id = l.customer_id
     where o.run_id = run
  ), differing as materialized (
    select * from pairs p where p.odoo is distinct from p.ours
  )
  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, detail, action, data)
  select run, 'lead_stale', p.odoo_id, p.id,
         'Odoo lead ' || p.odoo_id || ' differs: ' || array_to_string(d.fields, ', '),
         'repair: the sync reads it again',
         jsonb_build_object('odoo_write_date', p.write_date, 'fields', to_jsonb(d.fields),
                            'odoo_newer', p.write_date > (p.source_updated_at at time zone 'UTC'))
    from differing p
    cross join lateral (select to_jsonb(p.odoo) as odoo, to_jsonb(p.ours) as ours) j
    cross join lateral (
      select array_agg(k order by k) as fields from jsonb_object_keys(j.odoo) k
       where j.odoo -> k is distinct from j.ours -> k) d;

  -- Attachments: Odoo has one on a lead Supabase has, without its row.
  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, detail, action)
  select run, 'file_missing', a.odoo_id, l.id, 'Odoo attachment ' || a.odoo_id || ' of lead ' || l.id || ' has no file row',
         'repair: the archive lists the attachments again and stores it'
    from passerelle.reconcile_odoo_files a
    join public.leads l on l.source_email_id = 'odoo_crm_' || a.res_id
   where a.run_id = run and not exists (select 1 from public.lead_files f where f.odoo_id = a.odoo_id);

  -- A file row whose attachment Odoo no longer has (its lead still there): marked, kept.
  with gone as (
    select f.id, f.odoo_id, f.lead_id, f.source_deleted_at, f.storage_path from public.lead_files f
      join public.leads l on l.id = f.lead_id
     where f.odoo_id is not null
       and exists (select 1 from passerelle.reconcile_odoo_leads o where o.run_id = run and o.odoo_id = l.odoo_id)
       and not exists (select 1 from passerelle.reconcile_odoo_files a where a.run_id = run and a.odoo_id = f.odoo_id)
  ), marked as (
    update public.lead_files f set source_deleted_at = now() from gone
     where f.id = gone.id and f.source_deleted_at is null
  )
  insert into public.reconcile_differences (run_id, kind, open, odoo_id, lead_id, lead_file_id, detail, action, data)
  select run, 'file_deleted', g.source_deleted_at is null, g.odoo_id, g.lead_id, g.id,
         'Odoo attachment ' || g.odoo_id || ' was deleted in Odoo; Supabase keeps file ' || g.id,
         case when g.source_deleted_at is null then 'none: marked source_deleted_at, kept'
              else 'none: kept, marked deleted since ' || to_char(g.source_deleted_at, 'YYYY-MM-DD HH24:MI') end,
         jsonb_build_object('storage_path', g.storage_path)
    from gone g;

  -- Content changed in Odoo since it was listed.
  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, lead_file_id, detail, action, data)
  select run, 'file_checksum', a.odoo_id, f.lead_id, f.id,
         'Odoo attachment ' || a.odoo_id || ' has checksum ' || coalesce(a.checksum, 'none') || ', Supabase '
           || coalesce(f.checksum, 'none'),
         'repair: archived again with Odoo''s content',
         jsonb_build_object('odoo_checksum', a.checksum, 'odoo_file_size', a.file_size, 'storage_path', f.storage_path)
    from passerelle.reconcile_odoo_files a join public.lead_files f on f.odoo_id = a.odoo_id
   where a.run_id = run and a.odoo_type is distinct from 'url' and f.checksum is distinct from a.checksum;

  -- Files that should be stored and are not (failed, or still queued): links are not files.
  insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, lead_file_id, detail, action, data)
  select run, 'file_not_stored', f.odoo_id, f.lead_id, f.id,
         'File ' || f.id || ' (' || f.name || ') is ' || f.status || coalesce(': ' || f.error_code, ''),
         case when f.status = 'failed' then 'repair: queued again (as retry_failed_files)'
              else 'wait: the archive has not stored it yet' end,
         jsonb_build_object('status', f.status, 'error_code', f.error_code)
    from public.lead_files f
   where f.status <> 'done' and f.odoo_type is distinct from 'url' and f.source_deleted_at is null
     and not exists (select 1 from public.reconcile_differences d
                      where d.run_id = run and d.lead_file_id = f.id);

  -- Every row of every finished import accounted for: committed, invalid, duplicate or skipped.
  insert into public.reconcile_differences (run_id, kind, import_job_id, row_number, detail, action, data)
  select run, 'import_row_unaccounted', r.job_id, r.row_number,
         'Row ' || r.row_number || ' of import ' || j.id || ' (' || coalesce(j.file_name, '') || ') is '
           || case when r.status = 'committed' then 'committed but its lead is gone' else r.status end,
         'check the import: commit it again (retry) or undo it',
         jsonb_build_object('status', r.status, 'target_id', r.target_id)
    from public.import_jobs j join public.import_rows r on r.job_id = j.id
   where j.status = 'completed' and j.undone_at is null
     and (r.status not in ('committed', 'invalid', 'duplicate', 'skipped')
          or (j.kind = 'leads' and r.status = 'committed'
              and not exists (select 1 from public.leads l where l.id = r.target_id)));

  update public.reconcile_runs set phase = 'storage', cursor_id = 0, updated_at = now() where id = run;
  select count(*) into n from public.reconcile_differences where run_id = run;
  return n;
end $$;

-- Records what the Storage check found in one batch of stored files: `found` is a
-- jsonb array of {id, kind, size, sha1}; the cursor moves in the same statement.
create function passerelle.reconcile_record_objects(run bigint, found jsonb, cursor_id bigint, objects integer,
                                                    bytes bigint, ms bigint)
returns integer
language sql volatile set search_path = '' as $$
  with ins as (
    insert into public.reconcile_differences (run_id, kind, odoo_id, lead_id, lead_file_id, detail, action, data)
    select run, x.kind, f.odoo_id, f.lead_id, f.id,
           case x.kind
             when 'object_missing' then 'Stored object ' || f.storage_path || ' is missing'
             when 'object_size' then 'Stored object ' || f.storage_path || ' has ' || x.size || ' bytes, Odoo '
               || f.file_size
             else 'Stored object ' || f.storage_path || ' has sha1 ' || x.sha1 || ', Odoo ' || f.checksum end,
           'repair: archived again from Odoo',
           jsonb_build_object('storage_path', f.storage_path, 'size', x.size, 'sha1', x.sha1)
      from jsonb_to_recordset(found) as x(id bigint, kind text, size bigint, sha1 text)
      join public.lead_files f on f.id = x.id
    returning 1
  )
  update public.reconcile_runs r
     set cursor_id = reconcile_record_objects.cursor_id, objects_checked = r.objects_checked + objects,
         bytes_checked = r.bytes_checked + bytes, storage_ms = r.storage_ms + ms, updated_at = now()
   where r.id = run
  returning (select count(*)::integer from ins);
$$;

-- Ends a run: the counts, by kind; Odoo's side is dropped (the differences keep what repair needs).
create function passerelle.reconcile_finish(run bigint)
returns public.reconcile_runs
language sql volatile set search_path = '' as $$
  delete from passerelle.reconcile_odoo_leads where run_id = run;
  delete from passerelle.reconcile_odoo_files where run_id = run;
  update public.reconcile_runs r
     set phase = 'done', finished_at = now(), updated_at = now(),
         differences = (select count(*) from public.reconcile_differences d where d.run_id = run and d.open),
         deleted_kept = (select count(*) from public.reconcile_differences d where d.run_id = run and not d.open),
         by_kind = coalesce((select jsonb_object_agg(kind, n) from (
                     select kind, count(*) as n from public.reconcile_differences d
                      where d.run_id = run and d.open group by kind) k), '{}')
   where r.id = run
  returning r.*;
$$;

-- SQL editor: start a reconciliation (the function continues it over as many
-- calls as it needs; `deep` reads every stored object back). Returns the run id;
-- a run already in progress is returned instead of starting another.
create function passerelle.start_reconcile(deep boolean default false)
returns bigint
language plpgsql volatile set search_path = '' as $$
declare
  run bigint;
begin
  select id into run from public.reconcile_runs where phase not in ('done', 'failed');
  if run is null then
    insert into public.reconcile_runs (deep) values (start_reconcile.deep) returning id into run;
  end if;
  return run;
end $$;

-- SQL editor: queue what run `run` found, so that the next sync and archive
-- calls fix it; then reconcile again. Deletions stay marked (nothing to do).
-- Returns what was queued, by kind.
create function passerelle.repair(run bigint)
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
     and d.kind not in ('lead_deleted', 'file_deleted', 'import_row_unaccounted');
  update public.reconcile_runs set repaired_at = now() where id = run;
end $$;

-- The latest run, for the status document (`migration-status`).
create function passerelle.reconcile_summary()
returns jsonb
language sql stable set search_path = '' as $$
  select to_jsonb(s) from (
    select r.id as run_id, r.deep, r.phase, r.started_at, r.finished_at, r.odoo_leads, r.odoo_attachments,
           r.objects_checked, r.bytes_checked, r.storage_ms, r.differences, r.deleted_kept, r.by_kind, r.repaired_at, r.error
      from public.reconcile_runs r order by r.id desc limit 1) s
$$;

revoke all on function passerelle.reconcile_stage_leads(bigint, jsonb, bigint) from public;
revoke all on function passerelle.reconcile_stage_files(bigint, jsonb, bigint) from public;
revoke all on function passerelle.reconcile_compare(bigint, jsonb) from public;
revoke all on function passerelle.reconcile_record_objects(bigint, jsonb, bigint, integer, bigint, bigint) from public;
revoke all on function passerelle.reconcile_finish(bigint) from public;
revoke all on function passerelle.start_reconcile(boolean) from public;
revoke all on function passerelle.repair(bigint) from public;
revoke all on function passerelle.reconcile_summary() from public;
grant execute on all functions in schema passerelle to service_role;
grant select, insert, update, delete on passerelle.reconcile_odoo_leads, passerelle.reconcile_odoo_files
  to service_role;
