-- CSV/XLSX imports of leads and activities. One import_jobs row per file,
-- created at once by the HTTP call that starts it and advanced by later
-- budgeted calls from its checkpoint. Statuses (README, "import_jobs states"):
-- queued -> parsing -> ready -> committing -> completed; any -> failed | cancelled.
create table public.import_jobs (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null references auth.users (id) on delete cascade,
  company_id bigint not null references public.companies (id) on delete cascade,
  kind text not null check (kind in ('leads', 'activities')),
  file_path text,
  file_name text not null,
  file_sha256 text not null,
  file_size bigint not null,
  file_format text check (file_format in ('csv', 'xlsx')),
  options jsonb not null default '{}',
  duplicate_strategy text not null default 'skip' check (duplicate_strategy in ('skip', 'update', 'create')),
  assignment_mode text not null default 'none'
    check (assignment_mode in ('none', 'single', 'round_robin', 'by_column')),
  status text not null default 'queued'
    check (status in ('queued', 'parsing', 'ready', 'committing', 'completed', 'failed', 'cancelled')),
  step text,
  progress numeric(5, 2) not null default 0 check (progress between 0 and 100),
  total_rows integer,
  processed_rows integer not null default 0,
  valid_rows integer not null default 0,
  invalid_rows integer not null default 0,
  duplicate_rows integer not null default 0,
  committed_rows integer not null default 0,
  inserted_rows integer not null default 0,
  updated_rows integer not null default 0,
  skipped_rows integer not null default 0,
  rows_per_s numeric,
  eta_s numeric,
  checkpoint jsonb not null default '{"offset": 0, "row": 0}',
  leased_until timestamptz,
  attempts integer not null default 0,
  cancel_requested boolean not null default false,
  auto_commit boolean not null default true,
  error_message text,
  error_details jsonb,
  error_report_path text,
  payload jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  undone_at timestamptz
);
create index import_jobs_owner_idx on public.import_jobs (owner, created_at desc);
create index import_jobs_company_sha_idx on public.import_jobs (company_id, file_sha256);
create index import_jobs_active_idx on public.import_jobs (id)
  where status in ('queued', 'parsing', 'ready', 'committing');

-- One row per source row, with what was read, what is wrong with it and what
-- became of it.
create table public.import_rows (
  job_id uuid not null references public.import_jobs (id) on delete cascade,
  row_number integer not null,
  data jsonb not null,
  errors jsonb,
  status text not null default 'valid'
    check (status in ('valid', 'invalid', 'duplicate', 'committed', 'skipped')),
  dedup_key text,
  target_id bigint,
  primary key (job_id, row_number)
);
create index import_rows_job_status_idx on public.import_rows (job_id, status);

-- The import's clients watch their job live.
alter publication supabase_realtime add table public.import_jobs;
