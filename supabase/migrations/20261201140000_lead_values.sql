-- Every column of an imported file lands somewhere (issue 14): the lead
-- columns a French CRM file carries, and a jsonb of the file's other columns
-- keyed by the file's own header, so that no value of a file is dropped.
-- Text columns keep the text as written (trimmed of surrounding spaces only):
-- a SIRET or a postal code keeps its leading zeros.
alter table public.leads
  add column first_name text,
  add column last_name text,
  add column mobile text,
  add column city text,
  add column postal_code text,
  add column country text,
  -- SIRET (14 digits) as written: spaces and leading zeros kept.
  add column siret text,
  -- The tags cell as written; `tags` holds it split (see README, "Lead columns").
  add column tags_text text,
  -- Columns of the file that map to no lead column, and values the import could
  -- not read (an amount « environ 5k »), keyed by the file's header.
  add column extra_fields jsonb not null default '{}';

-- Why a row is a duplicate, and of what: `dedup_on` is the key that matched
-- (email, phone, external_id); `target_row` the earlier row of the file it
-- repeats (also for a duplicate of an existing lead, whose id is `target_id`).
alter table public.import_rows
  add column dedup_on text check (dedup_on in ('email', 'phone', 'external_id')),
  add column target_row integer;

-- Rows committed with a warning (a value kept as written, a value that could not be read).
alter table public.import_jobs add column warned_rows integer not null default 0;

-- Undo walks a job's history lead by lead, in ranges of lead ids, through this
-- index: every range is an index range scan. The index on `import_job_id` alone
-- is what a planner with stale statistics nested a loop over (379 s for 48,507
-- leads, issue 13); this one serves the same lookups, so it goes.
create index lead_history_job_lead_idx on public.lead_history (import_job_id, lead_id, id)
  where import_job_id is not null;
drop index public.lead_history_job_idx;

-- The rows an import's report lists (refused, imported with a warning, duplicates), found without
-- reading the valid ones: a million rows with a few hundred findings read only those.
create index import_rows_findings_idx on public.import_rows (job_id, row_number)
  where errors is not null or status = 'duplicate';
