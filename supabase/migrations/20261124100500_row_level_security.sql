-- Row level security on every table. `anon` sees nothing (no policy names it);
-- users see their own import jobs and rows; admins see everything; only the
-- service role (which bypasses RLS) and the functions write.
alter table public.user_roles enable row level security;
alter table public.companies enable row level security;
alter table public.customers enable row level security;
alter table public.contacts enable row level security;
alter table public.leads enable row level security;
alter table public.lead_files enable row level security;
alter table public.activities enable row level security;
alter table public.lead_history enable row level security;
alter table public.import_jobs enable row level security;
alter table public.import_rows enable row level security;
alter table public.migration_logs enable row level security;
alter table public.sync_state enable row level security;

create policy "users read their own roles, admins all" on public.user_roles
  for select to authenticated
  using (user_id = (select auth.uid()) or public.has_role((select auth.uid()), 'admin'));

-- The CRM is shared by the team: members and admins read it.
create policy "team reads companies" on public.companies for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));
create policy "team reads customers" on public.customers for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));
create policy "team reads contacts" on public.contacts for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));
create policy "team reads leads" on public.leads for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));
create policy "team reads lead files" on public.lead_files for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));
create policy "team reads activities" on public.activities for select to authenticated
  using (public.has_role((select auth.uid()), 'admin') or public.has_role((select auth.uid()), 'member'));

create policy "admins read lead history" on public.lead_history for select to authenticated
  using (public.has_role((select auth.uid()), 'admin'));
create policy "admins read migration logs" on public.migration_logs for select to authenticated
  using (public.has_role((select auth.uid()), 'admin'));
create policy "admins read sync state" on public.sync_state for select to authenticated
  using (public.has_role((select auth.uid()), 'admin'));

create policy "owners and admins read import jobs" on public.import_jobs for select to authenticated
  using (owner = (select auth.uid()) or public.has_role((select auth.uid()), 'admin'));
create policy "owners and admins read import rows" on public.import_rows for select to authenticated
  using (exists (
    select 1 from public.import_jobs j
     where j.id = import_rows.job_id
       and (j.owner = (select auth.uid()) or public.has_role((select auth.uid()), 'admin'))
  ));
