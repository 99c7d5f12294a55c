-- The chatter is its company's: a member reads their companies' lead messages (and their files through
-- `lead_message_files`, with the reader's rights), nobody else, and nobody but the service role writes.
begin;
select plan(7);

insert into public.companies (name) values ('Acme'), ('Globex');
select id as acme from public.companies where name = 'Acme' \gset
select id as globex from public.companies where name = 'Globex' \gset
select tests.create_user('member@acme.test') as member \gset
select tests.create_user('nobody@example.test') as nobody \gset
select count(*) from (select passerelle.add_member(:acme, :'member')) m \gset
insert into public.leads (company_id, title, source_email_id)
values (:acme, 'Lead Acme', 'odoo_crm_1'), (:globex, 'Lead Globex', 'odoo_crm_2');
insert into public.lead_files (lead_id, odoo_id, name) select id, 100 + id, 'devis.pdf' from public.leads;
insert into public.lead_messages (company_id, lead_id, odoo_id, odoo_res_id, message_type, body, attachment_odoo_ids)
select company_id, id, 10 + id, 1, 'comment', '<p>Note</p>', array[100 + id] from public.leads;

select tests.authenticate_as(:'member');
select results_eq($$ select l.title from public.lead_messages m join public.leads l on l.id = m.lead_id $$,
  $$ values ('Lead Acme') $$, 'a member reads the messages of their company''s leads only');
select results_eq($$ select f.name from public.lead_message_files f $$, $$ values ('devis.pdf') $$,
  'and their files, linked to lead_files, with the same rights');
select throws_ok($$ insert into public.lead_messages (company_id, odoo_id, odoo_res_id, message_type)
                    values (1, 999, 1, 'comment') $$,
  '42501', null, 'members do not write messages: the sync does');
select is_empty($$ update public.lead_messages set body = 'x' returning id $$, 'nor change them');
select tests.clear_authentication();

select tests.authenticate_as(:'nobody');
select is_empty($$ select * from public.lead_messages $$, 'a user of no company reads no message');
select tests.clear_authentication();

select tests.as_anon();
select is_empty($$ select * from public.lead_message_files $$, 'anon reads no message file');
select tests.clear_authentication();

select tests.as_service_role();
select is((select count(*)::int from public.lead_messages), 2, 'the service role reads every message');
select tests.clear_authentication();

select * from finish();
rollback;
