-- Retention of `import_rows` (issue 18): 2.4 million imported rows left 1.67 GB
-- there, kept until each job was deleted. Once a job is over and its retention
-- (`IMPORT_ROWS_KEEP_DAYS`, default 30 days, counted from its end) has passed,
-- its rows are compacted to what is still of use:
--
-- - kept: every row the error report lists (refused, imported with a warning,
--   duplicates: `import_rows_findings_idx`), so the report can be written
--   again, and the job's counts, history and undo, which never read the rows
--   (undo walks `lead_history`; an insert's entry names its file row, whose
--   values are then the lead's own);
-- - removed: the clean rows (valid, no warning), whose values the leads hold.
--
-- The duplicate keys of a parse (`passerelle.import_keys`) go as soon as the
-- job has left parsing, whatever the retention.
--
-- Only jobs that will not be taken up again: completed ones, and failed or
-- cancelled ones that were undone (a retry goes on from the rows it stored).

-- When the job's rows were compacted (null: all of them kept).
alter table public.import_jobs add column rows_compacted_at timestamptz;

-- Compacts the rows of jobs over for longer than `keep`, oldest first, at
-- most `max_rows` rows removed in all (null: no bound), each job in its own
-- statements; a job whose rows are all gone is marked `rows_compacted_at`.
-- Returns `{"jobs": compacted, "rows": removed, "more": jobs left}`.
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
  -- The duplicate keys of a parse serve only while it runs: gone once the job has left parsing
  -- (jobs found by the primary key's prefix, never by a scan of the keys of a parse under way).
  for j in
    select ij.id from public.import_jobs ij
     where ij.status not in ('queued', 'parsing')
       and exists (select 1 from passerelle.import_keys k where k.job_id = ij.id)
  loop
    exit when left_rows is not null and left_rows <= 0;
    delete from passerelle.import_keys k
     where k.job_id = j.id and k.key in (
       select k2.key from passerelle.import_keys k2 where k2.job_id = j.id limit left_rows);
    get diagnostics n = row_count;
    removed := removed + n;
    left_rows := left_rows - n;
  end loop;

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
