-- Helpers for the pgTAP tests, installed once in the test database before
-- pg_prove runs (scripts/test.sh). Each test file runs in a transaction it
-- rolls back.
create extension if not exists pgtap;
create schema if not exists tests;

-- A Supabase user with an optional application role.
create or replace function tests.create_user(email text, app_role text default null) returns uuid
language plpgsql as $$
declare
  uid uuid;
begin
  insert into auth.users (email) values (email) returning id into uid;
  if app_role is not null then
    insert into public.user_roles (user_id, role) values (uid, app_role);
  end if;
  return uid;
end $$;

-- Acts as that user for the rest of the transaction, as PostgREST would.
create or replace function tests.authenticate_as(uid uuid) returns void
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', json_build_object('sub', uid, 'role', 'authenticated')::text, true);
  execute 'set local role authenticated';
end $$;

create or replace function tests.as_anon() returns void
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', '{"role": "anon"}', true);
  execute 'set local role anon';
end $$;

create or replace function tests.as_service_role() returns void
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', '{"role": "service_role"}', true);
  execute 'set local role service_role';
end $$;

create or replace function tests.clear_authentication() returns void
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', null, true);
  execute 'reset role';
end $$;

grant usage on schema tests to anon, authenticated, service_role;
grant execute on all functions in schema tests to anon, authenticated, service_role;
