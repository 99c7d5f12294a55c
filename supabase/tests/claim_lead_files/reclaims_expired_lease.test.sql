begin;
select plan(5);

insert into public.companies (name) values ('Acme') returning id as company \gset
insert into public.leads (company_id, title) values (:company, 'A lead') returning id as lead \gset
insert into public.lead_files (lead_id, name, odoo_id) select :lead, 'f' || g, g from generate_series(1, 3) g;

select is((select count(*)::int from passerelle.claim_lead_files(2, '1 minute', '2030-01-01 00:00:00+00')), 2,
  'a claim takes at most the batch size');
select is((select count(*)::int from passerelle.claim_lead_files(5, '1 minute', '2030-01-01 00:00:30+00')), 1,
  'files under a live lease are not taken again');
select is((select count(*)::int from passerelle.claim_lead_files(5, '1 minute', '2030-01-01 00:02:00+00')), 3,
  'files whose lease expired are taken again');
select is((select max(attempts) from public.lead_files), 2, 'each claim counts an attempt');
select throws_ok($$ update public.lead_files set status = 'done' where odoo_id = 1 $$, '23514', null,
  'done without a storage_path is refused by a CHECK');

select * from finish();
rollback;
