-- The import engine's SQL: claiming a job, duplicate detection, set-based
-- commit of leads and activities, and undo. Functions live in `passerelle`
-- (called by the import functions with the service role's connection).

-- Keys the duplicate detection and the commit match on, copied out of
-- `data` when the row is stored so that they can be indexed and compared
-- without parsing jsonb again.
alter table public.import_rows
  add column email text,
  add column phone text,
  add column external_id text,
  add column updated_at timestamptz;

-- Claims one job of `p_kind` (or the job `p_job`) that has work to do and no
-- live lease, as `claim_lead_files` does: FOR UPDATE SKIP LOCKED, so two
-- overlapping calls never advance the same job. A job claimed 5 times
-- without writing a checkpoint in between (each checkpoint resets
-- `attempts`) crashes where it stands: it fails instead of looping.
create function passerelle.claim_import_job(
  p_kind text, lease interval, p_job uuid default null, at timestamptz default null
) returns setof public.import_jobs
language plpgsql volatile set search_path = '' as $$
declare
  t timestamptz := coalesce(at, now());
begin
  update public.import_jobs j
     set status = 'failed', leased_until = null, finished_at = t, updated_at = now(),
         error_message = coalesce(j.error_message,
           format('Import interrompu 5 fois au même point (ligne %s) : abandonné', j.checkpoint ->> 'row'))
   where j.kind = p_kind and j.status in ('queued', 'parsing', 'committing')
     and j.attempts >= 5 and (j.leased_until is null or j.leased_until < t);
  return query
  with next as (
    select j.id from public.import_jobs j
     where j.kind = p_kind and (p_job is null or j.id = p_job)
       and j.status in ('queued', 'parsing', 'committing')
       and (j.leased_until is null or j.leased_until < t)
     order by j.created_at
     limit 1
     for update skip locked)
  update public.import_jobs j
     set leased_until = t + lease, attempts = j.attempts + 1,
         started_at = coalesce(j.started_at, t), updated_at = now()
    from next where j.id = next.id
  returning j.*;
end $$;

-- Marks duplicates once the whole file is parsed: a valid row that shares an
-- email (case-insensitive), phone or external id (as `match_on` says) with
-- an earlier row of the file, or with a lead the company already has.
-- Duplicates of existing leads carry that lead's id in `target_id`.
create function passerelle.import_mark_duplicates(p_job uuid, match_on text[])
returns integer
-- (no JIT: compiling the statements takes longer than it saves)
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off as $$
declare
  j public.import_jobs;
  n integer;
begin
  select * into j from public.import_jobs where id = p_job;
  -- Rows arrived moments ago: without statistics the planner takes the
  -- table for tiny and nests loops over hundreds of thousands of rows.
  analyze public.import_rows;
  with firsts as (
    select r.row_number,
           case when 'email' = any(match_on) and r.email is not null
                then min(r.row_number) over (partition by r.email) end as e,
           case when 'phone' = any(match_on) and r.phone is not null
                then min(r.row_number) over (partition by r.phone) end as p,
           case when 'external_id' = any(match_on) and r.external_id is not null
                then min(r.row_number) over (partition by r.external_id) end as x
      from public.import_rows r
     where r.job_id = p_job and r.status in ('valid', 'duplicate'))
  update public.import_rows r set status = 'duplicate', dedup_key = 'file'
   where r.job_id = p_job and r.row_number in (
     select f.row_number from firsts f where f.e < f.row_number or f.p < f.row_number or f.x < f.row_number);

  if j.kind = 'leads' then
    -- Joins, not a lookup per row: hash joins against the company's leads.
    with m as (
      select r.row_number, 1 as prio, l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and l.external_id = r.external_id
       where r.job_id = p_job and r.status = 'valid' and 'external_id' = any(match_on)
      union all
      select r.row_number, 2, l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and lower(l.email) = r.email
       where r.job_id = p_job and r.status = 'valid' and 'email' = any(match_on)
      union all
      select r.row_number, 3, l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and l.phone = r.phone
       where r.job_id = p_job and r.status = 'valid' and 'phone' = any(match_on)),
    best as (select distinct on (m.row_number) m.row_number, m.id from m order by m.row_number, m.prio, m.id)
    update public.import_rows r set status = 'duplicate', dedup_key = 'existing', target_id = b.id
      from best b where r.job_id = p_job and r.row_number = b.row_number;
  end if;
  select count(*) into n from public.import_rows where job_id = p_job and status = 'duplicate';
  return n;
end $$;

-- The user a row is assigned to, by the job's assignment mode.
create function passerelle.import_assignee(opts jsonb, row_number integer, column_value text)
returns uuid
language sql stable set search_path = '' as $$
  select case opts -> 'assignment' ->> 'mode'
    when 'single' then (opts -> 'assignment' ->> 'userId')::uuid
    when 'round_robin' then (opts -> 'assignment' -> 'userIds'
      ->> (row_number % greatest(jsonb_array_length(opts -> 'assignment' -> 'userIds'), 1)))::uuid
    when 'by_column' then (select u.id from auth.users u
                            where column_value is not null and lower(u.email) = lower(column_value) limit 1)
    else null end
$$;

-- Commits the rows of a leads job numbered from_row to to_row (inclusive),
-- set-based: new leads inserted, duplicates skipped, updated or created as
-- the job's strategy says, a `lead_history` row for every lead written, and
-- the job's counts and its checkpoint in the same transaction. Under
-- `create`, a duplicate row is inserted without its external id when it
-- duplicates an earlier row of the file or an existing lead holding that id
-- (external ids are unique per company).
--
-- `import_rows` is not rewritten: a row's outcome follows from its status
-- and the job's strategy (valid: inserted; duplicate: inserted under
-- `create`, the update of `target_id` under `update`, else skipped), and the
-- lead an inserted row became is found by rank (see `undo_import`). Lead ids
-- are drawn from the identity's sequence before the insert, so that nothing
-- maps returned rows back to row numbers; drawn after the sort by row number
-- (volatile output expressions are evaluated after ORDER BY), they follow
-- the rows' order, which `undo_import` relies on.
--
-- No JIT (compiling the statement cost more than running it on a range) and
-- no call per row of `import_time` / `import_assignee` (a SQL function with
-- its own search_path is not inlined): their logic is written out here.
create function passerelle.import_commit_leads(p_job uuid, from_row integer, to_row integer)
returns jsonb
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off as $$
declare
  j public.import_jobs;
  seq regclass := pg_get_serial_sequence('public.leads', 'id')::regclass;
  assign_mode text;
  assign_one uuid;
  robin uuid[];
  ins integer := 0;
  upd integer := 0;
  dup integer := 0;
begin
  select * into j from public.import_jobs where id = p_job for update;
  assign_mode := j.options -> 'assignment' ->> 'mode';
  if assign_mode = 'single' then assign_one := (j.options -> 'assignment' ->> 'userId')::uuid; end if;
  if assign_mode = 'round_robin' then
    robin := coalesce(array(select jsonb_array_elements_text(j.options -> 'assignment' -> 'userIds')::uuid),
                      '{}');
  end if;

  with src as (
    select nextval(seq) as id, r.row_number, r.data as lead, r.dedup_key from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row
       and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy = 'create'))
     order by r.row_number),
  new_leads as (
    insert into public.leads (id, company_id, external_id, title, contact_name, company_name, email, phone,
                              expected_revenue, probability, stage, salesperson, description, source,
                              source_created_at, assigned_to, import_job_id)
    overriding system value
    select n.id, j.company_id,
           -- (a CASE on the key: `dedup_key = 'existing' and exists (…)` would run the lookup
           -- for every row without a key, null = 'existing' being null, not false)
           case n.dedup_key
             when 'file' then null
             when 'existing' then
               case when exists (select 1 from public.leads l where l.company_id = j.company_id
                                  and l.external_id = n.lead ->> 'externalId')
                    then null else n.lead ->> 'externalId' end
             else n.lead ->> 'externalId' end,
           n.lead ->> 'title', n.lead ->> 'contactName', n.lead ->> 'company', n.lead ->> 'email',
           coalesce(n.lead ->> 'phone', n.lead ->> 'mobile'),
           (n.lead ->> 'expectedRevenue')::numeric, (n.lead ->> 'probability')::numeric,
           n.lead ->> 'stage', n.lead ->> 'salesperson', n.lead ->> 'description',
           coalesce(n.lead ->> 'source', 'import'),
           case when n.lead ->> 'createdAt' is null then null
                when length(n.lead ->> 'createdAt') = 10
                then ((n.lead ->> 'createdAt') || 'T00:00:00Z')::timestamptz
                else (n.lead ->> 'createdAt')::timestamptz end,
           case assign_mode
             when 'single' then assign_one
             when 'round_robin' then robin[n.row_number % greatest(cardinality(robin), 1) + 1]
             when 'by_column' then (select u.id from auth.users u
                                     where lower(u.email) = lower(n.lead ->> 'salesperson') limit 1)
           end,
           p_job
      from src n
    returning id, to_jsonb(leads.*) as after)
  insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
  select l.id, 'insert', 'import', p_job, null, l.after from new_leads l;
  get diagnostics ins = row_count;

  -- Duplicates of existing leads under `update`: the lead takes the file's
  -- non-empty values; its state before is kept for undo.
  if j.duplicate_strategy = 'update' then
    with targets as (
      select distinct on (r.target_id) r.row_number, r.target_id, r.data
        from public.import_rows r
       where r.job_id = p_job and r.row_number between from_row and to_row
         and r.status = 'duplicate' and r.dedup_key = 'existing'
       order by r.target_id, r.row_number),
    befores as (
      select t.*, to_jsonb(l.*) as before from targets t join public.leads l on l.id = t.target_id
       for update of l),
    changed as (
      update public.leads l set
        title = coalesce(b.data ->> 'title', l.title),
        contact_name = coalesce(b.data ->> 'contactName', l.contact_name),
        company_name = coalesce(b.data ->> 'company', l.company_name),
        email = coalesce(b.data ->> 'email', l.email),
        phone = coalesce(b.data ->> 'phone', b.data ->> 'mobile', l.phone),
        expected_revenue = coalesce((b.data ->> 'expectedRevenue')::numeric, l.expected_revenue),
        probability = coalesce((b.data ->> 'probability')::numeric, l.probability),
        stage = coalesce(b.data ->> 'stage', l.stage),
        salesperson = coalesce(b.data ->> 'salesperson', l.salesperson),
        description = coalesce(b.data ->> 'description', l.description),
        assigned_to = coalesce(passerelle.import_assignee(j.options, b.row_number, b.data ->> 'salesperson'),
                               l.assigned_to),
        import_job_id = p_job,
        updated_at = now()
      from befores b where l.id = b.target_id
      returning l.id, b.row_number, b.before, to_jsonb(l.*) as after)
    insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
    select c.id, 'update', 'import', p_job, c.before, c.after from changed c order by c.row_number;
    get diagnostics upd = row_count;
  end if;

  -- Every other duplicate of the range is skipped.
  if j.duplicate_strategy <> 'create' then
    select count(*) into dup from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'duplicate';
  end if;

  update public.import_jobs set
    committed_rows = committed_rows + ins + upd,
    inserted_rows = inserted_rows + ins,
    updated_rows = updated_rows + upd,
    skipped_rows = skipped_rows + dup - upd,
    checkpoint = checkpoint || jsonb_build_object('commitRow', to_row + 1),
    attempts = 0,
    updated_at = now()
   where id = p_job;
  return jsonb_build_object('inserted', ins, 'updated', upd, 'skipped', dup - upd);
end $$;

-- A file's date or date-time as a timestamptz (dates at midnight UTC).
create function passerelle.import_time(v text) returns timestamptz
language sql immutable set search_path = '' as $$
  select case when v is null then null
              when length(v) = 10 then (v || 'T00:00:00Z')::timestamptz
              else v::timestamptz end
$$;

-- Commits a range of an activities job: each activity is linked to its lead
-- by external id, else by email; a row whose lead the company does not have
-- is set invalid with `activity_lead_missing` and a `lead` param.
create function passerelle.import_commit_activities(p_job uuid, from_row integer, to_row integer)
returns jsonb
language plpgsql volatile set search_path = '' as $$
declare
  j public.import_jobs;
  ins integer := 0;
  bad integer := 0;
begin
  select * into j from public.import_jobs where id = p_job for update;
  with linked as (
    select r.row_number, r.data,
           coalesce(
             (select l.id from public.leads l where l.company_id = j.company_id
                and l.external_id = r.data ->> 'leadRef' limit 1),
             (select l.id from public.leads l where l.company_id = j.company_id
                and lower(l.email) = coalesce(r.data ->> 'leadEmail', lower(r.data ->> 'leadRef'))
              order by l.id limit 1)) as lead_id
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row
       and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy <> 'skip'))),
  missing as (
    update public.import_rows r
       set status = 'invalid', updated_at = now(),
           errors = jsonb_build_array(jsonb_build_object('row', r.row_number, 'field', 'leadRef',
             'code', 'activity_lead_missing',
             'params', jsonb_build_object('lead', coalesce(k.data ->> 'leadRef', k.data ->> 'leadEmail'),
                                          'reason', 'not_found')))
      from linked k where k.lead_id is null and r.job_id = p_job and r.row_number = k.row_number
    returning r.row_number),
  new_acts as (
    insert into public.activities (company_id, lead_id, activity_type, summary, note, due_date,
                                   assigned_to, assigned_name, import_job_id, external_id)
    select j.company_id, k.lead_id, k.data ->> 'type', k.data ->> 'summary', k.data ->> 'note',
           (left(k.data ->> 'dueDate', 10))::date,
           passerelle.import_assignee(j.options, k.row_number, k.data ->> 'assignedTo'),
           k.data ->> 'assignedTo', p_job, p_job::text || ':' || k.row_number
      from linked k where k.lead_id is not null
    returning id, external_id)
  update public.import_rows r set status = 'committed', target_id = a.id, updated_at = now()
    from new_acts a
   where r.job_id = p_job and r.row_number = split_part(a.external_id, ':', 2)::integer;
  get diagnostics ins = row_count;
  select count(*) into bad from public.import_rows r
   where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'invalid'
     and r.errors -> 0 -> 'params' ->> 'reason' = 'not_found';
  update public.import_rows r set status = 'skipped', updated_at = now()
   where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'duplicate';
  update public.import_jobs set
    committed_rows = committed_rows + ins,
    inserted_rows = inserted_rows + ins,
    invalid_rows = invalid_rows + bad,
    valid_rows = valid_rows - bad,
    checkpoint = checkpoint || jsonb_build_object('commitRow', to_row + 1),
    attempts = 0,
    updated_at = now()
   where id = p_job;
  return jsonb_build_object('inserted', ins, 'updated', 0, 'skipped', 0, 'unlinked', bad);
end $$;

-- Undoes a completed import: activities it created are deleted; leads it
-- inserted are deleted and leads it updated are restored to their state
-- before, except leads changed since (their row no longer equals what the
-- import wrote, or a later history entry exists), which are kept and listed.
-- Writes 'delete' / 'restore' history entries; sets `undone_at`.
create function passerelle.undo_import(p_job uuid)
returns jsonb
language plpgsql volatile set search_path = '' as $$
declare
  j public.import_jobs;
  deleted integer := 0;
  restored integer := 0;
  acts integer := 0;
  refused jsonb;
begin
  select * into j from public.import_jobs where id = p_job for update;
  if j.id is null then raise exception 'import job % not found', p_job; end if;

  create temporary table if not exists pg_temp.undo_plan
    (lead_id bigint, action text, before jsonb, edited boolean, row_number integer) on commit drop;
  truncate pg_temp.undo_plan;
  insert into pg_temp.undo_plan
  select h.lead_id, h.action, h.before,
         (l.id is null
          or (to_jsonb(l.*) - 'updated_at') is distinct from (h.after - 'updated_at')
          or exists (select 1 from public.lead_history h2 where h2.lead_id = h.lead_id and h2.id > h.id)),
         null
    from public.lead_history h
    left join public.leads l on l.id = h.lead_id
   where h.import_job_id = p_job and h.action in ('insert', 'update')
     -- the job's last entry per lead (one, unless a row updated a lead twice)
     and not exists (select 1 from public.lead_history h3 where h3.lead_id = h.lead_id
                       and h3.import_job_id = p_job and h3.action in ('insert', 'update') and h3.id > h.id);

  -- The rows of the leads kept, named to the user. The commit draws the ids
  -- of the leads it inserts in row order, so the k-th of them is the k-th
  -- row the job inserted; an updated lead is its duplicate row's `target_id`.
  if exists (select 1 from pg_temp.undo_plan p where p.edited) then
    update pg_temp.undo_plan p set row_number = x.row_number
      from (select h.lead_id, row_number() over (order by h.lead_id) as k from public.lead_history h
             where h.import_job_id = p_job and h.action = 'insert') hi
      join (select r.row_number, row_number() over (order by r.row_number) as k from public.import_rows r
             where r.job_id = p_job
               and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy = 'create'))) x
        on x.k = hi.k
     where p.edited and p.action = 'insert' and p.lead_id = hi.lead_id;
    update pg_temp.undo_plan p set row_number =
           (select min(r.row_number) from public.import_rows r
             where r.job_id = p_job and r.status = 'duplicate' and r.target_id = p.lead_id)
     where p.edited and p.action = 'update';
  end if;

  select coalesce(jsonb_agg(jsonb_build_object('leadId', p.lead_id, 'row', p.row_number) order by p.row_number),
                  '[]'::jsonb)
    into refused from pg_temp.undo_plan p where p.edited;

  delete from public.activities a where a.import_job_id = p_job;
  get diagnostics acts = row_count;

  with gone as (
    delete from public.leads l using pg_temp.undo_plan p
     where l.id = p.lead_id and p.action = 'insert' and not p.edited
    returning to_jsonb(l.*) as before, l.id),
  h as (insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
        select g.id, 'delete', 'import_undo', p_job, g.before, null from gone g returning 1)
  select count(*) into deleted from h;

  with back as (
    update public.leads l set
      title = b.title, contact_name = b.contact_name, company_name = b.company_name, email = b.email,
      phone = b.phone, expected_revenue = b.expected_revenue, probability = b.probability,
      stage = b.stage, salesperson = b.salesperson, description = b.description,
      assigned_to = b.assigned_to, import_job_id = b.import_job_id, external_id = b.external_id,
      source = b.source, updated_at = b.updated_at
    from pg_temp.undo_plan p, jsonb_populate_record(null::public.leads, p.before) b
    where l.id = p.lead_id and p.action = 'update' and not p.edited
    returning l.id, p.before),
  h as (insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
        select bk.id, 'restore', 'import_undo', p_job, null, bk.before from back bk returning 1)
  select count(*) into restored from h;

  update public.import_jobs set undone_at = now(), updated_at = now(),
         payload = coalesce(payload, '{}'::jsonb) || jsonb_build_object('undo', jsonb_build_object(
           'deleted', deleted, 'restored', restored, 'activitiesDeleted', acts, 'refused', refused))
   where id = p_job;
  return jsonb_build_object('deleted', deleted, 'restored', restored, 'activitiesDeleted', acts,
                            'refused', refused);
end $$;

revoke execute on function passerelle.claim_import_job(text, interval, uuid, timestamptz) from public;
revoke execute on function passerelle.import_mark_duplicates(uuid, text[]) from public;
revoke execute on function passerelle.import_commit_leads(uuid, integer, integer) from public;
revoke execute on function passerelle.import_commit_activities(uuid, integer, integer) from public;
revoke execute on function passerelle.undo_import(uuid) from public;
