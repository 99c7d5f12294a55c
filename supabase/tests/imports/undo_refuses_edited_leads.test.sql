begin;
select plan(5);

select tests.create_user('alice@example.test', 'admin') as alice \gset
insert into public.companies (name) values ('Acme') returning id as company \gset
insert into public.leads (company_id, title, email) values (:company, 'Before', 'kept@example.test') returning id as old \gset
insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size, status,
                                duplicate_strategy, checkpoint, payload)
values (:'alice', :company, 'leads', 'a.csv', 'a', 1, 'committing', 'update', '{"offset": 0, "row": 5}',
        '{"parse": {"dataRow": 2, "lastRow": 4}}')
returning id as job \gset
insert into public.import_rows (job_id, row_number, data, status, email, dedup_key, target_id) values
  (:'job', 2, '{"title": "After", "email": "kept@example.test"}', 'duplicate', 'kept@example.test', 'existing', :old),
  (:'job', 3, '{"title": "New one", "email": "new1@example.test"}', 'valid', 'new1@example.test', null, null),
  (:'job', 4, '{"title": "New two", "email": "new2@example.test"}', 'valid', 'new2@example.test', null, null);

select is(passerelle.import_commit_leads(:'job', 2, 4) - 'rechecked', '{"inserted": 2, "updated": 1, "skipped": 0}'::jsonb,
  'one range commits inserts and updates set-based');
update public.import_jobs set status = 'completed' where id = :'job';
update public.leads set title = 'Edited by hand' where email = 'new2@example.test';
select is(passerelle.undo_import(:'job') -> 'refused' -> 0 ->> 'row', '4',
  'undo refuses the lead edited since and names its row');
select is((select title from public.leads where id = :old), 'Before', 'the updated lead is restored');
select is((select count(*)::int from public.leads where email like 'new%'), 1, 'the untouched new lead is removed');
select ok((select undone_at is not null from public.import_jobs where id = :'job'), 'the job says it was undone');

select * from finish();
rollback;
