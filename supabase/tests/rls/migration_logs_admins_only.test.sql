begin;
select plan(6);

select tests.create_user('member@example.test', 'member') as member \gset
select tests.create_user('admin@example.test', 'admin') as admin \gset
insert into public.migration_logs (function_name, status, migrated) values ('sync-odoo-leads', 'success', 200);

select tests.authenticate_as(:'member');
select is_empty($$ select * from public.migration_logs $$, 'a member does not read the logs');
select throws_ok($$ insert into public.migration_logs (function_name, status) values ('x', 'success') $$,
  '42501', null, 'a member cannot write a log row');
select tests.clear_authentication();

select tests.authenticate_as(:'admin');
select is((select migrated from public.migration_logs), 200, 'an admin reads the logs');
select throws_ok($$ insert into public.migration_logs (function_name, status) values ('x', 'success') $$,
  '42501', null, 'an admin cannot write a log row either');
select is_empty($$ delete from public.migration_logs returning id $$, 'nor delete one');
select tests.clear_authentication();

select tests.as_service_role();
select lives_ok($$ insert into public.migration_logs (function_name, status) values ('x', 'success') $$,
  'only the service role writes logs');
select tests.clear_authentication();

select * from finish();
rollback;
