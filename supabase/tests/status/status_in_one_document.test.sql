-- passerelle.status(): one jsonb document with the figures of a migration in
-- progress, at a fixed instant; passerelle.status_summary(): the same as rows.
begin;
select plan(16);

create temporary table t_clock as select timestamptz '2026-11-24 12:00:00+00' as t;

insert into public.companies (name) values ('Status pgTAP');
insert into public.leads (company_id, title, source_email_id)
select id, 'Lead', 'odoo_crm_status_1' from public.companies where name = 'Status pgTAP';
-- 18,323 files: 751 done, 12 failed, 20 claimed, the rest pending.
insert into public.lead_files (lead_id, odoo_id, name, status, storage_path, leased_until)
select (select id from public.leads where source_email_id = 'odoo_crm_status_1'), g, 'f' || g,
       case when g <= 751 then 'done' when g <= 763 then 'failed' when g <= 783 then 'claimed' else 'pending' end,
       case when g <= 751 then 'odoo-archive/' || g end,
       case when g > 763 and g <= 783 then (select t from t_clock) + interval '5 minutes' end
  from generate_series(1, 18323) g;
insert into public.sync_state (source, company_id, total_in_source, synced)
select 'odoo_leads', id, 5000, 4200 from public.companies where name = 'Status pgTAP';

-- Files: 5 batches of 145 files, 50 s each, ending 250 s .. 10 s before the
-- clock: 725 files in 290 s = 2.5 files/s; 17,560 left = 7,024 s.
insert into public.migration_logs (function_name, status, migrated, failed, elapsed_s, errors, created_at)
select 'archive-odoo-files', 'success', 145, 0, 50,
       case s when 190 then array['812: odoo_unavailable: Odoo answered 502']
              when 130 then array['813: odoo_unavailable: Odoo answered 502'] else '{}' end,
       (select t from t_clock) - s * interval '1 second'
  from unnest(array[250, 190, 130, 70, 10]) s;
-- Leads: last success 200 s ago (stale), then a refused call.
insert into public.migration_logs (function_name, status, migrated, elapsed_s, errors, created_at)
values ('sync-odoo-leads', 'success', 400, 40, '{}', (select t from t_clock) - interval '320 seconds'),
       ('sync-odoo-leads', 'success', 400, 40, '{}', (select t from t_clock) - interval '200 seconds'),
       ('sync-odoo-leads', 'auth_error', 0, 0, array['auth_invalid: Invalid credentials'],
        (select t from t_clock) - interval '60 seconds');

create temporary table t_doc as select passerelle.status(at => (select t from t_clock)) as d;
create temporary view t_files as select m from t_doc, jsonb_array_elements(d -> 'migrations') m where m ->> 'key' = 'files';
create temporary view t_leads as select m from t_doc, jsonb_array_elements(d -> 'migrations') m where m ->> 'key' = 'leads';

select is((select d ->> 'cron_available' from t_doc), 'false', 'works where pg_cron is not installed');
select is((select jsonb_build_object('total', m -> 'total', 'done', m -> 'done', 'failed', m -> 'failed',
                                     'remaining', m -> 'remaining', 'in_progress', m -> 'in_progress') from t_files),
          '{"total": 18323, "done": 751, "failed": 12, "remaining": 17560, "in_progress": 20}'::jsonb,
          'files: counted from lead_files');
select is((select (m ->> 'percent')::numeric from t_files), 4.1, 'files: percent done, one decimal');
select is((select (m ->> 'rate')::numeric from t_files), 2.50, 'files: rate over the wall time of the recent batches');
select is((select (m ->> 'eta_s')::int from t_files), 7024, 'files: ETA = remaining / rate');
select is((select (m ->> 'alive')::boolean from t_files), true, 'files: last batch 10 s ago is alive');
select is((select m -> 'recent_errors' -> 0 ->> 'count' from t_files), '2',
          'the same error on two files counts as one message, twice');
select is((select jsonb_build_object('total', m -> 'total', 'done', m -> 'done', 'remaining', m -> 'remaining',
                                     'rate', m -> 'rate', 'eta_s', m -> 'eta_s') from t_leads),
          '{"total": 5000, "done": 4200, "remaining": 800, "rate": 5.00, "eta_s": 160}'::jsonb,
          'leads: from sync_state, rate 800 leads in 160 s');
select is((select (m ->> 'alive')::boolean from t_leads), false, 'leads: last success 200 s ago is stale');
select is((select m ->> 'last_failure_message' from t_leads), 'auth_invalid: Invalid credentials',
          'leads: the refused call shows as its last failure (no cron request of its was refused: not failing)');
select is((select (passerelle.status(interval '5 minutes', (select t from t_clock)) -> 'migrations' -> 0 ->> 'alive')::boolean),
          true, 'a wider stale window keeps it alive');
select is((select (passerelle.status(at => (select t from t_clock) + interval '111 seconds') -> 'migrations' -> 1 ->> 'alive')::boolean),
          false, 'files: 121 s after the last batch the pulse is red');

select results_eq(
  $$ select migration, progress, percent, remaining, eta, alive
       from passerelle.status_summary(at => (select t from t_clock))
      where migration in ('leads', 'files') $$,  -- the chatter's rows: status_summary_chatter.test.sql
  $$ values ('leads', '4,200 / 5,000 leads', 84.0, 800::bigint, interval '160 seconds', false),
            ('files', '751 / 18,323 files', 4.1, 17560::bigint, interval '7024 seconds', true) $$,
  'status_summary(): the same figures, one row per migration');
select is((select cron from passerelle.status_summary(at => (select t from t_clock)) where migration = 'leads'),
          'not scheduled', 'and its cron column says it is not scheduled, not failing');

select tests.as_service_role();
select lives_ok($$ select passerelle.status() $$, 'the service role may read the status');
select tests.clear_authentication();
select tests.create_user('admin-status@example.test', 'admin') as admin \gset
select tests.authenticate_as(:'admin');
select throws_ok($$ select passerelle.status() $$, '42501', null,
  'users, even admins, go through the migration-status function, not SQL');
select tests.clear_authentication();

select * from finish();
rollback;
