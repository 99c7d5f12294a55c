-- Application roles of Supabase users: `admin` sees every job and the logs,
-- `member` sees their own imports.
create table public.user_roles (
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (user_id, role)
);

-- security definer so that RLS policies may call it without granting
-- user_roles to everyone; search_path pinned against hijacking.
create function public.has_role(uid uuid, role text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.user_roles r where r.user_id = uid and r.role = has_role.role)
$$;
revoke execute on function public.has_role(uuid, text) from public, anon;
grant execute on function public.has_role(uuid, text) to authenticated, service_role;
