-- passerelle.cron_health(): a function's cron job health from the rows of
-- cron.job, cron.job_run_details and net._http_response, given as jsonb so
-- that it is tested without pg_cron.
begin;
select plan(11);

create temporary table t_rows as select
  '{"jobid": 3, "schedule": "* * * * *", "active": true}'::jsonb as job,
  jsonb_build_array(
    jsonb_build_object('status', 'failed', 'start_time', '2026-11-24 11:59:00+00', 'end_time', '2026-11-24 11:59:00.01+00',
      'return_message', E'ERROR: Vault secret "service_role_key" is missing: run select passerelle.store_secrets(...)\nCONTEXT: PL/pgSQL function passerelle.invoke(text,jsonb,text,integer) line 14 at RAISE'),
    jsonb_build_object('status', 'failed', 'start_time', '2026-11-24 11:58:00+00', 'return_message', 'ERROR:  x')
  ) as failing_runs,
  jsonb_build_array(
    jsonb_build_object('status', 'succeeded', 'start_time', '2026-11-24 11:59:00+00', 'return_message', '1 row')
  ) as ok_runs,
  jsonb_build_array(
    jsonb_build_object('id', 9, 'status_code', 404, 'content', '{"code":"NOT_FOUND","message":"Requested function was not found"}',
                       'timed_out', false, 'created', '2026-11-24 11:59:01+00')
  ) as not_found;

select is((select passerelle.cron_health('archive-odoo-files', job, failing_runs, '[]', null, null) ->> 'message' from t_rows),
  'Vault secret "service_role_key" is missing: run select passerelle.store_secrets(...)',
  'a run that fails (missing key) is failing, with the first line of its error');
select is((select passerelle.cron_health('archive-odoo-files', job, failing_runs, '[]', null, null)
                  - 'message' - 'failing_since' - 'last_run_at' from t_rows),
  '{"scheduled": true, "active": true, "schedule": "* * * * *", "last_status": "failed", "failed_runs": 2,
    "failing": true, "source": "cron"}'::jsonb,
  'with its job, its last status and how many runs failed');
select is((select passerelle.cron_health('archive-odoo-files', job, ok_runs, not_found, null, null) ->> 'message' from t_rows),
  'HTTP 404: NOT_FOUND: Requested function was not found',
  'a run that succeeded but whose call never arrived while pg_net recorded a failure is failing');
select is((select passerelle.cron_health('archive-odoo-files', job, ok_runs, not_found,
                                         '2026-11-24 11:59:00.5+00', null) ->> 'failing' from t_rows),
  'false', 'not when a call of the function arrived after the run: the failure was another''s');
select is((select passerelle.cron_health('archive-odoo-files', job, ok_runs, not_found, null, null, true) ->> 'failing'
             from t_rows),
  'false', 'nor when the function is paused (invoke queued nothing)');
select is((select passerelle.cron_health('archive-odoo-files', null, ok_runs, not_found, null, null) ->> 'failing'
             from t_rows),
  'false', 'nor when it is not scheduled');
select is(passerelle.cron_health('archive-odoo-files', null, '[]',
            '[{"status_code": 500, "content": "{\"function\": \"archive-odoo-files\", \"message\": \"boom\"}", "created": "2026-11-24 11:59:01+00"}]',
            '2026-11-24 11:59:30+00', null) ->> 'source',
  'net', 'an answer whose body names the function is that function''s');
select is(passerelle.cron_health('sync-odoo-leads', null, '[]', '[]', null,
            '{"status": "auth_error", "created_at": "2026-11-24 11:59:00+00", "message": "forbidden: This function is for the service role only"}')
            ->> 'failing',
  'false', 'a refused call that no cron request sent (junk, a user) is not the cron job''s failure');
select is(passerelle.cron_health('sync-odoo-leads', null, '[]', '[]', null,
            '{"status": "success", "created_at": "2026-11-24 11:59:00+00", "message": null}') ->> 'failing',
  'false', 'a healthy function is not failing');

select is(passerelle.net_message(null, null, true, 'Timeout of 120000 ms reached. Total time: 120001.2 ms'),
  'Timeout of 120000 ms reached. Total time: 120001.2 ms', 'a timeout says so');
select is(passerelle.net_message(502, '<html>Bad gateway</html>', false, null), 'HTTP 502: <html>Bad gateway</html>',
  'a body that is not JSON is shown as it starts');

select * from finish();
rollback;
