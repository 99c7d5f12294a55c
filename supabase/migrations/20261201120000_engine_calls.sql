-- The engine's calls, as issues #12, #13 and #14 asked (README, "How it fits
-- together", "Watching a migration"):
--   * refused calls (no key, a wrong one, a user where the service role is
--     needed, a body that cannot be read) are counted, one migration_logs row
--     per function, reason and minute, not one row per request;
--   * a pause says why (an Odoo key refused pauses the migration until an
--     operator fixes it and resumes);
--   * cron health follows the latest answers, and only the cron job's own
--     requests can make it fail;
--   * store_secrets never raises, so that PostgreSQL never logs the statement
--     that carries the key (log_min_error_statement = error logs the text of a
--     statement that failed);
--   * a completed import has nothing remaining; invalid and duplicate rows are
--     figures of their own.

-- Refused calls: `minute` is set on those rows only, `calls` counts them.
alter table public.migration_logs
  add column code text,
  add column minute timestamptz,
  add column calls integer not null default 1;
create unique index migration_logs_refused_idx on public.migration_logs (function_name, code, minute)
  where minute is not null;

-- Counts one refused call of `fn` for `code` in the current minute.
create function passerelle.count_refusal(fn text, code text, message text)
returns void
language sql volatile set search_path = '' as $$
  insert into public.migration_logs (function_name, status, errors, trigger, code, minute, calls)
  values (fn, case when code in ('auth_missing', 'auth_invalid', 'forbidden') then 'auth_error' else 'error' end,
          array[code || ': ' || left(message, 500)], 'http', code, date_trunc('minute', now()), 1)
  on conflict (function_name, code, minute) where minute is not null
  do update set calls = migration_logs.calls + 1;
$$;

-- Why a function is paused (shown by the status document), null when an
-- operator paused it by hand without saying.
alter table passerelle.controls add column reason text;

drop function passerelle.pause(text);
-- Pauses a function: cron ticks and chained calls queue nothing, and calls
-- already running stop claiming. `resume` undoes it.
create function passerelle.pause(function_name text, reason text default null)
returns void
language sql volatile set search_path = '' as $$
  insert into passerelle.controls (function_name, paused, reason) values (function_name, true, reason)
  on conflict (function_name) do update set paused = true, reason = excluded.reason, updated_at = now();
$$;

create or replace function passerelle.resume(function_name text)
returns void
language sql volatile set search_path = '' as $$
  insert into passerelle.controls (function_name, paused) values (function_name, false)
  on conflict (function_name) do update set paused = false, reason = null, updated_at = now();
$$;

-- Stores or rotates the secrets the cron jobs read: `project_url` and
-- `service_role_key` (a legacy service_role JWT or a new `sb_secret_...` key).
-- Answers `stored`, or what is wrong, and never raises: a statement that
-- fails is written to the server's log with its text (log_min_error_statement
-- = error by default), and this one's text holds the key.
drop function passerelle.store_secrets(text, text);
create function passerelle.store_secrets(project_url text, service_role_key text)
returns text
language plpgsql volatile set search_path = '' as $$
declare
  existing uuid;
begin
  if project_url is null or project_url !~ '^https?://[^/\s]+\S*$' then
    return 'not stored: project_url must look like https://<project-ref>.supabase.co';
  end if;
  if coalesce(btrim(service_role_key), '') = '' then
    return 'not stored: service_role_key is empty';
  end if;
  if service_role_key ~ '\s' then
    return 'not stored: service_role_key contains spaces or line breaks (copy the key alone)';
  end if;
  begin
    select id into existing from vault.secrets where name = 'project_url';
    if existing is null then
      perform vault.create_secret(rtrim(project_url, '/'), 'project_url', 'Passerelle: project URL for cron calls');
    else
      perform vault.update_secret(existing, rtrim(project_url, '/'));
    end if;
    select id into existing from vault.secrets where name = 'service_role_key';
    if existing is null then
      perform vault.create_secret(service_role_key, 'service_role_key', 'Passerelle: key for cron calls');
    else
      perform vault.update_secret(existing, service_role_key);
    end if;
  exception when others then
    -- Vault's own errors name no secret value; the statement stays out of the log.
    return 'not stored: Vault refused it: ' || sqlerrm;
  end;
  return 'stored';
end $$;

-- Health of one function's cron job, from the rows given (so that it can be
-- computed, and tested, without pg_cron):
--   job        its cron.job row {jobid, schedule, active}, null when not scheduled;
--   runs       its recent cron.job_run_details rows {status, return_message, start_time, end_time};
--   responses  recent failed pg_net answers {id, status_code, content, timed_out, error_msg, created};
--   reached_at the last time a call of the function reached the database and
--              was served (a passerelle.calls row or a migration_logs row of work);
--   last_log   its latest recent migration_logs row of work {status, created_at, message,
--              last_success_at}, where `last_success_at` is its latest successful call;
--   paused     passerelle.pause() is in force (invoke then queues nothing).
-- It is failing, first reason first, when:
--   1. `cron`: the last finished run failed (e.g. invoke raised `Vault secret
--      "..." is missing`), with the run's error;
--   2. `http` / `net`: pg_net recorded a failed answer (401/403: `http`; any
--      other: `net`) to a request `passerelle.invoke` queued for the function
--      (it records each request id in passerelle.requests, since pg_net keeps
--      no URL with its answers), or one that names the function in its body,
--      and no call of the function succeeded since: one success after a wrong
--      key was replaced shows healthy. Requests nobody queued (junk, a user
--      with a wrong token) are not the cron job's and never make it fail;
--   3. `net`: the cron job ran, nothing of the function reached the database
--      since, and pg_net recorded a failed answer (404, timeout, refused
--      connection) after that run: "queued by the run, never arrived, a
--      failure came back". pg_net commits a batch's answers together, once its
--      slowest call ends, so a concurrent call that did arrive has registered
--      itself by then.
create or replace function passerelle.cron_health(
  function_name text,
  job jsonb,
  runs jsonb,
  responses jsonb,
  reached_at timestamptz,
  last_log jsonb,
  paused boolean default false
) returns jsonb
-- stable: it reads passerelle.requests, which names the function each pg_net request called.
language sql stable set search_path = '' as $$
  with r as (
    select * from jsonb_to_recordset(coalesce(runs, '[]')) as r(
      status text, return_message text, start_time timestamptz, end_time timestamptz)
  ),
  last_run as (select * from r order by start_time desc limit 1),
  last_done as (select * from r where status in ('succeeded', 'failed') order by start_time desc limit 1),
  last_ok as (select * from r where status = 'succeeded' order by start_time desc limit 1),
  f as (
    select * from jsonb_to_recordset(coalesce(responses, '[]')) as f(
      id bigint, status_code integer, content text, timed_out boolean, error_msg text, created timestamptz)
  ),
  named as (
    select f.* from f
     where (exists (select 1 from passerelle.requests q
                     where q.request_id = f.id and q.function_name = cron_health.function_name)
            or position('/functions/v1/' || function_name in coalesce(f.content, '')) > 0
            or position('"' || function_name || '"' in coalesce(f.content, '')) > 0)
       and f.created > coalesce((last_log ->> 'last_success_at')::timestamptz, '-infinity')
     order by f.created desc limit 1
  ),
  unreached as (
    select f.* from f, last_ok
     where job is not null and not coalesce(paused, false)
       and f.created >= last_ok.start_time
       and (reached_at is null or reached_at < last_ok.start_time)
     order by f.created desc limit 1
  ),
  reasons as (
    select 1 as rank, 'cron' as source, passerelle.cron_message(d.return_message) as message, d.start_time as at
      from last_done d where d.status = 'failed'
    union all
    select 2, case when n.status_code in (401, 403) then 'http' else 'net' end,
           passerelle.net_message(n.status_code, n.content, n.timed_out, n.error_msg), n.created
      from named n
    union all
    select 3, 'net', passerelle.net_message(u.status_code, u.content, u.timed_out, u.error_msg), u.created
      from unreached u
  ),
  reason as (select * from reasons order by rank limit 1)
  select jsonb_build_object(
    'scheduled', job is not null,
    'active', (job ->> 'active')::boolean,
    'schedule', job ->> 'schedule',
    'last_run_at', (select start_time from last_run),
    'last_status', (select status from last_run),
    'failed_runs', (select count(*) from r where status = 'failed'),
    'failing', exists (select 1 from reason),
    'source', (select source from reason),
    'message', (select message from reason),
    'failing_since', (select at from reason)
  )
$$;

-- What the calls of one function did: last success and failure, liveness,
-- rate over the recent successful batches, and recent errors.
--   rate     items per second of wall time over the successful batches of
--            the last `recent` (first batch start to last batch end), so
--            parallel workers and the gaps between cron ticks both count;
--   active   a call is running (registered in passerelle.calls, unfinished,
--            younger than the 400 s a call may live on paid plans) or one
--            that moved items ended in the last 30 s (a finished migration
--            whose cron still calls it is idle);
--   alive    the last successful batch is younger than `stale`;
--   refused  calls refused in the last `recent` (counted rows, see
--            count_refusal); they are no batch: neither a failure of the
--            migration nor a sign that its calls arrive;
--   errors   the messages of the last 24 h, deduplicated by message with
--            digits masked (item ids differ, the failure is the same), newest
--            first, each with its count and the latest text.
create or replace function passerelle.function_activity(
  fn text,
  clock timestamptz,
  stale interval,
  recent interval default interval '10 minutes'
) returns jsonb
language sql stable set search_path = '' as $$
  with logs as (
    select * from public.migration_logs l
     where l.function_name = fn and l.created_at <= clock
  ),
  work as (select * from logs where minute is null),
  ok as (
    select max(created_at) as last_at from work where status = 'success'
  ),
  failure as (
    select created_at, coalesce(errors[1], status) as message from work
     where status <> 'success' or failed > 0
     order by created_at desc limit 1
  ),
  latest as (
    select status, created_at, errors[1] as message from work
     where created_at > clock - recent
     order by created_at desc limit 1
  ),
  window_batches as (
    select sum(migrated) as migrated, count(*) as batches,
           min(created_at - elapsed_s * interval '1 second') as first_start, max(created_at) as last_end
      from work where status = 'success' and created_at > clock - recent
  ),
  calls as (
    select count(*) filter (where c.finished_at is null and c.started_at > clock - interval '400 seconds')
             as running,
           max(c.started_at) as last_started
      from passerelle.calls c
     where c.function_name = fn and c.started_at <= clock
  ),
  errors as (
    select jsonb_agg(jsonb_build_object('message', e.message, 'count', e.n, 'last_seen', e.last_seen)
                     order by e.last_seen desc) as list
      from (
        select (array_agg(x.message order by x.created_at desc))[1] as message, sum(x.calls) as n,
               max(x.created_at) as last_seen
          from (select l.created_at, l.calls, m.message from logs l, unnest(l.errors) as m(message)
                 where l.created_at > clock - interval '24 hours') x
         group by regexp_replace(x.message, '[0-9]+', '#', 'g')
         order by max(x.created_at) desc
         limit 10
      ) e
  ),
  control as (select p.paused, p.reason from passerelle.controls p where p.function_name = fn)
  select jsonb_build_object(
    'last_success_at', ok.last_at,
    'last_failure_at', (select created_at from failure),
    'last_failure_message', (select message from failure),
    'last_batch_at', (select max(created_at) from work),
    'batches', w.batches,
    'rate', case when w.batches = 0 then null
                 else round(w.migrated / greatest(extract(epoch from w.last_end - w.first_start), 1), 2) end,
    'running_calls', calls.running,
    'active', calls.running > 0
              or exists (select 1 from work
                          where created_at > clock - interval '30 seconds' and status = 'success' and migrated > 0),
    'alive', coalesce(ok.last_at > clock - stale, false),
    'paused', coalesce((select paused from control), false),
    'paused_reason', (select reason from control where paused),
    'refused', (select coalesce(sum(calls), 0) from logs where minute is not null and created_at > clock - recent),
    'reached_at', greatest(calls.last_started, (select max(created_at) from work)),
    'last_log', coalesce((select jsonb_build_object('status', status, 'created_at', created_at, 'message', message)
                            from latest), '{}') || jsonb_build_object('last_success_at', ok.last_at),
    'recent_errors', coalesce(errors.list, '[]')
  )
  from ok, window_batches w, calls, errors
$$;

-- The status document. Shape (functions-shared/status/status_document.ts):
-- { generated_at, stale_s, window_s, cron_available,
--   migrations: [{ key, function_name, label, unit, total, done, failed, remaining, in_progress, percent,
--                  complete, rate, eta_s, last_success_at, last_failure_at, last_failure_message,
--                  last_batch_at, running_calls, active, alive, paused, paused_reason, refused, phase,
--                  cron: { scheduled, active, schedule, last_run_at, last_status, failed_runs,
--                          failing, source, message, failing_since },
--                  recent_errors: [{ message, count, last_seen }] }],
--   imports: [{ key, id, kind, file_name, status, step, total, done, failed, invalid, duplicates, skipped,
--               remaining, percent, rate, eta_s,
--               last_success_at, last_failure_at, last_failure_message, active, alive, recent_errors }],
--   net: { available, responses, failures, last_failure_at, last_failure } }
--
-- security definer: the service role may read it without being granted
-- passerelle's tables, pg_cron's or pg_net's; only `postgres` and the service
-- role may execute it (users go through the migration-status function, which
-- checks has_role(uid, 'admin')).
create or replace function passerelle.status(stale interval default interval '2 minutes', at timestamptz default null)
returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  clock timestamptz := coalesce(at, now());
  recent interval := interval '10 minutes';
  cron_ok boolean;
  net_ok boolean;
  jobs jsonb := '{}'::jsonb;
  failures jsonb := '[]'::jsonb;
  net_doc jsonb;
  migrations jsonb;
  imports jsonb;
begin
  -- pg_cron exists only in the database it serves; elsewhere (tests' copies)
  -- the document says so and cron health is computed from no rows.
  cron_ok := exists (select 1 from pg_namespace where nspname = 'cron')
             and has_schema_privilege('cron', 'USAGE')
             and to_regclass('cron.job') is not null and to_regclass('cron.job_run_details') is not null;
  net_ok := exists (select 1 from pg_namespace where nspname = 'net')
            and has_schema_privilege('net', 'USAGE') and to_regclass('net._http_response') is not null;

  -- Relations named through format(), so that plpgsql_check (`supabase db
  -- lint`) does not look for pg_cron where it is not installed.
  if cron_ok then
    execute format($q$
      select coalesce(jsonb_object_agg(j.jobname, jsonb_build_object(
               'jobid', j.jobid, 'schedule', j.schedule, 'active', j.active,
               'runs', coalesce((
                 select jsonb_agg(jsonb_build_object('status', d.status, 'return_message', d.return_message,
                                                     'start_time', d.start_time, 'end_time', d.end_time))
                   from (select * from %s d
                          where d.jobid = j.jobid and d.start_time > $1 - $2 and d.start_time <= $1
                          order by d.start_time desc limit 100) d), '[]'))), '{}')
        from %s j
       where j.jobname like 'passerelle:%%'
    $q$, 'cron.job_run_details', 'cron.job') into jobs using clock, recent;
  end if;

  if net_ok then
    execute $q$
      select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'status_code', r.status_code,
                                                   'content', left(r.content, 2000), 'timed_out', r.timed_out,
                                                   'error_msg', r.error_msg, 'created', r.created)
                                order by r.created desc), '[]')
        from (select * from net._http_response r
               where r.created > $1 - $2 and r.created <= $1
                 and (r.status_code >= 400 or r.timed_out or r.error_msg is not null)
               order by r.created desc limit 100) r
    $q$ into failures using clock, recent;
    execute $q$
      select jsonb_build_object('available', true, 'responses', count(*),
                                'failures', count(*) filter (where r.status_code >= 400 or r.timed_out
                                                                   or r.error_msg is not null))
        from net._http_response r where r.created > $1 - $2 and r.created <= $1
    $q$ into net_doc using clock, recent;
    net_doc := net_doc || jsonb_build_object(
      'last_failure_at', failures -> 0 -> 'created',
      'last_failure', case when jsonb_array_length(failures) > 0 then
                        passerelle.net_message((failures -> 0 ->> 'status_code')::integer,
                                               failures -> 0 ->> 'content',
                                               (failures -> 0 ->> 'timed_out')::boolean,
                                               failures -> 0 ->> 'error_msg') end);
  else
    net_doc := '{"available": false, "responses": 0, "failures": 0, "last_failure_at": null, "last_failure": null}';
  end if;

  with progress as (
    select 'leads' as key, 'sync-odoo-leads' as fn, 'Odoo leads' as label, 'leads' as unit,
           s.total_in_source::bigint as total, coalesce(s.synced, 0)::bigint as done, 0::bigint as failed,
           case when s.total_in_source is not null
                then greatest(s.total_in_source - coalesce(s.synced, 0), 0) end::bigint as remaining,
           0::bigint as in_progress,
           s.phase, 1 as ord
      from (select 1) one left join public.sync_state s on s.source = 'odoo_leads'
    union all
    select 'files', 'archive-odoo-files', 'Odoo files', 'files',
           count(*), count(*) filter (where f.status = 'done'), count(*) filter (where f.status = 'failed'),
           count(*) filter (where f.status in ('pending', 'claimed')), count(*) filter (where f.status = 'claimed'),
           null, 2
      from public.lead_files f
  ),
  docs as (
    select p.ord, p.key, p.fn, p.label, p.unit, p.total, p.done, p.failed, p.remaining, p.in_progress, p.phase,
           passerelle.function_activity(p.fn, clock, stale, recent) as a
      from progress p
  ),
  built as (
    select d.ord, jsonb_build_object(
      'key', d.key, 'function_name', d.fn, 'label', d.label, 'unit', d.unit,
      'total', d.total, 'done', d.done, 'failed', d.failed, 'remaining', d.remaining,
      'in_progress', d.in_progress, 'phase', d.phase,
      'percent', case when d.total > 0 then round(100.0 * d.done / d.total, 1) end,
      'complete', coalesce(d.total > 0 and d.remaining = 0, false),
      'rate', d.a -> 'rate',
      'eta_s', case when d.remaining = 0 then 0
                    when (d.a ->> 'rate')::numeric > 0 then ceil(d.remaining / (d.a ->> 'rate')::numeric)::bigint
               end,
      'last_success_at', d.a -> 'last_success_at',
      'last_failure_at', d.a -> 'last_failure_at',
      'last_failure_message', d.a -> 'last_failure_message',
      'last_batch_at', d.a -> 'last_batch_at',
      'running_calls', d.a -> 'running_calls',
      'active', d.a -> 'active',
      'alive', d.a -> 'alive',
      'paused', d.a -> 'paused',
      'paused_reason', d.a -> 'paused_reason',
      'refused', d.a -> 'refused',
      'cron', passerelle.cron_health(d.fn, (jobs -> ('passerelle:' || d.fn)) - 'runs',
                                     jobs -> ('passerelle:' || d.fn) -> 'runs', failures,
                                     (d.a ->> 'reached_at')::timestamptz, d.a -> 'last_log',
                                     (d.a ->> 'paused')::boolean),
      'recent_errors', d.a -> 'recent_errors'
    ) as doc
    from docs d
  )
  select jsonb_agg(doc order by ord) into migrations from built;

  -- Import jobs that are open, or closed in the last day (newest first, 20 at most).
  -- Their figures are the job's own (the import worker writes progress,
  -- rows_per_s and eta_s); done counts parsed rows until the commit starts,
  -- then committed rows.
  select coalesce(jsonb_agg(doc order by created_at desc), '[]') into imports
    from (
      select j.created_at, jsonb_build_object(
        'key', 'import:' || j.id, 'id', j.id, 'kind', j.kind, 'file_name', j.file_name,
        'label', initcap(j.kind) || ' import: ' || j.file_name, 'unit', 'rows',
        'status', j.status, 'step', j.step,
        'total', j.total_rows, 'done', x.done, 'failed', j.invalid_rows,
        'invalid', j.invalid_rows, 'duplicates', j.duplicate_rows, 'skipped', j.skipped_rows,
        -- What is left to do: nothing once the job is completed or cancelled;
        -- while parsing, the rows not yet read; then the rows not yet committed,
        -- invalid and skipped ones apart (they have their own figures).
        'remaining', case when j.status in ('completed', 'cancelled') then 0
                          when j.total_rows is null then null
                          when j.status in ('queued', 'parsing') then greatest(j.total_rows - j.processed_rows, 0)
                          else greatest(j.total_rows - j.invalid_rows - j.committed_rows - j.skipped_rows, 0) end,
        'percent', j.progress,
        'complete', j.status = 'completed',
        'rate', j.rows_per_s, 'eta_s', case when j.status = 'completed' then 0 else round(j.eta_s)::bigint end,
        'last_success_at', case when j.status <> 'failed' then j.updated_at end,
        'last_failure_at', case when j.status = 'failed' then coalesce(j.finished_at, j.updated_at) end,
        'last_failure_message', j.error_message,
        'active', j.status in ('parsing', 'committing') and j.leased_until > clock,
        'alive', case when x.open then j.updated_at > clock - stale end,
        'recent_errors', case when j.error_message is null then '[]'::jsonb
                              else jsonb_build_array(jsonb_build_object(
                                'message', j.error_message, 'count', 1,
                                'last_seen', coalesce(j.finished_at, j.updated_at))) end
      ) as doc
        from public.import_jobs j,
             lateral (select case when j.status in ('committing', 'completed') then j.committed_rows
                                  else j.processed_rows end::bigint as done,
                             j.status in ('queued', 'parsing', 'ready', 'committing') as open) x
       where j.created_at <= clock
         and (x.open or coalesce(j.finished_at, j.updated_at) > clock - interval '1 day')
       order by j.created_at desc
       limit 20
    ) s;

  return jsonb_build_object(
    'generated_at', clock,
    'stale_s', extract(epoch from stale)::integer,
    'window_s', extract(epoch from recent)::integer,
    'cron_available', cron_ok,
    'migrations', coalesce(migrations, '[]'),
    'imports', imports,
    'net', net_doc
  );
end $$;

-- Status in one query, for the SQL editor: one row per migration and import.
--   select * from passerelle.status_summary();
create or replace function passerelle.status_summary(stale interval default interval '2 minutes', at timestamptz default null)
returns table (
  migration text,
  progress text,
  percent numeric,
  failed bigint,
  remaining bigint,
  rate numeric,
  eta interval,
  alive boolean,
  active boolean,
  last_success_at timestamptz,
  cron text,
  last_error text
)
language sql stable set search_path = '' as $$
  with doc as (select passerelle.status(stale, at) as d),
  items as (
    select m, o from doc, jsonb_array_elements(doc.d -> 'migrations') with ordinality as e(m, o)
    union all
    select m, 100 + o from doc, jsonb_array_elements(doc.d -> 'imports') with ordinality as e(m, o)
  )
  select m ->> 'key',
         to_char((m ->> 'done')::bigint, 'FM999,999,999,990') || ' / '
           || coalesce(to_char((m ->> 'total')::bigint, 'FM999,999,999,990'), '?') || ' ' || (m ->> 'unit'),
         (m ->> 'percent')::numeric,
         (m ->> 'failed')::bigint,
         (m ->> 'remaining')::bigint,
         (m ->> 'rate')::numeric,
         make_interval(secs => (m ->> 'eta_s')::double precision),
         (m ->> 'alive')::boolean,
         (m ->> 'active')::boolean,
         (m ->> 'last_success_at')::timestamptz,
         case when m -> 'cron' is null then null
              when (m ->> 'paused')::boolean then 'paused' || coalesce(': ' || (m ->> 'paused_reason'), '')
              when (m -> 'cron' ->> 'failing')::boolean then 'failing: ' || (m -> 'cron' ->> 'message')
              when not (m -> 'cron' ->> 'scheduled')::boolean then 'not scheduled'
              when not (m -> 'cron' ->> 'active')::boolean then 'inactive'
              else 'ok (' || (m -> 'cron' ->> 'schedule') || ')' end,
         m -> 'recent_errors' -> 0 ->> 'message'
    from items
   order by o
$$;

revoke all on function passerelle.count_refusal(text, text, text) from public;
revoke all on function passerelle.pause(text, text) from public;
revoke all on function passerelle.store_secrets(text, text) from public;
grant execute on function passerelle.count_refusal(text, text, text) to service_role;
grant execute on function passerelle.pause(text, text) to service_role;
grant execute on function passerelle.store_secrets(text, text) to service_role;
