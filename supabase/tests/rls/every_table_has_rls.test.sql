begin;
select plan(1);

select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity
$$, 'row level security is enabled on every table of public');

select * from finish();
rollback;
