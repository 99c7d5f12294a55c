-- Issue 16, points 1 and 2: no edit lost, texts as Odoo has them.
--
-- The sync used to skip a lead whose write_date was unchanged; Odoo renders write_date to the second, so
-- an edit made in the second of the one read before was never written. A lead is now changed when what was
-- read of it differs: `leads.source_hash`, the md5 of the mapped values, compared in the upsert that writes.
-- Passes read `write_date >= ` the newest write_date seen when the previous pass began, so leads of that last
-- second are read, and compared, again by the next pass.
alter table public.leads add column source_hash text;
comment on column public.leads.source_hash is
  'md5 of the values the Odoo sync last read for this lead (sync_odoo_leads_page decides "changed" by it)';

-- Texts exactly as Odoo has them: no trim (titles ending in a space, attachment names with spaces around
-- them). Empty strings still read as null, as Odoo's false does.
create or replace function passerelle.odoo_text(v jsonb) returns text
language sql immutable set search_path = '' as $$
  select case when v is null or jsonb_typeof(v) in ('null', 'boolean') then null
              else nullif(v #>> '{}', '') end
$$;

create or replace function passerelle.sync_odoo_leads_page(
  source text,
  company bigint,
  leads jsonb,
  partners jsonb,
  tags jsonb,
  cursor_id bigint
) returns table (inserted integer, updated integer, unchanged integer)
language plpgsql volatile set search_path = '' as $$
declare
  n_in integer;
  n_up integer;
begin
  create temporary table if not exists sync_partners (
    id integer primary key, name text, is_company boolean, commercial_id integer, commercial_name text,
    email text, phone text
  ) on commit drop;
  truncate sync_partners;
  insert into sync_partners
  select distinct on ((p ->> 'id')::integer)
         (p ->> 'id')::integer, passerelle.odoo_text(p -> 'name'), coalesce((p ->> 'is_company')::boolean, false),
         coalesce(passerelle.odoo_m2o_id(p -> 'commercial_partner_id'), (p ->> 'id')::integer),
         passerelle.odoo_m2o_name(p -> 'commercial_partner_id'),
         passerelle.odoo_text(p -> 'email'), passerelle.odoo_text(p -> 'phone')
    from jsonb_array_elements(partners) p;

  -- Customers: the commercial partner (the company, or the person who buys
  -- alone) of each lead's partner.
  insert into public.customers as c (company_id, odoo_partner_id, name, email, phone)
  select distinct on (p.commercial_id) company, p.commercial_id,
         coalesce(self.name, p.commercial_name, p.name, 'Odoo partner ' || p.commercial_id),
         self.email, self.phone
    from sync_partners p left join sync_partners self on self.id = p.commercial_id
   order by p.commercial_id
  on conflict (company_id, odoo_partner_id) do update
     set name = excluded.name, email = coalesce(excluded.email, c.email), phone = coalesce(excluded.phone, c.phone),
         updated_at = now()
   where (c.name, c.email, c.phone) is distinct from
         (excluded.name, coalesce(excluded.email, c.email), coalesce(excluded.phone, c.phone));

  -- Customers known by name only: a lead without partner but with a company name.
  insert into public.customers (company_id, name)
  select distinct on (lower(n)) company, n
    from (select passerelle.odoo_text(l -> 'partner_name') as n from jsonb_array_elements(leads) l
           where passerelle.odoo_m2o_id(l -> 'partner_id') is null) s
   where n is not null
   order by lower(n)
  on conflict (company_id, lower(name)) where odoo_partner_id is null do nothing;

  -- Contacts: partners who are people working for a commercial partner.
  insert into public.contacts as ct (company_id, customer_id, odoo_partner_id, name, email, phone)
  select company, cu.id, p.id, coalesce(p.name, 'Odoo contact ' || p.id), p.email, p.phone
    from sync_partners p
    join public.customers cu on cu.company_id = company and cu.odoo_partner_id = p.commercial_id
   where not p.is_company and p.commercial_id <> p.id
  on conflict (company_id, odoo_partner_id) do update
     set customer_id = excluded.customer_id, name = excluded.name, email = excluded.email, phone = excluded.phone,
         updated_at = now()
   where (ct.customer_id, ct.name, ct.email, ct.phone) is distinct from
         (excluded.customer_id, excluded.name, excluded.email, excluded.phone);

  with src as (
    select l, (l ->> 'id')::integer as oid, passerelle.odoo_m2o_id(l -> 'partner_id') as partner_id
      from jsonb_array_elements(leads) l
  ),
  mapped as (
    select company as company_id,
           'odoo_crm_' || s.oid as source_email_id,
           s.oid as odoo_id,
           coalesce(cu_p.id, cu_n.id) as customer_id,
           ct.id as contact_id,
           coalesce(passerelle.odoo_text(s.l -> 'name'), 'Odoo lead ' || s.oid) as title,
           passerelle.odoo_text(s.l -> 'type') as lead_type,
           passerelle.odoo_text(s.l -> 'contact_name') as contact_name,
           passerelle.odoo_text(s.l -> 'partner_name') as company_name,
           lower(passerelle.odoo_text(s.l -> 'email_from')) as email,
           passerelle.odoo_text(s.l -> 'phone') as phone,
           (s.l ->> 'expected_revenue')::numeric(14, 2) as expected_revenue,
           least(100, greatest(0, (s.l ->> 'probability')::numeric))::numeric(5, 2) as probability,
           nullif(passerelle.odoo_text(s.l -> 'priority'), '')::smallint as priority,
           passerelle.odoo_m2o_name(s.l -> 'stage_id') as stage,
           passerelle.odoo_m2o_name(s.l -> 'user_id') as salesperson,
           coalesce((select array_agg(coalesce(tags ->> t.id, 'tag ' || t.id) order by t.ord)
                       from jsonb_array_elements_text(
                              case when jsonb_typeof(s.l -> 'tag_ids') = 'array' then s.l -> 'tag_ids' else '[]' end
                            ) with ordinality as t(id, ord)), '{}') as tags,
           passerelle.odoo_text(s.l -> 'description') as description,
           coalesce((s.l ->> 'active')::boolean, true) as active,
           passerelle.odoo_time(s.l -> 'create_date') as source_created_at,
           passerelle.odoo_time(s.l -> 'write_date') as source_updated_at
      from src s
      left join sync_partners p on p.id = s.partner_id
      left join public.customers cu_p
             on cu_p.company_id = company and cu_p.odoo_partner_id = coalesce(p.commercial_id, s.partner_id)
      left join public.customers cu_n
             on s.partner_id is null and cu_n.company_id = company and cu_n.odoo_partner_id is null
            and lower(cu_n.name) = lower(passerelle.odoo_text(s.l -> 'partner_name'))
      left join public.contacts ct on ct.company_id = company and ct.odoo_partner_id = s.partner_id and not p.is_company
  ),
  -- What this read says of the lead, hashed: the same hash is the same lead, whatever write_date says
  -- (Odoo renders it to the second, so two edits in one second share it).
  hashed as (
    select m.*, md5(jsonb_build_array(m.customer_id, m.contact_id, m.title, m.lead_type, m.contact_name,
             m.company_name, m.email, m.phone, m.expected_revenue, m.probability, m.priority, m.stage,
             m.salesperson, m.tags, m.description, m.active,
             -- times as UTC text: the hash must not depend on the session's TimeZone
             m.source_created_at at time zone 'UTC', m.source_updated_at at time zone 'UTC')::text)
             as source_hash
      from mapped m
  ),
  before as (
    select * from public.leads where source_email_id in (select m.source_email_id from mapped m)
  ),
  up as (
    insert into public.leads as t
      (company_id, source_email_id, odoo_id, customer_id, contact_id, title, lead_type, contact_name, company_name,
       email, phone, expected_revenue, probability, priority, stage, salesperson, tags, description, active,
       source_created_at, source_updated_at, source_hash, source)
    select m.company_id, m.source_email_id, m.odoo_id, m.customer_id, m.contact_id, m.title, m.lead_type,
           m.contact_name, m.company_name, m.email, m.phone, m.expected_revenue, m.probability, m.priority, m.stage,
           m.salesperson, m.tags, m.description, m.active, m.source_created_at, m.source_updated_at, m.source_hash,
           'odoo'
      from hashed m
    on conflict (source_email_id) do update
       set customer_id = excluded.customer_id, contact_id = excluded.contact_id, title = excluded.title,
           lead_type = excluded.lead_type, contact_name = excluded.contact_name, company_name = excluded.company_name,
           email = excluded.email, phone = excluded.phone, expected_revenue = excluded.expected_revenue,
           probability = excluded.probability, priority = excluded.priority, stage = excluded.stage,
           salesperson = excluded.salesperson, tags = excluded.tags, description = excluded.description,
           active = excluded.active, source_created_at = excluded.source_created_at,
           source_updated_at = excluded.source_updated_at, source_hash = excluded.source_hash, updated_at = now()
     -- Changed is what this read says differs from the previous read (issue 16: a second edit within the
     -- second of the first has the same write_date); edits made here to a lead are kept until Odoo's change.
     where t.source_hash is distinct from excluded.source_hash
    returning t.*
  ),
  hist as (
    insert into public.lead_history (lead_id, action, source, before, after)
    select up.id, case when b.id is null then 'insert' else 'update' end, 'odoo_sync', to_jsonb(b), to_jsonb(up)
      from up left join before b on b.id = up.id
    returning action
  )
  select count(*) filter (where action = 'insert'), count(*) filter (where action = 'update')
    into n_in, n_up from hist;

  update public.sync_state s
     set cursor_id = sync_odoo_leads_page.cursor_id, synced = s.synced + n_in, last_run_at = now(), updated_at = now()
   where s.source = sync_odoo_leads_page.source;

  return query select n_in, n_up, jsonb_array_length(leads) - n_in - n_up;
end $$;

