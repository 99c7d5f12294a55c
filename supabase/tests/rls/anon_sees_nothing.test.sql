begin;
select plan(13);

insert into public.companies (name) values ('Acme') returning id as company \gset
insert into public.leads (company_id, title) values (:company, 'A lead') returning id as lead \gset
insert into public.lead_files (lead_id, name) values (:lead, 'a.pdf');
insert into public.migration_logs (function_name, status) values ('archive-odoo-files', 'success');
insert into public.sync_state (source) values ('odoo_leads');

select tests.as_anon();
select is_empty($$ select * from public.companies $$, 'anon: companies');
select is_empty($$ select * from public.customers $$, 'anon: customers');
select is_empty($$ select * from public.contacts $$, 'anon: contacts');
select is_empty($$ select * from public.leads $$, 'anon: leads');
select is_empty($$ select * from public.lead_files $$, 'anon: lead_files');
select is_empty($$ select * from public.activities $$, 'anon: activities');
select is_empty($$ select * from public.lead_history $$, 'anon: lead_history');
select is_empty($$ select * from public.migration_logs $$, 'anon: migration_logs');
select is_empty($$ select * from public.sync_state $$, 'anon: sync_state');
select is_empty($$ select * from public.user_roles $$, 'anon: user_roles');
select throws_ok($$ insert into public.leads (company_id, title) values (1, 'x') $$, '42501', null,
  'anon cannot write leads');
select throws_ok($$ select passerelle.invoke('archive-odoo-files') $$, '42501', null,
  'anon cannot fire functions');
select throws_ok($$ select * from vault.decrypted_secrets $$, '42501', null, 'anon cannot read Vault');
select tests.clear_authentication();

select * from finish();
rollback;
