-- Row level security by company: a user reads a company's CRM only as its
-- member, a job and its rows only as its owner (while a member) or as an
-- admin of its company, the lead history only as an admin of the lead's
-- company. Nobody writes through the Data API: only the service role (which
-- bypasses RLS) and the functions do, so there are still no write policies.
-- `migration_logs` and `sync_state` stay the operator's (`user_roles` admin).
drop policy "team reads companies" on public.companies;
drop policy "team reads customers" on public.customers;
drop policy "team reads contacts" on public.contacts;
drop policy "team reads leads" on public.leads;
drop policy "team reads lead files" on public.lead_files;
drop policy "team reads activities" on public.activities;
drop policy "admins read lead history" on public.lead_history;
drop policy "owners and admins read import jobs" on public.import_jobs;
drop policy "owners and admins read import rows" on public.import_rows;

create policy "members read their companies" on public.companies for select to authenticated
  using (id in (select public.member_companies((select auth.uid()))));
create policy "members read their companies' customers" on public.customers for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid()))));
create policy "members read their companies' contacts" on public.contacts for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid()))));
create policy "members read their companies' leads" on public.leads for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid()))));
create policy "members read their companies' activities" on public.activities for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid()))));
-- A file is its lead's: readable where the lead is.
create policy "members read their companies' lead files" on public.lead_files for select to authenticated
  using (exists (
    select 1 from public.leads l
     where l.id = lead_files.lead_id and l.company_id in (select public.member_companies((select auth.uid())))
  ));
-- History rows hold the lead as it was (`before`) or became (`after`), company
-- included: a deleted lead's history stays its company's.
create policy "company admins read their leads' history" on public.lead_history for select to authenticated
  using (coalesce(after ->> 'company_id', before ->> 'company_id')::bigint
         in (select public.admin_companies((select auth.uid()))));

create policy "owners and company admins read import jobs" on public.import_jobs for select to authenticated
  using (company_id in (select public.member_companies((select auth.uid())))
         and (owner = (select auth.uid()) or company_id in (select public.admin_companies((select auth.uid())))));
create policy "owners and company admins read import rows" on public.import_rows for select to authenticated
  using (exists (
    select 1 from public.import_jobs j
     where j.id = import_rows.job_id
       and j.company_id in (select public.member_companies((select auth.uid())))
       and (j.owner = (select auth.uid()) or j.company_id in (select public.admin_companies((select auth.uid()))))
  ));
