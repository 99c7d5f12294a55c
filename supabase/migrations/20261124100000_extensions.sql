-- Extensions Passerelle relies on. pg_cron can only be created in the database
-- named by cron.database_name (`postgres` on Supabase); pg_net and
-- supabase_vault are enabled where available (hosted Supabase has both; the
-- local stack installs stand-ins with the same objects where they are not).
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and current_database() = coalesce(current_setting('cron.database_name', true), 'postgres') then
    create extension if not exists pg_cron;
  end if;
  if exists (select 1 from pg_available_extensions where name = 'pg_net')
     and not exists (select 1 from pg_namespace where nspname = 'net') then
    create extension if not exists pg_net;
  end if;
  if exists (select 1 from pg_available_extensions where name = 'supabase_vault')
     and not exists (select 1 from pg_namespace where nspname = 'vault') then
    create extension if not exists supabase_vault;
  end if;
end $$;

-- Internal schema: operations for the SQL editor and the functions' claims.
-- Not exposed by the Data API (only `public` is), and closed to the API roles.
create schema if not exists passerelle;
revoke all on schema passerelle from public, anon, authenticated;
grant usage on schema passerelle to service_role;
