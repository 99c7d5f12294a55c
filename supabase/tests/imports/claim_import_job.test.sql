begin;
select plan(6);

select tests.create_user('alice@example.test', 'admin') as alice \gset
insert into public.companies (name) values ('Acme') returning id as company \gset
insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size, created_at)
values (:'alice', :company, 'leads', 'a.csv', 'a', 1, '2030-01-01'),
       (:'alice', :company, 'leads', 'b.csv', 'b', 1, '2030-01-02'),
       (:'alice', :company, 'activities', 'c.csv', 'c', 1, '2030-01-01');

select is((select file_name from passerelle.claim_import_job('leads', '2 minutes', null, '2030-01-05 00:00:00+00')),
  'a.csv', 'the oldest job of the kind is claimed first');
select is((select file_name from passerelle.claim_import_job('leads', '2 minutes', null, '2030-01-05 00:00:10+00')),
  'b.csv', 'a job under a live lease is not claimed again');
select is((select count(*)::int from passerelle.claim_import_job('leads', '2 minutes', null, '2030-01-05 00:00:20+00')),
  0, 'no job is left to claim while both are leased');
select is((select file_name from passerelle.claim_import_job('leads', '2 minutes', null, '2030-01-05 00:05:00+00')),
  'a.csv', 'a job whose call died (lease run out) is claimed again');
update public.import_jobs set attempts = 5 where file_name = 'b.csv';
select is((select count(*)::int from passerelle.claim_import_job('leads', '2 minutes', null, '2030-01-06 00:00:00+00')
           where file_name = 'b.csv'), 0, 'a job claimed 5 times without a checkpoint is not claimed again');
select is((select status from public.import_jobs where file_name = 'b.csv'), 'failed',
  'it fails, saying where it stopped');

select * from finish();
rollback;
