-- Duplicates (issue 14): a normalised e-mail and an external id identify a
-- person; a phone alone identifies only rows and leads that have neither an
-- e-mail nor an external id (two colleagues with their own addresses share a
-- switchboard number: they are two people). `match_on` lists the keys used
-- (default: all three, under that rule for the phone); the external id is a
-- key whatever it says, since the database keeps it unique per company.
--
-- A row matching an existing lead is labelled a duplicate of that lead
-- (`dedup_key = 'existing'`, `target_id`), even when an earlier row of the file
-- carries the same key (that row is named in `target_row`); a row matching
-- only an earlier row is a duplicate of the file (`dedup_key = 'file'`,
-- `target_row`). `dedup_on` says which key matched.
--
-- (Keys are grouped byte for byte, `collate "C"`: equal is equal in any
-- collation, and sorting a million keys linguistically took twice as long.)
create or replace function passerelle.import_mark_duplicates(p_job uuid, match_on text[])
returns integer
-- (no JIT: compiling the statements takes longer than it saves)
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off as $$
declare
  j public.import_jobs;
  by_email boolean := 'email' = any(match_on);
  by_phone boolean := 'phone' = any(match_on);
  -- External ids are unique per company (`leads_company_external_id_idx`): always a key.
  by_ext boolean := true;
  n integer;
begin
  select * into j from public.import_jobs where id = p_job;
  -- (an activity job's rows carry no person: it matches on what its `match_on` says, nothing by default)
  by_ext := j.kind = 'leads' or 'external_id' = any(match_on);
  -- Rows arrived moments ago: without statistics the planner takes the
  -- table for tiny and nests loops over hundreds of thousands of rows.
  analyze public.import_rows;

  if j.kind = 'leads' then
    -- Existing leads first. Joins, not a lookup per row: hash joins against the company's leads.
    with m as (
      select r.row_number, 1 as prio, 'external_id' as key, l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and l.external_id = r.external_id
       where r.job_id = p_job and r.status = 'valid' and by_ext
      union all
      select r.row_number, 2, 'email', l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and lower(l.email) = r.email
       where r.job_id = p_job and r.status = 'valid' and by_email
      union all
      select r.row_number, 3, 'phone', l.id from public.import_rows r
        join public.leads l on l.company_id = j.company_id and l.phone = r.phone
       where r.job_id = p_job and r.status = 'valid' and by_phone
         and r.email is null and r.external_id is null and l.email is null and l.external_id is null),
    best as (select distinct on (m.row_number) m.row_number, m.id, m.key from m
              order by m.row_number, m.prio, m.id)
    update public.import_rows r set status = 'duplicate', dedup_key = 'existing', target_id = b.id,
           dedup_on = b.key
      from best b where r.job_id = p_job and r.row_number = b.row_number;
  end if;

  -- Then the file: the earliest row sharing a key. A duplicate of an existing
  -- lead keeps that label and only learns the earlier row; under `update`, only
  -- the first row naming a lead updates it (`import_commit_leads`), so rows
  -- after it that name the same lead by another key learn it too.
  with keyed as (
    select r.row_number, r.status, r.target_id,
           case when by_email and r.email is not null
                then min(r.row_number) over (partition by r.email collate "C") end as e,
           case when by_phone and r.phone is not null and r.email is null and r.external_id is null
                then min(r.row_number) over (partition by r.phone collate "C",
                                                          (r.email is null and r.external_id is null)) end as p,
           case when by_ext and r.external_id is not null
                then min(r.row_number) over (partition by r.external_id collate "C") end as x,
           case when r.target_id is not null
                then min(r.row_number) over (partition by r.target_id) end as t
      from public.import_rows r
     where r.job_id = p_job and r.status in ('valid', 'duplicate')),
  firsts as (
    select k.row_number, k.status,
           least(case when k.x < k.row_number then k.x end, case when k.e < k.row_number then k.e end,
                 case when k.p < k.row_number then k.p end, case when k.t < k.row_number then k.t end) as first,
           case when k.x < k.row_number then 'external_id' when k.e < k.row_number then 'email'
                when k.p < k.row_number then 'phone' end as key
      from keyed k)
  update public.import_rows r set status = 'duplicate',
         dedup_key = case when r.status = 'duplicate' then r.dedup_key else 'file' end,
         dedup_on = coalesce(r.dedup_on, f.key), target_row = f.first
    from firsts f
   where r.job_id = p_job and r.row_number = f.row_number and f.first is not null;

  select count(*) into n from public.import_rows where job_id = p_job and status = 'duplicate';
  return n;
end $$;

-- At commit time, the valid rows of a range are checked again against the
-- company's leads (issue 13): a lead created or changed between the parse and
-- the commit (same external id or e-mail, or phone under the rule above) makes
-- the row a duplicate of it, which then follows the job's strategy, instead of
-- the insert hitting `leads_company_external_id_idx` and failing the job.
-- Leads this job wrote are left out: the parse already weighed them.
--
-- One index lookup per key of each row (scalar subqueries, which PostgreSQL
-- runs as index scans per row whatever the join settings): a range of 20,000
-- rows costs about as many probes, never a scan of the company's leads, which
-- grow with the import itself. Returns how many rows became duplicates.
create or replace function passerelle.import_recheck_duplicates(p_job uuid, from_row integer, to_row integer)
returns integer
-- (nested loops on: the commit turns them off for its own statements, and the rows found here are few,
-- each updated through the primary key)
language plpgsql volatile set search_path = '' set enable_nestloop = on set jit = off as $$
declare
  j public.import_jobs;
  match_on text[];
  by_email boolean;
  by_phone boolean;
  by_ext boolean;
  n integer;
begin
  select * into j from public.import_jobs where id = p_job;
  match_on := coalesce(array(select jsonb_array_elements_text(j.options -> 'matchOn')),
                       '{email,phone,external_id}');
  if cardinality(match_on) = 0 then match_on := '{email,phone,external_id}'; end if;
  by_email := 'email' = any(match_on);
  by_phone := 'phone' = any(match_on);
  by_ext := true; -- (unique per company: always a key)
  with found as (
    select r.row_number,
           case when by_ext and r.external_id is not null then
             (select l.id from public.leads l
               where l.company_id = j.company_id and l.external_id = r.external_id
                 and l.import_job_id is distinct from p_job) end as x,
           case when by_email and r.email is not null then
             (select l.id from public.leads l
               where l.company_id = j.company_id and lower(l.email) = r.email
                 and l.import_job_id is distinct from p_job limit 1) end as e,
           case when by_phone and r.phone is not null and r.email is null and r.external_id is null then
             (select l.id from public.leads l
               where l.company_id = j.company_id and l.phone = r.phone and l.email is null
                 and l.external_id is null and l.import_job_id is distinct from p_job limit 1) end as p
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'valid')
  update public.import_rows r set status = 'duplicate', dedup_key = 'existing',
         target_id = coalesce(f.x, f.e, f.p),
         dedup_on = case when f.x is not null then 'external_id' when f.e is not null then 'email'
                         else 'phone' end
    from found f
   where r.job_id = p_job and r.row_number = f.row_number and coalesce(f.x, f.e, f.p) is not null;
  get diagnostics n = row_count;
  return n;
end $$;

revoke execute on function passerelle.import_mark_duplicates(uuid, text[]) from public;
revoke execute on function passerelle.import_recheck_duplicates(uuid, integer, integer) from public;
