-- Issue 16, point 3: customers as Odoo has them, once.
--
-- A customer carries its commercial partner's own e-mail, phone and address (the sync now reads the leads'
-- partners with their parents, so a company whose leads all point at its people is read too). A lead with no
-- partner but a `partner_name` is the customer of an Odoo partner of that name when one exists
-- (case-insensitive, within the company); the name-only duplicates that exist are merged into it: their leads
-- and contacts repointed (each lead's change in lead_history), then removed.
alter table public.customers
  add column street text,
  add column street2 text,
  add column postal_code text,
  add column city text,
  add column country text;
-- Customers by name, linked or not (the sync's and the merge's lookups).
create index customers_company_lower_name_idx on public.customers (company_id, lower(name));

-- Merges, within `company`, each name-only customer into the customer linked to an Odoo partner of the
-- same name (case-insensitive; the oldest such customer when several are): leads and contacts move to it,
-- every moved lead gets an 'update' row in lead_history (source 'customer_merge'), and the name-only
-- customer is removed. `names` (lowercased) limits the merge to those names; null merges them all.
-- Returns the number of customers merged.
create function passerelle.merge_name_only_customers(company bigint, names text[] default null)
returns integer
language plpgsql volatile set search_path = '' as $$
declare
  merged integer;
begin
  create temporary table if not exists customer_merges (from_id bigint primary key, to_id bigint not null)
    on commit drop;
  truncate customer_merges;
  insert into customer_merges
  select u.id, (select l.id from public.customers l
                 where l.company_id = u.company_id and lower(l.name) = lower(u.name) and l.odoo_partner_id is not null
                 order by l.id limit 1)
    from public.customers u
   where u.company_id = company and u.odoo_partner_id is null
     and (names is null or lower(u.name) = any(names))
     and exists (select 1 from public.customers l
                  where l.company_id = u.company_id and lower(l.name) = lower(u.name) and l.odoo_partner_id is not null);
  get diagnostics merged = row_count;
  if merged = 0 then
    return 0;
  end if;
  with moved as (
    update public.leads t set customer_id = m.to_id, updated_at = now()
      from customer_merges m where t.customer_id = m.from_id
    returning t.*, m.from_id
  )
  insert into public.lead_history (lead_id, action, source, before, after)
  select id, 'update', 'customer_merge',
         jsonb_set(to_jsonb(moved) - 'from_id', '{customer_id}', to_jsonb(from_id)), to_jsonb(moved) - 'from_id'
    from moved;
  update public.contacts ct set customer_id = m.to_id, updated_at = now()
    from customer_merges m where ct.customer_id = m.from_id;
  delete from public.customers c using customer_merges m where c.id = m.from_id;
  return merged;
end $$;
revoke all on function passerelle.merge_name_only_customers(bigint, text[]) from public;
grant execute on function passerelle.merge_name_only_customers(bigint, text[]) to service_role;

-- The duplicates the sync made before this migration.
select passerelle.merge_name_only_customers(id) from public.companies;

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
    email text, phone text, street text, street2 text, postal_code text, city text, country text
  ) on commit drop;
  truncate sync_partners;
  insert into sync_partners
  select distinct on ((p ->> 'id')::integer)
         (p ->> 'id')::integer, passerelle.odoo_text(p -> 'name'), coalesce((p ->> 'is_company')::boolean, false),
         coalesce(passerelle.odoo_m2o_id(p -> 'commercial_partner_id'), (p ->> 'id')::integer),
         passerelle.odoo_m2o_name(p -> 'commercial_partner_id'),
         passerelle.odoo_text(p -> 'email'), passerelle.odoo_text(p -> 'phone'),
         passerelle.odoo_text(p -> 'street'), passerelle.odoo_text(p -> 'street2'),
         passerelle.odoo_text(p -> 'zip'), passerelle.odoo_text(p -> 'city'),
         passerelle.odoo_m2o_name(p -> 'country_id')
    from jsonb_array_elements(partners) p;

  -- Customers: the commercial partner (the company, or the person who buys alone) of each lead's
  -- partner, with its own e-mail, phone and address, exactly as Odoo has them. The sync reads the
  -- partners with their parents (`parent_of`), so the commercial partner is read even when no lead
  -- points at it.
  insert into public.customers as c
    (company_id, odoo_partner_id, name, email, phone, street, street2, postal_code, city, country)
  select company, self.id, coalesce(self.name, 'Odoo partner ' || self.id), self.email, self.phone,
         self.street, self.street2, self.postal_code, self.city, self.country
    from sync_partners self
   where self.id in (select p.commercial_id from sync_partners p)
  on conflict (company_id, odoo_partner_id) do update
     set name = excluded.name, email = excluded.email, phone = excluded.phone, street = excluded.street,
         street2 = excluded.street2, postal_code = excluded.postal_code, city = excluded.city,
         country = excluded.country, updated_at = now()
   where (c.name, c.email, c.phone, c.street, c.street2, c.postal_code, c.city, c.country) is distinct from
         (excluded.name, excluded.email, excluded.phone, excluded.street, excluded.street2, excluded.postal_code,
          excluded.city, excluded.country);
  -- A commercial partner Odoo did not let us read (record rules): known by the name its people show.
  insert into public.customers as c (company_id, odoo_partner_id, name)
  select distinct on (p.commercial_id) company, p.commercial_id,
         coalesce(p.commercial_name, p.name, 'Odoo partner ' || p.commercial_id)
    from sync_partners p
   where not exists (select 1 from sync_partners self where self.id = p.commercial_id)
   order by p.commercial_id
  on conflict (company_id, odoo_partner_id) do update set name = excluded.name, updated_at = now()
   where c.name is distinct from excluded.name;

  -- Name-only customers that turn out to be an Odoo partner's are that customer (issue 16: duplicates).
  perform passerelle.merge_name_only_customers(company,
    (select array_agg(distinct lower(self.name)) from sync_partners self
      where self.id in (select p.commercial_id from sync_partners p)));

  -- Customers known by name only: a lead without partner but with a company name that no customer
  -- linked to an Odoo partner has (case-insensitive, within the company).
  insert into public.customers (company_id, name)
  select distinct on (lower(n)) company, n
    from (select passerelle.odoo_text(l -> 'partner_name') as n from jsonb_array_elements(leads) l
           where passerelle.odoo_m2o_id(l -> 'partner_id') is null) s
   where n is not null
     and not exists (select 1 from public.customers c
                      where c.company_id = company and lower(c.name) = lower(s.n) and c.odoo_partner_id is not null)
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
    select l, (l ->> 'id')::integer as oid, passerelle.odoo_m2o_id(l -> 'partner_id') as partner_id,
           lower(passerelle.odoo_text(l -> 'partner_name')) as partner_lname
      from jsonb_array_elements(leads) l
  ),
  -- By name: the customer of an Odoo partner of that name first, else the name-only one (one row per
  -- name of the page, joined by hash: a per-lead lookup costs a millisecond each).
  by_name as (
    select distinct on (lower(c.name)) lower(c.name) as lname, c.id
      from public.customers c
     where c.company_id = company
       and lower(c.name) in (select s.partner_lname from src s where s.partner_id is null)
     order by lower(c.name), c.odoo_partner_id is null, c.id
  ),
  mapped as (
    select company as company_id,
           'odoo_crm_' || s.oid as source_email_id,
           s.oid as odoo_id,
           s.partner_id as partner_odoo_id,
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
      left join by_name cu_n on s.partner_id is null and cu_n.lname = s.partner_lname
      left join public.contacts ct on ct.company_id = company and ct.odoo_partner_id = s.partner_id and not p.is_company
  ),
  -- What this read says of the lead, hashed: the same hash is the same lead, whatever write_date says
  -- (Odoo renders it to the second, so two edits in one second share it). The partner is hashed as Odoo
  -- gives it, not as the customer it maps to: a merge of customers moves leads without Odoo changing them.
  hashed as (
    select m.*, md5(jsonb_build_array(m.partner_odoo_id, m.title, m.lead_type, m.contact_name,
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


revoke all on function passerelle.sync_odoo_leads_page(text, bigint, jsonb, jsonb, jsonb, bigint) from public;
grant execute on function passerelle.sync_odoo_leads_page(text, bigint, jsonb, jsonb, jsonb, bigint) to service_role;
