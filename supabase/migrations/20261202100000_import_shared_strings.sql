-- The shared strings of an XLSX being imported (`xl/sharedStrings.xml`), staged once by the parse:
-- a sheet's cells only name their strings by index, and a million-row workbook holds millions of
-- them (150 MB and more of XML), more than a call can read at every call. The first calls copy them
-- here, a checkpoint at a time, and each batch of rows then looks up the indexes it needs, in one
-- statement. The parse deletes a job's strings when it ends; deleting the job removes them too.
create table passerelle.import_shared_strings (
  job_id uuid not null references public.import_jobs (id) on delete cascade,
  idx integer not null,
  value text not null,
  primary key (job_id, idx)
);

revoke all on table passerelle.import_shared_strings from public;
grant select, insert, delete on passerelle.import_shared_strings to service_role;
