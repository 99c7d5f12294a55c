-- The backup import (`deno task import-dump`) works the archive's queue with
-- the archive's lease and states: it claims the `lead_files` rows of the
-- files it is about to store (claimed, leased_until, attempts), so that
-- archive-odoo-files (`claim_lead_files`) and the import never work on the
-- same file, and records them as the archive does. Unlike the archive it
-- names the rows it wants (the backup's order keeps a zip's reads
-- sequential) and may take a failed row: the backup can hold a file the API
-- could not give (a lead deleted in Odoo, an attachment Odoo refused).
--
-- The claim's `leased_until` is its token: a row is recorded only while it
-- still holds that lease, so a row whose lease ran out and that the archive
-- claimed meanwhile stays the archive's.

create function passerelle.claim_backup_files(odoo_ids integer[], lease interval)
returns table (id bigint, odoo_id integer, leased_until timestamptz)
language sql volatile set search_path = '' as $$
  with next as (
    select f.id from public.lead_files f
     where f.odoo_id = any(odoo_ids) and f.storage_path is null
       and not (f.status = 'claimed' and f.leased_until > now())
     order by f.id
     for update of f skip locked
  )
  update public.lead_files f
     set status = 'claimed', leased_until = now() + lease, attempts = f.attempts + 1, updated_at = now()
    from next
   where f.id = next.id
  returning f.id, f.odoo_id, f.leased_until;
$$;

-- `done`: [{id, leased_until, storage_path, file_url, checksum, file_size, store_fname}]; the backup
-- also knows the sha1, size and store_fname of what it stored. Returns the ids recorded.
create function passerelle.complete_backup_files(done jsonb)
returns setof bigint
language sql volatile set search_path = '' as $$
  update public.lead_files f
     set status = 'done', storage_path = d.storage_path, file_url = d.file_url, leased_until = null,
         last_error = null, error_code = null, done_at = now(), updated_at = now(),
         checksum = coalesce(f.checksum, d.checksum), file_size = coalesce(f.file_size, d.file_size),
         store_fname = coalesce(f.store_fname, d.store_fname)
    from jsonb_to_recordset(done) as d(
      id bigint, leased_until timestamptz, storage_path text, file_url text, checksum text,
      file_size bigint, store_fname text)
   where f.id = d.id and f.status = 'claimed' and f.leased_until = d.leased_until
  returning f.id;
$$;

-- `failures`: [{id, leased_until, code, message, retryable}], as fail_lead_files (retryable ones go back
-- to pending with its backoff, for the archive or a later import). Returns the ids recorded.
create function passerelle.fail_backup_files(failures jsonb)
returns setof bigint
language sql volatile set search_path = '' as $$
  update public.lead_files f
     set status = case when d.retryable and f.attempts < f.max_attempts then 'pending' else 'failed' end,
         run_after = now() + least(interval '1 hour', interval '10 seconds' * power(2, f.attempts - 1)),
         leased_until = null, last_error = left(d.message, 2000), error_code = d.code, updated_at = now()
    from jsonb_to_recordset(failures) as d(
      id bigint, leased_until timestamptz, code text, message text, retryable boolean)
   where f.id = d.id and f.status = 'claimed' and f.leased_until = d.leased_until
  returning f.id;
$$;

-- Gives back rows claimed and not finished (an interrupted import): pending at once, attempt not
-- counted, as release_lead_files. `claims`: [{id, leased_until}].
create function passerelle.release_backup_files(claims jsonb)
returns integer
language sql volatile set search_path = '' as $$
  with r as (
    update public.lead_files f
       set status = 'pending', leased_until = null, attempts = greatest(f.attempts - 1, 0), updated_at = now()
      from jsonb_to_recordset(claims) as d(id bigint, leased_until timestamptz)
     where f.id = d.id and f.status = 'claimed' and f.leased_until = d.leased_until
    returning 1)
  select count(*)::integer from r;
$$;

-- What is left for the import among the attachments it planned: the odoo ids whose rows still need a
-- file and that no other worker (the archive) holds. The import's ETA counts only these.
create function passerelle.backup_files_left(odoo_ids integer[])
returns setof integer
language sql stable set search_path = '' as $$
  select f.odoo_id from public.lead_files f
   where f.odoo_id = any(odoo_ids) and f.storage_path is null
     and not (f.status = 'claimed' and f.leased_until > now());
$$;

revoke all on function passerelle.claim_backup_files(integer[], interval) from public;
revoke all on function passerelle.complete_backup_files(jsonb) from public;
revoke all on function passerelle.fail_backup_files(jsonb) from public;
revoke all on function passerelle.release_backup_files(jsonb) from public;
revoke all on function passerelle.backup_files_left(integer[]) from public;
grant execute on function passerelle.claim_backup_files(integer[], interval) to service_role;
grant execute on function passerelle.complete_backup_files(jsonb) to service_role;
grant execute on function passerelle.fail_backup_files(jsonb) to service_role;
grant execute on function passerelle.release_backup_files(jsonb) to service_role;
grant execute on function passerelle.backup_files_left(integer[]) to service_role;
