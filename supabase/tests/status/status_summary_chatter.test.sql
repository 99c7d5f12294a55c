-- passerelle.status_summary() has a row for each chatter sync, between the migrations and the imports:
-- what is stored, whether the sync caught up, its notice, its last error.
begin;
select plan(5);

create temporary table t_clock as select timestamptz '2026-12-03 12:00:00+00' as t;

insert into public.companies (name) values ('Chatter summary');
select id as company from public.companies where name = 'Chatter summary' \gset
insert into public.leads (company_id, title, source_email_id) values (:company, 'Lead', 'odoo_crm_1');
insert into public.lead_messages (company_id, lead_id, odoo_id, odoo_res_id, message_type, body)
select :company, (select id from public.leads where source_email_id = 'odoo_crm_1'), 1000 + g, 1, 'comment', '<p>Note</p>'
  from generate_series(1, 1234) g;
insert into public.sync_state (source, company_id, phase, caught_up_at, notice)
values ('odoo_messages', :company, 'incremental', (select t from t_clock) - interval '30 seconds',
        'tracking values left out: Odoo refuses mail.tracking.value to this login');
insert into public.migration_logs (function_name, status, migrated, elapsed_s, errors, created_at)
values ('sync-odoo-messages', 'success', 1234, 3, '{}', (select t from t_clock) - interval '20 seconds'),
       ('sync-odoo-activities', 'error', 0, 1, array['odoo_unavailable: Odoo answered 502'],
        (select t from t_clock) - interval '10 seconds');

create temporary table t_rows as
  select row_number() over () as n, s.* from passerelle.status_summary(at := (select t from t_clock)) s;

select results_eq($$ select migration from t_rows where migration not like 'import:%' order by n $$,
  $$ values ('leads'), ('files'), ('activities'), ('messages') $$,
  'the chatter syncs come after the migrations');
select is((select progress from t_rows where migration = 'messages'),
  '1,234 messages stored, caught up; tracking values left out: Odoo refuses mail.tracking.value to this login',
  'messages: what is stored, caught up, and the notice');
select is((select progress from t_rows where migration = 'activities'), '0 activities stored',
  'activities: nothing stored yet');
select is((select last_error from t_rows where migration = 'activities'), 'odoo_unavailable: Odoo answered 502',
  'activities: the last error');
select is((select (percent, remaining, cron)::text from t_rows where migration = 'messages'), '(,,)',
  'no percent, remaining or cron for a sync that counts no total');

select * from finish();
rollback;
