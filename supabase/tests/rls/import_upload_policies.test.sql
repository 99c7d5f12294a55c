-- Storage's policies for import uploads: a member writes and reads only imports/<company>/<own id>/ of
-- the bucket. The local stack has no Storage, so this test makes the part of Storage's schema the
-- policies use (storage.objects and storage.foldername as supabase/storage defines them).
begin;
select plan(8);

select is(passerelle.allow_import_uploads(), false, 'without Storage there is nothing to protect');

create schema storage;
create table storage.objects (id uuid primary key default gen_random_uuid(), bucket_id text, name text,
                              owner uuid default auth.uid());
alter table storage.objects enable row level security;
grant usage on schema storage to authenticated;
grant select, insert on storage.objects to authenticated;
create function storage.foldername(name text) returns text[] language plpgsql immutable as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end $$;
grant execute on function storage.foldername(text) to authenticated;

select is(passerelle.allow_import_uploads(), true, 'with Storage, the policies are made');
insert into public.companies (name) values ('Acme'), ('Globex');
select id as acme from public.companies where name = 'Acme' \gset
select id as globex from public.companies where name = 'Globex' \gset
select tests.create_user('m@acme.test') as m \gset
select tests.create_user('n@acme.test') as n \gset
select count(*) from (select passerelle.add_member(:acme, :'m'), passerelle.add_member(:acme, :'n')) x \gset
insert into storage.objects (bucket_id, name) values ('estimation-files', format('imports/%s/%s/theirs.csv', :acme, :'n'));

select tests.authenticate_as(:'m');
select lives_ok(format($$ insert into storage.objects (bucket_id, name) values ('estimation-files', 'imports/%s/%s/leads.csv') $$, :acme, :'m'),
  'a member uploads into their own folder');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('estimation-files', 'imports/%s/%s/x.csv') $$, :acme, :'n'),
  '42501', null, 'not into another member''s folder');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('estimation-files', 'imports/%s/%s/x.csv') $$, :globex, :'m'),
  '42501', null, 'not into a company they are not a member of');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('estimation-files', 'imports/%s/x.csv') $$, :acme),
  '42501', null, 'not into the company''s folder itself');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('other-bucket', 'imports/%s/%s/x.csv') $$, :acme, :'m'),
  '42501', null, 'not into another bucket');
select results_eq('select name from storage.objects', format($$ values ('imports/%s/%s/leads.csv') $$, :acme, :'m'),
  'and reads back only their own folder');
select tests.clear_authentication();

select * from finish();
rollback;
