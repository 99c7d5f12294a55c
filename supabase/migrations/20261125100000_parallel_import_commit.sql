-- Leads imports commit several ranges at once (one statement per range, on
-- as many connections), so that PostgreSQL spends every core on the million
-- rows of a large file. Two things made that unsafe before and are changed
-- here:
--
-- 1. Each range recorded its end in the job's checkpoint, and ranges had to
--    run in order. Now every committed range is a row of
--    `passerelle.import_commits`, written in the range's own transaction: a
--    range is committed once and only once, whatever order they finish in,
--    whoever (a call that died mid-statement included) ran it. That table is
--    a leads commit's checkpoint; `checkpoint.commitRow` says only where the
--    commit starts and, once complete, that it ended.
-- 2. `undo_import` found the row an inserted lead came from by rank (the
--    k-th lead id of the job was the k-th row inserted), which only held
--    while ids were drawn range after range. Now a lead says it:
--    `leads.import_row`.
--
-- And the history entry of a lead an import inserts no longer copies the
-- lead (`to_jsonb` of the new row was a third of the commit's time): its
-- `after` names the file row the lead came from, `{"import_row": n}`, whose
-- values `import_rows` keeps. Undo needed that copy only to see whether the
-- lead was edited since; it now compares the lead's row version (`xmin`,
-- `cmin`: the transaction and command that wrote it) with its entry's,
-- written by the same statement, so equal until the lead is changed.

-- The row of the file of `import_job_id` that last wrote the lead.
alter table public.leads add column import_row integer;

-- The ranges of an import already committed: its checkpoint, range by range.
create table passerelle.import_commits (
  job_id uuid not null references public.import_jobs (id) on delete cascade,
  from_row integer not null,
  to_row integer not null,
  committed_at timestamptz not null default now(),
  primary key (job_id, from_row)
);

-- Marks duplicates once the whole file is parsed: a valid row that shares an
-- email (case-insensitive), phone or external id (as `match_on` says) with
-- an earlier row of the file, or with a lead the company already has.
-- Duplicates of existing leads carry that lead's id in `target_id`.
-- (Keys are grouped byte for byte, `collate "C"`: equal is equal in any
-- collation, and sorting a million keys by the database's linguistic
-- collation took twice as long.)
create or replace function passerelle.import_mark_duplicates(p_job uuid, match_on text[])
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
                then min(r.row_number) over (partition by r.email collate "C") end as e,
           case when 'phone' = any(match_on) and r.phone is not null
                then min(r.row_number) over (partition by r.phone collate "C") end as p,
           case when 'external_id' = any(match_on) and r.external_id is not null
                then min(r.row_number) over (partition by r.external_id collate "C") end as x
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

-- Commits the rows of a leads job numbered from_row to to_row (inclusive),
-- set-based: new leads inserted, duplicates skipped, updated or created as
-- the job's strategy says, a `lead_history` row for every lead written, and
-- the job's counts in the same transaction. Under `create`, a duplicate row
-- is inserted without its external id when it duplicates an earlier row of
-- the file or an existing lead holding that id (external ids are unique per
-- company).
--
-- Ranges of one job may run at the same time: the job row is only locked by
-- the final update of its counts (moments before the commit), and a range
-- already in `import_commits` (committed, or being committed by a statement
-- still running) is left alone: the answer says `already`. Callers cut
-- ranges on one grid per job, so that two ranges are equal or disjoint.
--
-- `import_rows` is not rewritten: a row's outcome follows from its status and
-- the job's strategy (valid: inserted; duplicate: inserted under `create`,
-- the update of `target_id` under `update`, else skipped).
--
-- No JIT (compiling the statement cost more than running it on a range) and
-- no call per row of `import_time` / `import_assignee` (a SQL function with
-- its own search_path is not inlined): their logic is written out here.
create or replace function passerelle.import_commit_leads(p_job uuid, from_row integer, to_row integer)
returns jsonb
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off as $$
declare
  j public.import_jobs;
  assign_mode text;
  assign_one uuid;
  robin uuid[];
  ins integer := 0;
  upd integer := 0;
  dup integer := 0;
begin
  -- Claims the range; waits for a statement committing it now, and then finds it taken.
  insert into passerelle.import_commits (job_id, from_row, to_row)
  values (p_job, from_row, to_row) on conflict do nothing;
  if not found then
    return jsonb_build_object('inserted', 0, 'updated', 0, 'skipped', 0, 'already', true);
  end if;

  select * into j from public.import_jobs where id = p_job;
  assign_mode := j.options -> 'assignment' ->> 'mode';
  if assign_mode = 'single' then assign_one := (j.options -> 'assignment' ->> 'userId')::uuid; end if;
  if assign_mode = 'round_robin' then
    robin := coalesce(array(select jsonb_array_elements_text(j.options -> 'assignment' -> 'userIds')::uuid),
                      '{}');
  end if;

  with new_leads as (
    insert into public.leads (company_id, external_id, title, contact_name, company_name, email, phone,
                              expected_revenue, probability, stage, salesperson, description, source,
                              source_created_at, assigned_to, import_job_id, import_row)
    select j.company_id,
           -- (a CASE on the key: `dedup_key = 'existing' and exists (…)` would run the lookup
           -- for every row without a key, null = 'existing' being null, not false)
           case r.dedup_key
             when 'file' then null
             when 'existing' then
               case when exists (select 1 from public.leads l where l.company_id = j.company_id
                                  and l.external_id = r.data ->> 'externalId')
                    then null else r.data ->> 'externalId' end
             else r.data ->> 'externalId' end,
           r.data ->> 'title', r.data ->> 'contactName', r.data ->> 'company', r.data ->> 'email',
           coalesce(r.data ->> 'phone', r.data ->> 'mobile'),
           (r.data ->> 'expectedRevenue')::numeric, (r.data ->> 'probability')::numeric,
           r.data ->> 'stage', r.data ->> 'salesperson', r.data ->> 'description',
           coalesce(r.data ->> 'source', 'import'),
           case when r.data ->> 'createdAt' is null then null
                when length(r.data ->> 'createdAt') = 10
                then ((r.data ->> 'createdAt') || 'T00:00:00Z')::timestamptz
                else (r.data ->> 'createdAt')::timestamptz end,
           case assign_mode
             when 'single' then assign_one
             when 'round_robin' then robin[r.row_number % greatest(cardinality(robin), 1) + 1]
             when 'by_column' then (select u.id from auth.users u
                                     where lower(u.email) = lower(r.data ->> 'salesperson') limit 1)
           end,
           p_job, r.row_number
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row
       and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy = 'create'))
     order by r.row_number
    returning id, import_row)
  insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
  select l.id, 'insert', 'import', p_job, null, jsonb_build_object('import_row', l.import_row) from new_leads l;
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
        import_row = b.row_number,
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
    attempts = 0,
    updated_at = now()
   where id = p_job;
  return jsonb_build_object('inserted', ins, 'updated', upd, 'skipped', dup - upd);
end $$;

-- Undoes a completed import: activities it created are deleted; leads it
-- inserted are deleted and leads it updated are restored to their state
-- before, except leads changed since (a new row version: `xmin`, `cmin`
-- differ from the import's entry's; or a later history entry exists), which are
-- kept and listed with the row of the file that wrote them. (A conservative
-- test: a rewrite of the whole table, as a dump and restore does, makes
-- every lead look changed, and undo then refuses rather than guesses.)
-- Writes 'delete' / 'restore' history entries; sets `undone_at`.
create or replace function passerelle.undo_import(p_job uuid)
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
          -- the lead and its entry were written by one statement: any change since (in this
          -- transaction or another) gave the lead a row version of another transaction or command
          or not (l.xmin = h.xmin and l.cmin = h.cmin)
          or exists (select 1 from public.lead_history h2 where h2.lead_id = h.lead_id and h2.id > h.id)),
         (h.after ->> 'import_row')::integer
    from public.lead_history h
    left join public.leads l on l.id = h.lead_id
   where h.import_job_id = p_job and h.action in ('insert', 'update')
     -- the job's last entry per lead (one, unless a row updated a lead twice)
     and not exists (select 1 from public.lead_history h3 where h3.lead_id = h.lead_id
                       and h3.import_job_id = p_job and h3.action in ('insert', 'update') and h3.id > h.id);

  -- Imports committed before leads said their row (20261125100000): an
  -- inserted lead's row by rank (those commits drew ids in row order, one
  -- range after the other); an updated lead's, its duplicate row's.
  if exists (select 1 from pg_temp.undo_plan p where p.edited and p.row_number is null) then
    update pg_temp.undo_plan p set row_number = x.row_number
      from (select h.lead_id, row_number() over (order by h.lead_id) as k from public.lead_history h
             where h.import_job_id = p_job and h.action = 'insert') hi
      join (select r.row_number, row_number() over (order by r.row_number) as k from public.import_rows r
             where r.job_id = p_job
               and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy = 'create'))) x
        on x.k = hi.k
     where p.edited and p.row_number is null and p.action = 'insert' and p.lead_id = hi.lead_id;
    update pg_temp.undo_plan p set row_number =
           (select min(r.row_number) from public.import_rows r
             where r.job_id = p_job and r.status = 'duplicate' and r.target_id = p.lead_id)
     where p.edited and p.row_number is null and p.action = 'update';
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
      assigned_to = b.assigned_to, import_job_id = b.import_job_id, import_row = b.import_row,
      external_id = b.external_id, source = b.source, updated_at = b.updated_at
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

revoke all on table passerelle.import_commits from public;
revoke execute on function passerelle.import_commit_leads(uuid, integer, integer) from public;
revoke execute on function passerelle.undo_import(uuid) from public;
revoke execute on function passerelle.import_mark_duplicates(uuid, text[]) from public;
