-- Firing the functions from the database: the project URL and the
-- service-role key live in Vault (hosted Supabase refuses
-- `alter database ... set app.settings.*`), pg_cron fires every minute, and
-- pg_net sends the request. All plpgsql, so that databases without pg_cron
-- (tests' copies) still accept the migration.

-- Stores or rotates the secrets the cron jobs read: `project_url` and
-- `service_role_key` (a legacy service_role JWT or a new `sb_secret_...` key).
create function passerelle.store_secrets(project_url text, service_role_key text)
returns void
language plpgsql volatile set search_path = '' as $$
declare
  existing uuid;
begin
  if project_url !~ '^https?://[^/]+' then
    raise exception 'project_url must look like https://<project-ref>.supabase.co (got %)', project_url;
  end if;
  if coalesce(service_role_key, '') = '' then
    raise exception 'service_role_key is empty';
  end if;
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
end $$;

-- Which function each pg_net request called: pg_net keeps no URL with its
-- responses, so this is how a 401 or a timeout in net._http_response is
-- traced back to the function (and its cron job) it belongs to.
create table passerelle.requests (
  request_id bigint primary key,
  function_name text not null,
  queued_at timestamptz not null default now()
);
create index requests_queued_at_idx on passerelle.requests (queued_at);

create function passerelle.read_secret(secret_name text)
returns text
language sql stable set search_path = '' as $$
  select decrypted_secret from vault.decrypted_secrets where name = secret_name limit 1
$$;

-- Queues one call of a function through pg_net and returns the request id
-- (null when the function is paused). Unlike the seed's inline expression, a
-- missing secret raises, so the cron run shows `failed` with the reason
-- instead of silently sending a request without its Authorization header.
create function passerelle.invoke(
  function_name text,
  body jsonb default '{}'::jsonb,
  secret_name text default 'service_role_key',
  timeout_ms integer default 120000
) returns bigint
language plpgsql volatile set search_path = '' as $$
declare
  base text := passerelle.read_secret('project_url');
  key text := passerelle.read_secret(secret_name);
  headers jsonb := '{"Content-Type": "application/json"}'::jsonb;
  request_id bigint;
begin
  if exists (select 1 from passerelle.controls c where c.function_name = invoke.function_name and c.paused) then
    return null;
  end if;
  if base is null then
    raise exception 'Vault secret "project_url" is missing: run select passerelle.store_secrets(''https://<ref>.supabase.co'', ''<service role key>'')';
  end if;
  if key is null then
    raise exception 'Vault secret "%" is missing: run select passerelle.store_secrets(...)', secret_name;
  end if;
  -- New-style secret keys are not JWTs: they travel in `apikey`; legacy
  -- service_role JWTs as a bearer token (edge-functions.md).
  if key like 'sb_secret_%' then
    headers := headers || jsonb_build_object('apikey', key);
  else
    headers := headers || jsonb_build_object('Authorization', 'Bearer ' || key);
  end if;
  -- pg_net gives up after timeout_milliseconds (5 s by default) and records a
  -- timeout though the function goes on; a call's budget is 50 s by default
  -- and Supabase answers 504 past 150 s, so 120 s keeps net._http_response truthful.
  request_id := net.http_post(
    url := base || '/functions/v1/' || function_name,
    body := body,
    headers := headers,
    timeout_milliseconds := timeout_ms
  );
  insert into passerelle.requests (request_id, function_name) values (request_id, invoke.function_name);
  return request_id;
end $$;

-- Schedules (or reschedules) a function's cron job, `passerelle:<name>`.
create function passerelle.schedule(
  function_name text,
  schedule text default '* * * * *',
  body jsonb default '{}'::jsonb,
  secret_name text default 'service_role_key'
) returns bigint
language plpgsql volatile set search_path = '' as $$
begin
  if function_name !~ '^[a-z0-9][a-z0-9_-]*$' then
    raise exception 'not a function name: %', function_name;
  end if;
  -- pg_cron 1.4 silently accepts six-field schedules and runs them once a minute.
  if schedule !~ '^@' and schedule !~ '^\d+ seconds$' and array_length(regexp_split_to_array(trim(schedule), '\s+'), 1) <> 5 then
    raise exception 'schedule must have five fields (minute hour day month weekday), got "%"', schedule;
  end if;
  insert into passerelle.controls (function_name, paused) values (function_name, false)
  on conflict on constraint controls_pkey do update set paused = false, updated_at = now();
  return cron.schedule(
    'passerelle:' || function_name,
    schedule,
    format('select passerelle.invoke(%L, %L::jsonb, %L)', function_name,
           body || '{"trigger": "cron"}'::jsonb, secret_name)
  );
end $$;

-- Removes a function's cron job; true when there was one.
create function passerelle.unschedule(function_name text)
returns boolean
language plpgsql volatile set search_path = '' as $$
begin
  if exists (select 1 from cron.job where jobname = 'passerelle:' || function_name) then
    perform cron.unschedule(('passerelle:' || function_name)::name);
    return true;
  end if;
  return false;
end $$;

-- Pauses a function: cron ticks and chained calls queue nothing, and calls
-- already running stop claiming. `resume` undoes it.
create function passerelle.pause(function_name text)
returns void
language sql volatile set search_path = '' as $$
  insert into passerelle.controls (function_name, paused) values (function_name, true)
  on conflict (function_name) do update set paused = true, updated_at = now();
$$;

create function passerelle.resume(function_name text)
returns void
language sql volatile set search_path = '' as $$
  insert into passerelle.controls (function_name, paused) values (function_name, false)
  on conflict (function_name) do update set paused = false, updated_at = now();
$$;

-- Chaining. A call registers itself when it starts and finishes in the same
-- transaction as its migration_logs row. Chained calls are queued with
-- net.http_post inside that transaction, so a continuation is exactly as
-- durable as the batch it follows (a `fetch` from EdgeRuntime.waitUntil would
-- be a little quicker but is lost when the worker dies first); the cron job
-- remains the safety net that restarts a broken chain.
create function passerelle.begin_call(function_name text, trigger text)
returns uuid
language sql volatile set search_path = '' as $$
  insert into passerelle.calls (function_name, trigger) values (function_name, trigger) returning id
$$;

-- Finishes a call and, where work remains, queues enough calls to keep
-- `workers` running: the finishing call hands its slot to a successor, and a
-- call started by cron or by hand also fills slots nobody holds. Calls that
-- vanished without finishing (killed) stop counting after `stale`.
create function passerelle.finish_call(
  call_id uuid, remaining boolean, workers integer, fan_out boolean,
  stale interval default interval '3 minutes'
) returns integer
language plpgsql volatile set search_path = '' as $$
declare
  fn text;
  active integer;
  wanted integer;
begin
  update passerelle.calls set finished_at = now() where id = call_id and finished_at is null
  returning function_name into fn;
  if fn is null or not remaining or workers < 1 then
    return 0;
  end if;
  select count(*) into active from passerelle.calls c
   where c.function_name = fn and c.finished_at is null and c.started_at > now() - stale;
  wanted := case when fan_out then workers - active else least(1, workers - active) end;
  for i in 1 .. greatest(wanted, 0) loop
    begin
      perform passerelle.invoke(fn, '{"trigger": "chain"}'::jsonb);
    exception when others then
      -- A chain that cannot be queued (secret missing) must not lose the
      -- batch's log; cron picks the work up, and its failure shows there.
      raise warning 'cannot chain %: %', fn, sqlerrm;
      return 0;
    end;
  end loop;
  return greatest(wanted, 0);
end $$;

-- SQL editor: deletes log rows and old calls older than `keep`.
create function passerelle.purge_logs(keep interval default interval '30 days')
returns integer
language plpgsql volatile set search_path = '' as $$
declare
  n integer;
begin
  delete from public.migration_logs where created_at < now() - keep;
  get diagnostics n = row_count;
  delete from passerelle.calls where started_at < now() - keep;
  delete from passerelle.requests where queued_at < now() - keep;
  return n;
end $$;

revoke all on all functions in schema passerelle from public;
grant execute on all functions in schema passerelle to service_role;
