-- The `estimation-files` bucket, where archived Odoo attachments, backup files, import files and
-- their error reports go (STORAGE_BUCKET's default).
--
-- Why a migration, and not `[storage.buckets.estimation-files]` in supabase/config.toml: config.toml
-- buckets are created by the CLI's `supabase start` (its local Docker stack) only, so a hosted project
-- would still need a second way; this migration is the one way for both: `supabase db push` creates
-- the bucket on a hosted project as on `supabase start`'s database, since Supabase Storage keeps its
-- buckets as rows of `storage.buckets` (the dashboard's "New bucket" inserts the same row).
--
-- The row, for the table as Storage v1.70.6 defines it (its migrations 0002 to 0062: id, name, owner,
-- owner_id, public, avif_autodetection, file_size_limit, allowed_mime_types, type, versioning_status,
-- created_at, updated_at):
-- - public = false: attachments and reports are private; they are read with the service role or
--   through signed URLs.
-- - file_size_limit = null: the project's global limit applies (50 MB on the free plan, up to the
--   plan's maximum); a bucket limit could only refuse files Odoo holds.
-- - allowed_mime_types = null: Odoo attachments carry any type, and Storage matches the list
--   exactly (`text/csv; charset=utf-8` is not `text/csv`, storage.md section 4).
-- The other columns keep Storage's defaults. A bucket already there (made in the dashboard, or by an
-- earlier push) is left as it is: its settings are the user's.
--
-- Where there is no `storage.buckets` table (a plain PostgreSQL: the local stack, the test cluster,
-- which store files in a directory), nothing is created and a notice says why.
do $$
begin
  if to_regclass('storage.buckets') is null then
    raise notice 'no storage.buckets table (Supabase Storage is not on this database): bucket "estimation-files" not created; files go where STORAGE_KIND says';
    return;
  end if;
  insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
  values ('estimation-files', 'estimation-files', false, null, null)
  on conflict do nothing;
  if exists (select from storage.buckets where id = 'estimation-files' and public) then
    raise warning 'bucket "estimation-files" already exists and is public: anyone with a file''s URL can read it; make it private in the dashboard';
  end if;
end $$;
