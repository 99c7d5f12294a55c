-- Imports read OpenDocument spreadsheets (.ods) too: the job's file_format may say so.
alter table public.import_jobs drop constraint import_jobs_file_format_check;
alter table public.import_jobs add constraint import_jobs_file_format_check
  check (file_format in ('csv', 'xlsx', 'ods'));
