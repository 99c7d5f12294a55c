-- The backup import and the archive share the lead_files queue (20261201180000_backup_claims.sql).
begin;
select plan(8);

insert into public.companies (name) values ('Acme') returning id as company \gset
insert into public.leads (company_id, title) values (:company, 'A lead') returning id as lead \gset
insert into public.lead_files (lead_id, name, odoo_id) select :lead, 'f' || g, g from generate_series(1, 4) g;
update public.lead_files set status = 'failed', error_code = 'lead_missing', attempts = 5 where odoo_id = 4;

-- The archive holds file 1.
select is((select count(*)::int from passerelle.claim_lead_files(1, '1 minute')), 1, 'the archive claims file 1');
create temp table c as select * from passerelle.claim_backup_files(array[1, 2, 3, 4], '5 minutes');
select is((select array_agg(odoo_id order by odoo_id) from c), array[2, 3, 4],
  'the import claims what no one holds, a failed row included (the backup may have its file)');
select is((select count(*)::int from passerelle.claim_lead_files(10, '1 minute')), 0,
  'the archive takes nothing the import holds');
select is((select count(*)::int from passerelle.claim_backup_files(array[2, 3], '5 minutes')), 0,
  'nor does a second import');

select is((select count(*)::int from passerelle.complete_backup_files(
  (select jsonb_agg(jsonb_build_object('id', id, 'leased_until', leased_until + interval '1 second',
                                       'storage_path', 'k/' || odoo_id, 'file_url', 'u')) from c))), 0,
  'a result under another lease than the claim''s is not recorded');
-- File 3's lease runs out and the archive takes it: the import's result for it is the archive's now.
update public.lead_files set leased_until = now() - interval '1 second' where odoo_id = 3;
select is((select count(*)::int from passerelle.claim_lead_files(10, '1 minute')), 1, 'the archive takes file 3');
select is((select array_agg(x order by x) from passerelle.complete_backup_files(
  (select jsonb_agg(jsonb_build_object('id', id, 'leased_until', leased_until, 'storage_path', 'k/' || odoo_id,
                                       'file_url', 'u', 'checksum', 'abc', 'file_size', 3)) from c)) x),
  (select array_agg(id order by id) from c where odoo_id in (2, 4)),
  'files 2 and 4 are recorded under their claim; 3 is left to the archive');
select is((select status || ' ' || checksum || ' ' || file_size from public.lead_files where odoo_id = 2),
  'done abc 3', 'with the sha1 and the size the backup knows');
select * from finish();
rollback;
