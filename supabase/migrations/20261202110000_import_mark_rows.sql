-- Duplicates marked as the rows arrive (issue 18), so that a job committed
-- when parsed (`autoCommit`, strategies `skip` and `create`) commits each
-- range as soon as it is stored, while the rest of the file is parsed.
--
-- `import_mark_duplicates` labels the whole job once its last row is stored
-- (window functions over every row). `import_mark_rows` labels rows
-- `from_row`..`to_row` of a job whose earlier rows are labelled already, and
-- gives them the same labels that function would: existing leads first (the
-- lowest lead id of the first key that finds any, external id, e-mail, then
-- phone under the no-e-mail-no-id rule), then the earliest earlier row of the
-- file sharing a key (including the lead a row duplicates). The earliest row
-- of each key is kept in `passerelle.import_keys`, one entry per key value
-- (not per row): a range's rows are looked up there, then their new keys are
-- added. The parse calls it in each flush's transaction, flushes committing
-- one after the other in file order, so a key's first row is always found.
--
-- Leads this job inserted are not "existing leads": rows of the file are
-- matched by their keys, as `import_mark_duplicates` matches them. (A job
-- under `update` changes existing leads as it goes and would see its own
-- changes: it keeps marking the whole file at the end, and commits then.)

-- The first row of each key of a job being parsed ('e' e-mail, 'p' phone, 'x' external id, 't' lead id).
create table passerelle.import_keys (
  job_id uuid not null references public.import_jobs (id) on delete cascade,
  key text collate "C" not null,
  first_row integer not null,
  primary key (job_id, key)
);

create or replace function passerelle.import_mark_rows(p_job uuid, from_row integer, to_row integer,
                                                       match_on text[])
returns integer
language plpgsql volatile set search_path = '' set enable_nestloop = on set jit = off as $$
declare
  j public.import_jobs;
  by_email boolean := 'email' = any(match_on);
  by_phone boolean := 'phone' = any(match_on);
  n integer;
begin
  select * into j from public.import_jobs where id = p_job;

  -- Existing leads: one index probe per key of each row (as `import_recheck_duplicates`), the
  -- lowest id of the first key that finds a lead (as `import_mark_duplicates`' priorities).
  -- (`materialized`: inlined, the probes ran again for every row the update joined, 5,000 × 5,000 of them)
  with found as materialized (
    select r.row_number,
           case when r.external_id is not null then
             (select min(l.id) from public.leads l
               where l.company_id = j.company_id and l.external_id = r.external_id
                 and l.import_job_id is distinct from p_job) end as x,
           case when by_email and r.email is not null then
             (select min(l.id) from public.leads l
               where l.company_id = j.company_id and lower(l.email) = r.email
                 and l.import_job_id is distinct from p_job) end as e,
           case when by_phone and r.phone is not null and r.email is null and r.external_id is null then
             (select min(l.id) from public.leads l
               where l.company_id = j.company_id and l.phone = r.phone and l.email is null
                 and l.external_id is null and l.import_job_id is distinct from p_job) end as p
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'valid')
  update public.import_rows r set status = 'duplicate', dedup_key = 'existing',
         target_id = coalesce(f.x, f.e, f.p),
         dedup_on = case when f.x is not null then 'external_id' when f.e is not null then 'email'
                         else 'phone' end
    from found f
   where r.job_id = p_job and r.row_number between from_row and to_row and r.row_number = f.row_number
     and coalesce(f.x, f.e, f.p) is not null;

  -- The file: each key of the range's rows, its first row (an earlier range's, else the range's own).
  create temporary table if not exists pg_temp.mark_keys
    (row_number integer, kind text, key text collate "C") on commit drop;
  truncate pg_temp.mark_keys;
  insert into pg_temp.mark_keys
  select r.row_number, k.kind, k.key
    from public.import_rows r,
         lateral (values
           ('x', case when r.external_id is not null then 'x' || r.external_id end),
           ('e', case when by_email and r.email is not null then 'e' || r.email end),
           ('p', case when by_phone and r.phone is not null and r.email is null and r.external_id is null
                      then 'p' || r.phone end),
           ('t', case when r.target_id is not null then 't' || r.target_id end)) k(kind, key)
   where r.job_id = p_job and r.row_number between from_row and to_row
     and r.status in ('valid', 'duplicate') and k.key is not null;
  analyze pg_temp.mark_keys;

  with firsts as materialized (
    select m.row_number, m.kind,
           coalesce((select ik.first_row from passerelle.import_keys ik where ik.job_id = p_job and ik.key = m.key),
                    min(m.row_number) over (partition by m.key)) as first
      from pg_temp.mark_keys m),
  per_row as materialized (
    select f.row_number,
           min(f.first) filter (where f.kind = 'x' and f.first < f.row_number) as x,
           min(f.first) filter (where f.kind = 'e' and f.first < f.row_number) as e,
           min(f.first) filter (where f.kind = 'p' and f.first < f.row_number) as p,
           min(f.first) filter (where f.kind = 't' and f.first < f.row_number) as t
      from firsts f group by f.row_number)
  update public.import_rows r set status = 'duplicate',
         dedup_key = case when r.status = 'duplicate' then r.dedup_key else 'file' end,
         dedup_on = coalesce(r.dedup_on, case when k.x is not null then 'external_id'
                                              when k.e is not null then 'email'
                                              when k.p is not null then 'phone' end),
         target_row = least(k.x, k.e, k.p, k.t)
    from per_row k
   where r.job_id = p_job and r.row_number between from_row and to_row and r.row_number = k.row_number
     and least(k.x, k.e, k.p, k.t) is not null;
  get diagnostics n = row_count;

  insert into passerelle.import_keys (job_id, key, first_row)
  select p_job, m.key, min(m.row_number) from pg_temp.mark_keys m group by m.key
  on conflict do nothing;

  select count(*) into n from public.import_rows r
   where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'duplicate';
  return n;
end $$;

revoke execute on function passerelle.import_mark_rows(uuid, integer, integer, text[]) from public;

-- Claims take the job row FOR NO KEY UPDATE (was FOR UPDATE): a range being
-- committed while the job is parsed holds the job row FOR KEY SHARE (the
-- foreign key of `import_commits`, of `import_rows`) for as long as its
-- statement runs, and FOR UPDATE SKIP LOCKED skipped the job for all that
-- time: a call that died mid-range left the next calls with nothing to
-- claim until that range ended. The lease is what keeps two calls apart, as
-- before; the claim changes no key. And a job failed here after 5 tries
-- that was committed as it was parsed has its undo started, as `failJob`.
create or replace function passerelle.claim_import_job(
  p_kind text, lease interval, p_job uuid default null, at timestamptz default null
) returns setof public.import_jobs
language plpgsql volatile set search_path = '' as $$
declare
  t timestamptz := coalesce(at, now());
begin
  update public.import_jobs j
     set status = 'failed', leased_until = null, finished_at = t, updated_at = now(),
         error_message = coalesce(j.error_message,
           format('Import interrompu 5 fois au même point (ligne %s) : abandonné', j.checkpoint ->> 'row')),
         -- (a job committed when parsed is undone: nothing partial of it stays, see `failJob`)
         payload = case when j.auto_commit and j.committed_rows > 0 and j.payload -> 'undo' is null
           then coalesce(j.payload, '{}'::jsonb) || jsonb_build_object('undo', jsonb_build_object(
             'state', 'running', 'cursor', 0, 'deleted', 0, 'restored', 0, 'activitiesDeleted', 0,
             'refused', '[]'::jsonb, 'refusedCount', 0, 'startedAt', now(), 'auto', true))
           else j.payload end
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
     for no key update skip locked)
  update public.import_jobs j
     set leased_until = t + lease, attempts = j.attempts + 1,
         started_at = coalesce(j.started_at, t), updated_at = now()
    from next where j.id = next.id
  returning j.*;
end $$;
