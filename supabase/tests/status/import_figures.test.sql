-- An import's figures in the status document (issue #14): a completed import
-- has nothing remaining; invalid and duplicate rows are figures of their own.
begin;
select plan(5);

insert into public.companies (name) values ('Acme');
insert into auth.users (email) values ('admin@acme.fr');
insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size, status,
                                total_rows, processed_rows, valid_rows, invalid_rows, duplicate_rows,
                                committed_rows, inserted_rows, skipped_rows, progress, finished_at)
select u.id, c.id, 'leads', 'leads.csv', 'x', 1, 'completed', 200000, 200000, 161041, 8016, 30943,
       161041, 161041, 30943, 100, now()
  from auth.users u, public.companies c;

create temporary table doc as select passerelle.status() -> 'imports' -> 0 as j;
select is((select (j ->> 'remaining')::int from doc), 0, 'a completed import has nothing remaining');
select is((select (j ->> 'invalid')::int from doc), 8016, 'its invalid rows are a figure of their own');
select is((select (j ->> 'duplicates')::int from doc), 30943, 'and its duplicates');
select is((select (j ->> 'done')::int from doc), 161041, 'done counts the rows committed');

update public.import_jobs set status = 'committing', committed_rows = 100000, skipped_rows = 20000, finished_at = null;
select is((passerelle.status() -> 'imports' -> 0 ->> 'remaining')::int, 200000 - 8016 - 100000 - 20000,
  'while committing, what remains is what is not committed yet, invalid and skipped rows apart');

select * from finish();
rollback;
