-- Users put their import files into Storage themselves (supabase-js `upload`), into their own folder
-- `imports/<company id>/<user id>/` of the bucket, as members of that company, and read back only that
-- folder: the folder the import functions accept `file.path` from (README, "Imports"). Storage's
-- `storage.objects` exists on Supabase only (the local stack stores files in a directory), so the
-- migration makes the policies where it exists; an operator whose bucket is not `estimation-files`
-- runs `select passerelle.allow_import_uploads('<bucket>')`.
create function passerelle.allow_import_uploads(bucket text default 'estimation-files') returns boolean
language plpgsql set search_path = '' as $$
declare
  own_folder text := format($f$
    bucket_id = %L
    and (storage.foldername(name))[1] = 'imports'
    and (storage.foldername(name))[3] = (select auth.uid())::text
    and (storage.foldername(name))[2] ~ '^[1-9][0-9]{0,17}$'
    and (storage.foldername(name))[2]::bigint in (select public.member_companies((select auth.uid())))$f$, bucket);
begin
  if to_regclass('storage.objects') is null then
    return false;
  end if;
  execute 'drop policy if exists "members upload imports into their own folder" on storage.objects';
  execute 'drop policy if exists "members read their own import folder" on storage.objects';
  execute format('create policy "members upload imports into their own folder" on storage.objects
                  for insert to authenticated with check (%s)', own_folder);
  execute format('create policy "members read their own import folder" on storage.objects
                  for select to authenticated using (%s)', own_folder);
  return true;
end $$;
revoke all on function passerelle.allow_import_uploads(text) from public;

select passerelle.allow_import_uploads();
