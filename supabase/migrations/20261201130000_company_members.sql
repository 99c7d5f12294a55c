-- Company membership: the tenant boundary. A user belongs to companies, with
-- a role in each (`admin`: imports leads, sees every job and the lead history
-- of the company; `member`: reads the company's CRM, imports activities, sees
-- their own jobs). Every CRM and import policy scopes by it (next migration).
-- `user_roles` stays the operator's role (`admin` reads the migration logs and
-- the status document); it no longer opens any company's data.
create table public.company_members (
  company_id bigint not null references public.companies (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (company_id, user_id)
);
create index company_members_user_idx on public.company_members (user_id);
alter table public.company_members enable row level security;

-- The companies `uid` belongs to (with `admin` only those it administers).
-- security definer so that policies may call them without granting
-- company_members to everyone; search_path pinned against hijacking. A policy
-- uses them as `company_id in (select ...)`: one hashed set per statement.
create function public.member_companies(uid uuid) returns setof bigint
language sql stable security definer set search_path = '' as $$
  select m.company_id from public.company_members m where m.user_id = uid
$$;
create function public.admin_companies(uid uuid) returns setof bigint
language sql stable security definer set search_path = '' as $$
  select m.company_id from public.company_members m where m.user_id = uid and m.role = 'admin'
$$;
-- `admin`, `member` or null: what the import functions check before a start.
create function public.company_role(uid uuid, company bigint) returns text
language sql stable security definer set search_path = '' as $$
  select m.role from public.company_members m where m.user_id = uid and m.company_id = company
$$;
revoke execute on function public.member_companies(uuid), public.admin_companies(uuid),
  public.company_role(uuid, bigint) from public, anon;
grant execute on function public.member_companies(uuid), public.admin_companies(uuid),
  public.company_role(uuid, bigint) to authenticated, service_role;

create policy "users read their memberships, company admins their company's" on public.company_members
  for select to authenticated
  using (user_id = (select auth.uid())
         or company_id in (select public.admin_companies((select auth.uid()))));

-- The user named by id or e-mail, or a clear error.
create function passerelle.member_user(user_ref text) returns uuid
language plpgsql stable set search_path = '' as $$
declare
  uid uuid;
begin
  if user_ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select u.id into uid from auth.users u where u.id = user_ref::uuid;
  else
    select u.id into uid from auth.users u where lower(u.email) = lower(user_ref);
  end if;
  if uid is null then
    raise exception 'No user %', user_ref using errcode = 'no_data_found';
  end if;
  return uid;
end $$;

-- Makes `user_ref` (a user id or e-mail) a member of `company_id` with `role`,
-- or changes their role. Returns the membership.
create function passerelle.add_member(company_id bigint, user_ref text, role text default 'member')
returns public.company_members
language plpgsql set search_path = '' as $$
declare
  m public.company_members;
begin
  if role is null or role not in ('admin', 'member') then
    raise exception 'role must be ''admin'' or ''member'', not %', coalesce(role, 'null')
      using errcode = 'invalid_parameter_value';
  end if;
  if not exists (select 1 from public.companies c where c.id = add_member.company_id) then
    raise exception 'No company %', company_id using errcode = 'no_data_found';
  end if;
  insert into public.company_members (company_id, user_id, role)
  values (add_member.company_id, passerelle.member_user(user_ref), add_member.role)
  on conflict on constraint company_members_pkey do update set role = excluded.role
  returning * into m;
  return m;
end $$;

-- Removes `user_ref` from `company_id`; true when they were a member. Their
-- jobs stay (the company's admins see them), but they no longer see them.
create function passerelle.remove_member(company_id bigint, user_ref text) returns boolean
language plpgsql set search_path = '' as $$
declare
  n integer;
begin
  delete from public.company_members m
   where m.company_id = remove_member.company_id and m.user_id = passerelle.member_user(user_ref);
  get diagnostics n = row_count;
  return n > 0;
end $$;

revoke all on function passerelle.member_user(text) from public;
revoke all on function passerelle.add_member(bigint, text, text) from public;
revoke all on function passerelle.remove_member(bigint, text) from public;
grant execute on function passerelle.member_user(text), passerelle.add_member(bigint, text, text),
  passerelle.remove_member(bigint, text) to service_role;

-- Existing data: until now every `admin` and `member` of `user_roles` read every
-- company (in practice one, the synced company). They keep exactly that: each
-- becomes a member of every existing company with their role there (admin
-- wins), so nobody loses access on upgrade and nobody gains any; an operator
-- narrows it with remove_member. Companies created later start with no member.
-- A function so that a test can check it; it never changes an existing membership.
create function passerelle.members_from_roles() returns integer
language plpgsql set search_path = '' as $$
declare
  n integer;
begin
  insert into public.company_members (company_id, user_id, role)
  select c.id, r.user_id, case when bool_or(r.role = 'admin') then 'admin' else 'member' end
    from public.companies c cross join public.user_roles r
   group by c.id, r.user_id
  on conflict do nothing;
  get diagnostics n = row_count;
  return n;
end $$;
revoke all on function passerelle.members_from_roles() from public;
select passerelle.members_from_roles();
