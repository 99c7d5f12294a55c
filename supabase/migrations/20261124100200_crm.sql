-- The CRM that Passerelle fills: companies (tenants), their customers
-- (organisations) and contacts (people), leads, the leads' files and
-- activities, and an audit trail of every change Passerelle makes to a lead.
create table public.companies (
  id bigint generated always as identity primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table public.customers (
  id bigint generated always as identity primary key,
  company_id bigint not null references public.companies (id) on delete cascade,
  -- Odoo's commercial partner (a company partner), null for customers known by name only.
  odoo_partner_id integer,
  name text not null,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (company_id, odoo_partner_id)
);
-- Customers known only by name (a lead's partner_name) are matched case-insensitively.
create unique index customers_company_name_unlinked_idx
  on public.customers (company_id, lower(name)) where odoo_partner_id is null;

create table public.contacts (
  id bigint generated always as identity primary key,
  company_id bigint not null references public.companies (id) on delete cascade,
  customer_id bigint references public.customers (id) on delete set null,
  odoo_partner_id integer,
  name text not null,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (company_id, odoo_partner_id)
);
create index contacts_customer_idx on public.contacts (customer_id);

create table public.leads (
  id bigint generated always as identity primary key,
  company_id bigint not null references public.companies (id) on delete cascade,
  -- Where the lead came from: `odoo_crm_<id>` for Odoo leads; unique, so a
  -- sync can never create the same lead twice.
  source_email_id text unique,
  external_id text,
  odoo_id integer,
  customer_id bigint references public.customers (id) on delete set null,
  contact_id bigint references public.contacts (id) on delete set null,
  title text not null,
  lead_type text,
  contact_name text,
  company_name text,
  email text,
  phone text,
  expected_revenue numeric(14, 2),
  probability numeric(5, 2) check (probability between 0 and 100),
  priority smallint,
  stage text,
  salesperson text,
  assigned_to uuid references auth.users (id) on delete set null,
  tags text[] not null default '{}',
  description text,
  source text,
  active boolean not null default true,
  source_created_at timestamptz,
  source_updated_at timestamptz,
  import_job_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index leads_company_email_idx on public.leads (company_id, lower(email)) where email is not null;
create index leads_company_phone_idx on public.leads (company_id, phone) where phone is not null;
create unique index leads_company_external_id_idx on public.leads (company_id, external_id)
  where external_id is not null;
create index leads_odoo_id_idx on public.leads (odoo_id) where odoo_id is not null;
create index leads_import_job_idx on public.leads (import_job_id) where import_job_id is not null;
create index leads_customer_idx on public.leads (customer_id);

-- Work queue of the file archive: one row per Odoo attachment of a lead.
-- status: pending -> claimed -> done | failed (README, "lead_files states").
create table public.lead_files (
  id bigint generated always as identity primary key,
  lead_id bigint not null references public.leads (id) on delete cascade,
  odoo_id integer unique,
  name text not null,
  mimetype text,
  checksum text,
  file_size bigint,
  odoo_type text not null default 'binary',
  store_fname text,
  storage_path text,
  file_url text,
  status text not null default 'pending'
    check (status in ('pending', 'claimed', 'done', 'failed')),
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  run_after timestamptz not null default now(),
  leased_until timestamptz,
  last_error text,
  error_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  done_at timestamptz,
  -- pending means no storage_path: a stored file is done, and only a done one is stored.
  constraint lead_files_done_has_path check ((status = 'done') = (storage_path is not null)),
  constraint lead_files_claim_has_lease check (status <> 'claimed' or leased_until is not null)
);
create index lead_files_claimable_idx on public.lead_files (id) where status in ('pending', 'claimed');
create index lead_files_lead_idx on public.lead_files (lead_id);
create index lead_files_checksum_idx on public.lead_files (checksum) where storage_path is not null;

create table public.activities (
  id bigint generated always as identity primary key,
  company_id bigint not null references public.companies (id) on delete cascade,
  lead_id bigint references public.leads (id) on delete cascade,
  external_id text,
  odoo_id integer unique,
  activity_type text,
  summary text,
  note text,
  due_date date,
  done boolean not null default false,
  assigned_to uuid references auth.users (id) on delete set null,
  assigned_name text,
  import_job_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index activities_lead_idx on public.activities (lead_id);
create index activities_import_job_idx on public.activities (import_job_id) where import_job_id is not null;

-- Audit: every insert or update Passerelle makes to a lead, with the row
-- before and after, so that an import can be undone and a sync explained.
create table public.lead_history (
  id bigint generated always as identity primary key,
  lead_id bigint not null,
  action text not null check (action in ('insert', 'update', 'delete', 'restore')),
  source text not null,
  import_job_id uuid,
  before jsonb,
  after jsonb,
  changed_at timestamptz not null default now()
);
create index lead_history_lead_idx on public.lead_history (lead_id, id);
create index lead_history_job_idx on public.lead_history (import_job_id) where import_job_id is not null;
