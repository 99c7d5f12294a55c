-- What every batch call leaves behind, and the state migrations resume from.

-- One row per batch call: the seed's columns, plus the function's name and
-- what the call cost (CPU time and peak memory count against Supabase's
-- 2 s / 256 MB per call).
create table public.migration_logs (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  function_name text not null,
  migrated integer not null default 0,
  failed integer not null default 0,
  remaining integer,
  elapsed_s numeric(10, 3) not null default 0,
  errors text[] not null default '{}',
  status text not null check (status in ('success', 'error', 'auth_error')),
  cpu_ms numeric(10, 1),
  peak_memory_mb numeric(10, 1),
  trigger text,
  details jsonb
);
create index migration_logs_function_idx on public.migration_logs (function_name, created_at desc);

-- Cursors of the Odoo syncs (one row per source). A sync reads in passes:
-- each pass pages by id (`id > cursor_id`) through the rows written since
-- `pass_since` (all rows in the first, full pass), and remembers in
-- `pass_high` the newest write_date Odoo had when the pass began; the next
-- pass starts from there. Odoo renders write_date to the second, so rows of
-- that very second are read again and change nothing.
create table public.sync_state (
  source text primary key,
  company_id bigint references public.companies (id) on delete cascade,
  phase text not null default 'full' check (phase in ('full', 'incremental')),
  cursor_id bigint not null default 0,
  pass_since timestamp,
  pass_high timestamp,
  pass_started_at timestamptz,
  total_in_source integer,
  synced integer not null default 0,
  passes integer not null default 0,
  last_run_at timestamptz,
  caught_up_at timestamptz,
  updated_at timestamptz not null default now()
);

-- Calls in progress, so that chaining keeps at most N parallel workers.
create table passerelle.calls (
  id uuid primary key default gen_random_uuid(),
  function_name text not null,
  trigger text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
create index calls_active_idx on passerelle.calls (function_name) where finished_at is null;

-- Operator switches per function (pause), set from the SQL editor.
create table passerelle.controls (
  function_name text primary key,
  paused boolean not null default false,
  updated_at timestamptz not null default now()
);
