-- Undo in bounded ranges (issue 13), on any job that committed something
-- (completed, cancelled or failed: issue 14).
--
-- `undo_import` was one statement over the whole job: right after a commit,
-- with statistics that did not hold the job's history yet, PostgreSQL nested
-- a loop over `lead_history_job_idx` for every entry (48,507 leads: 379 s;
-- 2.0 s after ANALYZE), past a call's life, holding the job row. Now
-- `undo_import_range` undoes the next `max_leads` leads of the job, by lead id
-- (the job's cursor is kept in `payload.undo`), and every plan it can take is
-- index lookups bounded by the range: seq scans, bitmap scans, hash and merge
-- joins, hash aggregates and sorts are priced out, so the range is an ordered
-- scan of `lead_history_job_lead_idx` that stops after `max_leads` leads, and
-- each lead is then looked up by key (its entries by `lead_history_pkey`, later
-- entries by `lead_history_lead_idx`, the lead by `leads_pkey`). Its cost does
-- not depend on the job's size nor on the statistics.
--
-- Concurrent undos take turns on the job row (FOR UPDATE, held for one range);
-- each range adds its counts to `payload.undo` in its own transaction, so that
-- every caller reports the same totals, whoever ran which range.
--
-- Per lead: an inserted lead is deleted; an updated lead is restored to its
-- state before the job's first update of it; a lead changed since the job's
-- last entry (another row version, `xmin`/`cmin`, or a later history entry) is
-- kept and listed (`refused`, first 1,000, with `refusedCount`), with the file
-- row that wrote it.
create or replace function passerelle.undo_import_range(p_job uuid, max_leads integer default 5000)
returns jsonb
language plpgsql volatile set search_path = ''
  set enable_seqscan = off set enable_bitmapscan = off set enable_hashjoin = off set enable_mergejoin = off
  set enable_hashagg = off set enable_sort = off set jit = off as $$
declare
  j public.import_jobs;
  u jsonb;
  cursor_id bigint;
  n_leads integer;
  last_lead bigint;
  deleted integer := 0;
  restored integer := 0;
  acts integer := 0;
  refused jsonb;
  n_refused integer;
  done boolean;
begin
  select * into j from public.import_jobs where id = p_job for update;
  if j.id is null then raise exception 'import job % not found', p_job; end if;
  if j.undone_at is not null then
    return coalesce(j.payload -> 'undo', '{}'::jsonb) - 'cursor' - 'state' || jsonb_build_object('done', true);
  end if;
  if j.status in ('queued', 'parsing', 'committing') then
    raise exception 'import job % is %: cancel it before undoing it', p_job, j.status;
  end if;
  u := j.payload -> 'undo';
  if u is null or u ->> 'state' is distinct from 'running' then
    u := jsonb_build_object('state', 'running', 'cursor', 0, 'deleted', 0, 'restored', 0,
                            'activitiesDeleted', 0, 'refused', '[]'::jsonb, 'refusedCount', 0,
                            'startedAt', now());
  end if;
  cursor_id := (u ->> 'cursor')::bigint;

  -- Activities the job created, a range at a time (`activities_import_job_idx`).
  with gone as (
    delete from public.activities a
     where a.id in (select a2.id from public.activities a2 where a2.import_job_id = p_job limit max_leads)
    returning 1)
  select count(*) into acts from gone;

  if acts < max_leads then
    create temporary table if not exists pg_temp.undo_plan
      (lead_id bigint, action text, before jsonb, edited boolean, row_number integer) on commit drop;
    truncate pg_temp.undo_plan;
    insert into pg_temp.undo_plan
    select g.lead_id, f.action, f.before,
           (l.id is null
            -- the lead and its last entry were written by one statement: any change since gave the
            -- lead a row version of another transaction or command
            or not (l.xmin = la.xmin and l.cmin = la.cmin)
            or exists (select 1 from public.lead_history h2 where h2.lead_id = g.lead_id and h2.id > la.id)
            -- another writer between the job's first and last entries of the lead
            or exists (select 1 from public.lead_history h3
                        where h3.lead_id = g.lead_id and h3.id > f.id and h3.id < la.id
                          and h3.import_job_id is distinct from p_job)),
           (la.after ->> 'import_row')::integer
      from (select h.lead_id, min(h.id) as first_id, max(h.id) as last_id
              from public.lead_history h
             where h.import_job_id = p_job and h.lead_id > cursor_id and h.action in ('insert', 'update')
             group by h.lead_id
             order by h.lead_id
             limit max_leads) g
      join public.lead_history f on f.id = g.first_id
      join public.lead_history la on la.id = g.last_id
      left join public.leads l on l.id = g.lead_id;
    select count(*), max(p.lead_id) into n_leads, last_lead from pg_temp.undo_plan p;

    select coalesce(jsonb_agg(jsonb_build_object('leadId', p.lead_id, 'row', p.row_number)
                              order by p.row_number), '[]'::jsonb), count(*)
      into refused, n_refused from pg_temp.undo_plan p where p.edited;

    with gone as (
      delete from public.leads l using pg_temp.undo_plan p
       where l.id = p.lead_id and p.action = 'insert' and not p.edited
      returning to_jsonb(l.*) as before, l.id),
    h as (insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
          select g.id, 'delete', 'import_undo', p_job, g.before, null from gone g returning 1)
    select count(*) into deleted from h;

    with back as (
      update public.leads l set
        title = b.title, contact_name = b.contact_name, first_name = b.first_name, last_name = b.last_name,
        company_name = b.company_name, email = b.email, phone = b.phone, mobile = b.mobile,
        expected_revenue = b.expected_revenue, probability = b.probability, stage = b.stage,
        salesperson = b.salesperson, description = b.description, city = b.city,
        postal_code = b.postal_code, country = b.country, siret = b.siret, tags = coalesce(b.tags, '{}'),
        tags_text = b.tags_text, extra_fields = coalesce(b.extra_fields, '{}'),
        assigned_to = b.assigned_to, import_job_id = b.import_job_id, import_row = b.import_row,
        external_id = b.external_id, source = b.source, updated_at = b.updated_at
      from pg_temp.undo_plan p, jsonb_populate_record(null::public.leads, p.before) b
      where l.id = p.lead_id and p.action = 'update' and not p.edited
      returning l.id, p.before),
    h as (insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
          select bk.id, 'restore', 'import_undo', p_job, null, bk.before from back bk returning 1)
    select count(*) into restored from h;

    done := n_leads < max_leads;
    u := u || jsonb_build_object(
      'cursor', coalesce(last_lead, cursor_id),
      'deleted', (u ->> 'deleted')::integer + deleted,
      'restored', (u ->> 'restored')::integer + restored,
      'refusedCount', (u ->> 'refusedCount')::integer + n_refused,
      'refused', case when jsonb_array_length(u -> 'refused') >= 1000 or n_refused = 0 then u -> 'refused'
                      else (select jsonb_agg(x.e) from (select a.e from jsonb_array_elements(u -> 'refused' || refused) a(e)
                                                        limit 1000) x) end);
  else
    done := false;
  end if;
  u := u || jsonb_build_object('activitiesDeleted', (u ->> 'activitiesDeleted')::integer + acts);
  if done then u := u || jsonb_build_object('state', 'done', 'finishedAt', now()); end if;

  update public.import_jobs set
    undone_at = case when done then now() end, updated_at = now(),
    payload = coalesce(payload, '{}'::jsonb) || jsonb_build_object('undo', u)
   where id = p_job;
  return u - 'cursor' - 'state' || jsonb_build_object('done', done);
end $$;

-- The whole undo in one transaction (the SQL editor's; the import functions
-- call `undo_import_range` within each call's budget).
create or replace function passerelle.undo_import(p_job uuid)
returns jsonb
language plpgsql volatile set search_path = '' as $$
declare
  r jsonb;
begin
  loop
    r := passerelle.undo_import_range(p_job, 5000);
    exit when (r ->> 'done')::boolean;
  end loop;
  return r;
end $$;

revoke execute on function passerelle.undo_import_range(uuid, integer) from public;
revoke execute on function passerelle.undo_import(uuid) from public;
