begin;
select plan(9);

select tests.create_user('alice@example.test', 'member') as alice \gset
select tests.create_user('bob@example.test', 'member') as bob \gset
select tests.create_user('admin@example.test', 'admin') as admin \gset
insert into public.companies (name) values ('Acme') returning id as company \gset
-- Jobs are seen by company membership (company_matrix.test.sql has every role and table).
select count(*) from (select passerelle.add_member(:company, u, r)
  from (values (:'alice', 'member'), (:'bob', 'member'), (:'admin', 'admin')) v (u, r)) m \gset
insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size)
values (:'alice', :company, 'leads', 'alice.csv', 'a1', 10),
       (:'bob', :company, 'activities', 'bob.csv', 'b1', 20);
insert into public.import_rows (job_id, row_number, data)
select id, 1, '{}'::jsonb from public.import_jobs;

select tests.authenticate_as(:'alice');
select results_eq($$ select file_name from public.import_jobs $$, $$ values ('alice.csv') $$,
  'a user sees only their own import jobs');
select is((select count(*)::int from public.import_rows), 1, 'and only the rows of their own jobs');
select is_empty($$ update public.import_jobs set status = 'cancelled' where file_name = 'bob.csv' returning id $$,
  'a user cannot cancel another user''s job');
select throws_ok($$ insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size)
                    values (auth.uid(), 1, 'leads', 'x.csv', 'x', 1) $$,
  '42501', null, 'users do not write jobs directly: the import function does');
select tests.clear_authentication();

select tests.authenticate_as(:'admin');
select results_eq($$ select file_name from public.import_jobs order by file_name $$,
  $$ values ('alice.csv'), ('bob.csv') $$, 'an admin of the company sees every job of it');
select is((select count(*)::int from public.import_rows), 2, 'and every row');
select tests.clear_authentication();

select tests.as_anon();
select is_empty($$ select * from public.import_jobs $$, 'anon sees no job');
select is_empty($$ select * from public.import_rows $$, 'anon sees no import row');
select tests.clear_authentication();

select tests.as_service_role();
select is((select count(*)::int from public.import_jobs), 2, 'the service role sees everything');
select tests.clear_authentication();

select * from finish();
rollback;
