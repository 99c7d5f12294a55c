-- The tenant boundary, table by table: anon, a signed-in user with no role, a
-- member and an admin of Acme (company 1), an admin of Globex (company 2), the
-- operator (`user_roles` admin, member of nothing) and the service role. Each
-- company holds one row of every kind; a role sees exactly its company's rows
-- (counts per table), and nobody but the service role writes any table.
begin;
select plan(59);

insert into public.companies (name) values ('Acme'), ('Globex');
select id as acme from public.companies where name = 'Acme' \gset
select id as globex from public.companies where name = 'Globex' \gset
select tests.create_user('nobody@example.test') as nobody \gset
select tests.create_user('member1@acme.test') as member1 \gset
select tests.create_user('admin1@acme.test') as admin1 \gset
select tests.create_user('admin2@globex.test') as admin2 \gset
select tests.create_user('operator@example.test', 'admin') as operator \gset
select is((passerelle.add_member(:acme, :'member1')).role, 'member', 'add_member by id, member by default');
select is((passerelle.add_member(:acme, 'ADMIN1@acme.test', 'admin')).user_id, :'admin1'::uuid,
  'add_member by e-mail, whatever its case');
select is((passerelle.add_member(:globex, :'admin2', 'admin')).company_id, :globex::bigint, 'add_member to Globex');

-- One row of every kind per company (Acme's member owns a job too).
insert into public.customers (company_id, name) values (:acme, 'Client Acme'), (:globex, 'Client Globex');
insert into public.contacts (company_id, name) values (:acme, 'Contact Acme'), (:globex, 'Contact Globex');
insert into public.leads (company_id, title, email) values (:acme, 'Lead Acme', 'a@acme.test'),
  (:globex, 'Lead Globex', 'g@globex.test');
insert into public.lead_files (lead_id, name) select id, 'devis-' || id || '.pdf' from public.leads;
insert into public.activities (company_id, lead_id, summary) select company_id, id, 'Appel' from public.leads;
insert into public.lead_history (lead_id, action, source, after)
select id, 'insert', 'test', to_jsonb(l) from public.leads l;
insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size)
values (:'admin1', :acme, 'leads', 'acme.csv', 'a1', 10), (:'member1', :acme, 'activities', 'm1.csv', 'm1', 10),
       (:'admin2', :globex, 'leads', 'globex.csv', 'g1', 10);
insert into public.import_rows (job_id, row_number, data) select id, 2, '{"values": ["x"]}' from public.import_jobs;
insert into public.migration_logs (function_name, status) values ('sync-odoo-leads', 'success');
insert into public.sync_state (source, company_id) values ('odoo', :acme);

-- What a role sees: rows per table, in a fixed order.
create function tests.visible() returns table (t text, n bigint) language sql as $$
  select 'companies', count(*) from public.companies union all
  select 'customers', count(*) from public.customers union all
  select 'contacts', count(*) from public.contacts union all
  select 'leads', count(*) from public.leads union all
  select 'lead_files', count(*) from public.lead_files union all
  select 'activities', count(*) from public.activities union all
  select 'lead_history', count(*) from public.lead_history union all
  select 'import_jobs', count(*) from public.import_jobs union all
  select 'import_rows', count(*) from public.import_rows union all
  select 'company_members', count(*) from public.company_members union all
  select 'user_roles', count(*) from public.user_roles union all
  select 'migration_logs', count(*) from public.migration_logs union all
  select 'sync_state', count(*) from public.sync_state
$$;

-- One real row of every table (taken as postgres), so that a write probe passes every constraint
-- and only RLS or privileges can stop it.
create table tests.samples as select null::text as t, null::jsonb as r limit 0;
do $$
declare
  t text;
begin
  for t in select c.relname from pg_class c join pg_namespace s on s.oid = c.relnamespace
            where s.nspname = 'public' and c.relkind = 'r' loop
    execute format('insert into tests.samples select %L, to_jsonb(x) from (select * from public.%I limit 1) x', t, t);
  end loop;
end $$;
grant select on tests.samples to anon, authenticated, service_role;

-- Every write a role attempts on every table of public, and what got through: an insert of a copy
-- of a real row (any refusal but 42501, insufficient privilege or RLS, counts as getting through),
-- an update and a delete of every row.
create function tests.writes_through() returns setof text language plpgsql as $$
declare
  t text;
  sample jsonb;
  cols text;
  col text;
  n bigint;
begin
  for t, sample in select s.t, s.r from tests.samples s order by 1 loop
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
           min(a.attname) filter (where a.attnum = (select min(b.attnum) from pg_attribute b
                                                     where b.attrelid = a.attrelid and b.attnum > 0
                                                       and not b.attisdropped and b.attidentity = ''))
      into cols, col
      from pg_attribute a
     where a.attrelid = ('public.' || t)::regclass and a.attnum > 0 and not a.attisdropped
       and a.attidentity = '' and a.attgenerated = '';
    begin
      execute format('insert into public.%I (%s) select %s from jsonb_populate_record(null::public.%I, $1)',
                     t, cols, cols, t) using sample;
      return next t || ': insert';
    exception when insufficient_privilege then
      -- refused, as every user role must be
    when others then
      return next t || ': insert reached ' || sqlstate;
    end;
    begin
      execute format('with u as (update public.%I set %I = %I returning 1) select count(*) from u', t, col, col)
        into n;
      if n > 0 then return next t || ': update'; end if;
    exception when insufficient_privilege then
    end;
    begin
      execute format('with d as (delete from public.%I returning 1) select count(*) from d', t) into n;
      if n > 0 then return next t || ': delete'; end if;
    exception when insufficient_privilege then
    end;
  end loop;
end $$;
grant execute on function tests.visible(), tests.writes_through() to anon, authenticated, service_role;

select tests.as_anon();
select results_eq('select n from tests.visible()', array[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[],
  'anon sees no row of any table');
select is_empty('select * from tests.writes_through()', 'anon writes no table');
select throws_ok('select passerelle.add_member(1, ''x'', ''admin'')', '42501', null, 'anon cannot manage members');
select tests.clear_authentication();

select tests.authenticate_as(:'nobody');
select results_eq('select n from tests.visible()', array[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[],
  'a signed-in user with no role and no company sees no row');
select is_empty('select * from tests.writes_through()', 'nor writes any');
select throws_ok(format('select passerelle.add_member(%s, %L, ''admin'')', :globex, :'nobody'), '42501', null,
  'nor makes himself a member');
select tests.clear_authentication();

select tests.authenticate_as(:'member1');
select results_eq('select n from tests.visible()', array[1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0]::bigint[],
  'a member of Acme: Acme''s CRM, their own job and membership; no history, no logs');
select is((select bool_and(company_id = :acme) from public.leads), true, 'the lead a member sees is Acme''s');
select is((select name from public.companies), 'Acme', 'and the company is Acme');
select is((select file_name from public.import_jobs), 'm1.csv', 'their own job only, not the admin''s');
select is_empty('select * from tests.writes_through()', 'a member writes no table');
select tests.clear_authentication();

select tests.authenticate_as(:'admin1');
select results_eq('select n from tests.visible()', array[1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 0, 0, 0]::bigint[],
  'an admin of Acme: Acme''s CRM and history, every Acme job and member; nothing of Globex');
select is((select bool_and(company_id = :acme) from public.customers), true, 'customers: Acme''s');
select is((select bool_and(company_id = :acme) from public.contacts), true, 'contacts: Acme''s');
select is((select bool_and(company_id = :acme) from public.activities), true, 'activities: Acme''s');
select is((select bool_and((after ->> 'company_id')::bigint = :acme) from public.lead_history), true,
  'history: Acme''s leads');
select is((select bool_and(company_id = :acme) from public.import_jobs), true, 'jobs: Acme''s');
select is((select bool_and(j.company_id = :acme) from public.import_rows r join public.import_jobs j on j.id = r.job_id),
  true, 'import rows: of Acme''s jobs');
select is((select bool_and(company_id = :acme) from public.company_members), true, 'members: Acme''s');
select is((select string_agg(name, ',') from public.lead_files), 'devis-' || (select min(id) from public.leads) || '.pdf',
  'lead files: of Acme''s lead');
select is_empty('select * from tests.writes_through()', 'an admin writes no table directly');
select is_empty(format('update public.import_jobs set status = ''cancelled'' where company_id = %s returning id', :globex),
  'an admin of Acme cannot touch a Globex job');
select tests.clear_authentication();

select tests.authenticate_as(:'admin2');
select results_eq('select n from tests.visible()', array[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]::bigint[],
  'an admin of Globex: Globex''s rows only');
select is((select name from public.companies), 'Globex', 'the company is Globex');
select is((select bool_and(company_id = :globex) from public.leads), true, 'leads: Globex''s');
select is((select file_name from public.import_jobs), 'globex.csv', 'jobs: Globex''s');
select is((select count(*) from public.import_rows), 1::bigint, 'import rows: of the Globex job');
select is_empty('select * from tests.writes_through()', 'an admin of Globex writes no table');
select tests.clear_authentication();

select tests.authenticate_as(:'operator');
select results_eq('select n from tests.visible()', array[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]::bigint[],
  'the operator (user_roles admin, member of nothing): logs, sync state and roles; no company''s data');
select is(public.has_role(:'operator'::uuid, 'admin'), true, 'has_role still answers for the operator');
select tests.clear_authentication();

select tests.as_service_role();
select results_eq('select n from tests.visible()', array[2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 1, 1, 1]::bigint[],
  'the service role sees every row');
select tests.clear_authentication();

-- Managing members (SQL editor operations), as postgres.
select is((passerelle.add_member(:acme, :'member1', 'admin')).role, 'admin', 'add_member changes a role');
select is(public.company_role(:'member1'::uuid, :acme), 'admin', 'company_role reads it');
select is(passerelle.remove_member(:acme, 'member1@acme.test'), true, 'remove_member by e-mail');
select is(passerelle.remove_member(:acme, 'member1@acme.test'), false, 'removing twice says so');
select is(public.company_role(:'member1'::uuid, :acme), null, 'no role once removed');
select throws_ok(format('select passerelle.add_member(%s, %L, ''owner'')', :acme, :'member1'), '22023',
  'role must be ''admin'' or ''member'', not owner', 'an unknown role is refused');
select throws_ok(format('select passerelle.add_member(%s, ''ghost@example.test'')', :acme), 'P0002',
  'No user ghost@example.test', 'an unknown user is refused');
select throws_ok(format('select passerelle.add_member(999999, %L)', :'member1'), 'P0002',
  'No company 999999', 'an unknown company is refused');
select tests.authenticate_as(:'member1');
select results_eq('select n from tests.visible()', array[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[],
  'a removed member sees nothing of Acme any more, not even their own job');
select tests.clear_authentication();

-- Functions that decide membership are pinned and not callable by anon.
select is((select proconfig from pg_proc where proname = 'member_companies'), array['search_path=""'],
  'member_companies pins its search_path');
select is((select proconfig from pg_proc where proname = 'admin_companies'), array['search_path=""'],
  'admin_companies pins its search_path');
select is((select proconfig from pg_proc where proname = 'company_role'), array['search_path=""'],
  'company_role pins its search_path');
select is(has_function_privilege('anon', 'public.company_role(uuid, bigint)', 'execute'), false,
  'anon cannot call company_role');
select is(has_function_privilege('authenticated', 'passerelle.add_member(bigint, text, text)', 'execute'), false,
  'users cannot call add_member');
select is(has_function_privilege('authenticated', 'passerelle.remove_member(bigint, text)', 'execute'), false,
  'users cannot call remove_member');

-- A member reads only their own membership; an admin their company's, not another's.
select tests.authenticate_as(:'admin2');
select is((select count(*) from public.company_members where company_id = :acme), 0::bigint,
  'an admin of Globex sees no Acme member');
select tests.clear_authentication();

-- Every table of public has RLS and no policy lets a user write.
select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity
$$, 'row level security is enabled on every table of public');
select is_empty($$ select tablename || ': ' || policyname from pg_policies
                    where schemaname = 'public' and cmd <> 'SELECT' $$,
  'no policy grants a write');
select is_empty($$ select tablename || ': ' || policyname from pg_policies
                    where schemaname = 'public' and 'anon' = any (roles) $$,
  'no policy names anon');
select is_empty($$ select tablename || ': ' || policyname from pg_policies
                    where schemaname = 'public' and tablename not in ('user_roles', 'migration_logs', 'sync_state')
                      and qual like '%has_role%' $$,
  'no CRM or import policy relies on the global role any more');

-- Upgrading: user_roles became memberships of every company that existed then (admin wins).
select tests.create_user('old-admin@example.test', 'admin') as old_admin \gset
select tests.create_user('old-member@example.test', 'member') as old_member \gset
insert into public.user_roles (user_id, role) values (:'old_admin', 'member'), (:'admin1', 'member');
select is(passerelle.members_from_roles(), 7,
  'the upgrade adds the memberships missing: operator, old admin, old member in both companies, admin1 in Globex');
select results_eq(format($$ select company_id, role from public.company_members where user_id = %L order by 1 $$, :'old_admin'),
  format($$ values (%s::bigint, 'admin'), (%s::bigint, 'admin') $$, :acme, :globex),
  'an admin of user_roles becomes admin of every company (admin wins over member)');
select results_eq(format($$ select company_id, role from public.company_members where user_id = %L order by 1 $$, :'old_member'),
  format($$ values (%s::bigint, 'member'), (%s::bigint, 'member') $$, :acme, :globex),
  'a member of user_roles becomes member of every company');
select is(public.company_role(:'admin1'::uuid, :acme), 'admin', 'an existing membership is kept as it is (admin1 stays admin of Acme)');

-- The write probe does write where writing is allowed (so its empty answers above mean something).
select tests.as_service_role();
select ok((select array_agg(w) from tests.writes_through() w) @> array['activities: insert', 'activities: update', 'activities: delete', 'companies: insert reached 23505'],
  'the service role writes (the probe reaches every table)');
select tests.clear_authentication();

select * from finish();
rollback;
