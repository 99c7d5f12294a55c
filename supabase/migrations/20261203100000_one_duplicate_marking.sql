-- One way of marking duplicates (issue 18), cheaper.
--
-- `import_mark_duplicates` labelled the whole file with four window functions,
-- each sorting every row by its key (on disk past work_mem), after an ANALYZE
-- of `import_rows`: 1.8-1.85 s of the backend's CPU for 200,000 rows (0.3-0.4 s
-- of it the ANALYZE, kept). The same labels now come from a hash count per key
-- (only keys met more than once matter) and an update through the primary key
-- of the few rows found: 0.71-0.73 s of CPU on the same rows without the
-- ANALYZE, identical labels (the backend's utime + stime around each
-- statement, alternating, same database).
--
-- The second way, labelling each flush's rows as they were stored
-- (`import_mark_rows`, the parse's keys in `passerelle.import_keys`), is
-- removed with the commit while parsing that used it: measured slower than
-- marking once at the end (200,000 rows: 46.9 s and 86.4 s against 19.3 s),
-- it cost about 60 µs per row in the flushes' transactions, and on 2 cores the
-- parse and the storing of its rows already keep both cores busy (the README,
-- « Where the time of an import goes »). One implementation of the labels.

create or replace function passerelle.import_mark_duplicates(p_job uuid, match_on text[])
returns integer
-- (no JIT; work_mem: the counts of 200,000 keys held in memory, not spilled to disk)
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off set work_mem = '64MB'
as $$
declare
  j public.import_jobs;
  by_email boolean := 'email' = any(match_on);
  by_phone boolean := 'phone' = any(match_on);
  by_ext boolean := true;
  n integer;
  f_rows integer[];
  f_firsts integer[];
  f_keys text[];
begin
  select * into j from public.import_jobs where id = p_job;
  -- (an activity job's rows carry no person: it matches on what its `match_on` says, nothing by default)
  by_ext := j.kind = 'leads' or 'external_id' = any(match_on);
  -- Rows arrived moments ago: without statistics the planner takes the table for tiny and nests
  -- loops over hundreds of thousands of rows, here and in the commit's statements after it (left
  -- out, the first two ranges of a million-row job were still running after 4.5 minutes). About
  -- 0.4 s of CPU, a sample of 30,000 rows whatever the table's size.
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

  -- Then the file: the earliest row sharing a key (see 20261201140100 for the rules). Only keys
  -- met more than once matter: each key's rows counted in a hash (no sort of every row by each
  -- key, as the window functions did), the rows holding a repeated key picked out, and only
  -- those joined to their keys' first rows.
  with k as materialized (
    select r.row_number,
           case when by_email then r.email end as e,
           case when by_phone and r.email is null and r.external_id is null then r.phone end as p,
           case when by_ext then r.external_id end as x,
           r.target_id as t
      from public.import_rows r
     where r.job_id = p_job and r.status in ('valid', 'duplicate')),
  fe as (select k.e, min(k.row_number) as first from k where k.e is not null group by k.e having count(*) > 1),
  fp as (select k.p, min(k.row_number) as first from k where k.p is not null group by k.p having count(*) > 1),
  fx as (select k.x, min(k.row_number) as first from k where k.x is not null group by k.x having count(*) > 1),
  ft as (select k.t, min(k.row_number) as first from k where k.t is not null group by k.t having count(*) > 1),
  cand as (
    select k.* from k
     where k.e in (select fe.e from fe) or k.p in (select fp.p from fp) or k.x in (select fx.x from fx)
        or k.t in (select ft.t from ft)),
  firsts as (
    select c.row_number,
           least(case when fx.first < c.row_number then fx.first end,
                 case when fe.first < c.row_number then fe.first end,
                 case when fp.first < c.row_number then fp.first end,
                 case when ft.first < c.row_number then ft.first end) as first,
           case when fx.first < c.row_number then 'external_id' when fe.first < c.row_number then 'email'
                when fp.first < c.row_number then 'phone' end as key
      from cand c left join fe on fe.e = c.e left join fp on fp.p = c.p left join fx on fx.x = c.x
           left join ft on ft.t = c.t)
  select coalesce(array_agg(f.row_number), '{}'), coalesce(array_agg(f.first), '{}'), coalesce(array_agg(f.key), '{}')
    into f_rows, f_firsts, f_keys
    from firsts f where f.first is not null;

  -- (the rows found are few: each updated through the primary key)
  perform set_config('enable_nestloop', 'on', true);
  update public.import_rows r set status = 'duplicate',
         dedup_key = case when r.status = 'duplicate' then r.dedup_key else 'file' end,
         dedup_on = coalesce(r.dedup_on, f.key), target_row = f.first
    from unnest(f_rows, f_firsts, f_keys) as f(row_number, first, key)
   where r.job_id = p_job and r.row_number = f.row_number;

  select count(*) into n from public.import_rows where job_id = p_job and status = 'duplicate';
  return n;
end $$;

revoke execute on function passerelle.import_mark_duplicates(uuid, text[]) from public;

-- The check of a commit range against the leads that exist now (see
-- 20261201140100): the same probes, and the rows they find (few, most often
-- none) updated through the primary key. Joined as before, the update hashed
-- the range's estimated 20,000 rows against a scan of every row of the job:
-- a million-row job scanned a million rows for each of its 50 ranges.
create or replace function passerelle.import_recheck_duplicates(p_job uuid, from_row integer, to_row integer)
returns integer
language plpgsql volatile set search_path = '' set enable_nestloop = on set jit = off as $$
declare
  j public.import_jobs;
  match_on text[];
  by_email boolean;
  by_phone boolean;
  by_ext boolean;
  f_rows integer[];
  f_ids bigint[];
  f_on text[];
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
  select coalesce(array_agg(f.row_number), '{}'), coalesce(array_agg(coalesce(f.x, f.e, f.p)), '{}'),
         coalesce(array_agg(case when f.x is not null then 'external_id' when f.e is not null then 'email'
                                 else 'phone' end), '{}')
    into f_rows, f_ids, f_on
    from found f where coalesce(f.x, f.e, f.p) is not null;
  if cardinality(f_rows) = 0 then return 0; end if;
  update public.import_rows r set status = 'duplicate', dedup_key = 'existing', target_id = f.id,
         dedup_on = f.key_on
    from unnest(f_rows, f_ids, f_on) as f(row_number, id, key_on)
   where r.job_id = p_job and r.row_number = f.row_number;
  get diagnostics n = row_count;
  return n;
end $$;

revoke execute on function passerelle.import_recheck_duplicates(uuid, integer, integer) from public;

drop function passerelle.import_mark_rows(uuid, integer, integer, text[]);

-- `purge_imports` without the parse's duplicate keys (gone with the table).
create or replace function passerelle.purge_imports(keep interval default '30 days',
                                                    max_rows integer default null)
returns jsonb
language plpgsql volatile set search_path = '' as $$
declare
  j record;
  left_rows integer := max_rows;
  n integer;
  jobs integer := 0;
  removed bigint := 0;
begin
  for j in
    select id from public.import_jobs
     where rows_compacted_at is null and finished_at < now() - keep
       and (status = 'completed' or (status in ('failed', 'cancelled') and undone_at is not null))
     order by finished_at
  loop
    exit when left_rows is not null and left_rows <= 0;
    delete from public.import_rows r
     where r.job_id = j.id and r.row_number in (
       select r2.row_number from public.import_rows r2
        where r2.job_id = j.id and r2.status = 'valid' and r2.errors is null
        limit left_rows);
    get diagnostics n = row_count;
    removed := removed + n;
    if left_rows is null or n < left_rows then
      update public.import_jobs set rows_compacted_at = now() where id = j.id;
      jobs := jobs + 1;
    end if;
    left_rows := left_rows - n;
  end loop;
  return jsonb_build_object('jobs', jobs, 'rows', removed, 'more', (
    select count(*) from public.import_jobs
     where rows_compacted_at is null and finished_at < now() - keep
       and (status = 'completed' or (status in ('failed', 'cancelled') and undone_at is not null))));
end $$;

revoke execute on function passerelle.purge_imports(interval, integer) from public;

drop table passerelle.import_keys;
