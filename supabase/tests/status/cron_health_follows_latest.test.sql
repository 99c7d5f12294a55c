-- Cron health follows the latest answers (issue #12): after a wrong key was
-- replaced, one successful call shows the job healthy at once, although the
-- 401 answers of the wrong key are still in pg_net's 10-minute window.
begin;
select plan(6);

select passerelle.store_secrets('https://abc.supabase.co', 'eyJ.legacy.jwt');
insert into passerelle.requests (request_id, function_name) values (701, 'archive-odoo-files'), (702, 'archive-odoo-files');

create temporary table t as select
  '{"jobid": 3, "schedule": "* * * * *", "active": true}'::jsonb as job,
  jsonb_build_array(
    jsonb_build_object('status', 'succeeded', 'start_time', '2026-12-01 11:58:00+00'),
    jsonb_build_object('status', 'succeeded', 'start_time', '2026-12-01 11:57:00+00')) as runs,
  -- What pg_net recorded for the cron job's own requests with the wrong key.
  jsonb_build_array(
    jsonb_build_object('id', 702, 'status_code', 401, 'timed_out', false, 'created', '2026-12-01 11:58:00.2+00',
      'content', '{"code":"auth_invalid","message":"Invalid credentials: the key or token was refused"}'),
    jsonb_build_object('id', 701, 'status_code', 401, 'timed_out', false, 'created', '2026-12-01 11:57:00.2+00',
      'content', '{"code":"auth_invalid","message":"Invalid credentials: the key or token was refused"}')) as refused;

select is((select passerelle.cron_health('archive-odoo-files', job, runs, refused, '2026-12-01 11:58:00.1+00',
            '{"status": "auth_error", "created_at": "2026-12-01 11:58:00.1+00", "last_success_at": null}') ->> 'message'
             from t),
  'HTTP 401: auth_invalid: Invalid credentials: the key or token was refused',
  'while the cron job''s own requests are refused, it is failing with the answer');
select is((select passerelle.cron_health('archive-odoo-files', job, runs, refused, '2026-12-01 11:58:00.1+00',
            '{"last_success_at": null}') ->> 'source' from t),
  'http', 'a 401 or 403 answer is the http source');
select is((select passerelle.cron_health('archive-odoo-files', job, runs, refused, '2026-12-01 11:59:00.5+00',
            '{"status": "success", "created_at": "2026-12-01 11:59:00.5+00", "last_success_at": "2026-12-01 11:59:00.5+00"}')
            ->> 'failing' from t),
  'false', 'the key replaced, one success after the refusals shows healthy');

-- The same through the whole document, as migration_logs and pg_net hold it.
insert into net._http_response (id, status_code, content, timed_out, created)
  values (701, 401, '{"code":"auth_invalid","message":"Invalid credentials: the key or token was refused"}', false, now() - interval '70 seconds'),
         (702, 401, '{"code":"auth_invalid","message":"Invalid credentials: the key or token was refused"}', false, now() - interval '10 seconds');
select is((select m -> 'cron' ->> 'failing' from jsonb_array_elements(passerelle.status() -> 'migrations') m
            where m ->> 'key' = 'files'),
  'true', 'the status says failing while the key is wrong');
insert into public.migration_logs (function_name, status, migrated, trigger) values ('archive-odoo-files', 'success', 5, 'cron');
select is((select m -> 'cron' ->> 'failing' from jsonb_array_elements(passerelle.status() -> 'migrations') m
            where m ->> 'key' = 'files'),
  'false', 'and healthy on the next success');
select is((select cron from passerelle.status_summary() where migration = 'files'), 'not scheduled',
  'the summary line too');

select * from finish();
rollback;
