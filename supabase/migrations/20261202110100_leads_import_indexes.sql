-- What each index of `leads` costs an import, per million rows inserted
-- (`deno task bench imports`, the floor without it, README « Imports »), and
-- what is kept:
--
-- - `leads_import_job_idx` (import_job_id) goes: no query of the product looks
--   leads up by their job (undo walks `lead_history_job_lead_idx`, the
--   duplicate checks filter a lead found by its key), and every imported lead
--   paid an entry.
-- - `leads_customer_idx` (customer_id) held an entry for every lead, imported
--   leads (no customer) included; it serves `customer_id = …` (the merge of
--   Odoo customers, `on delete set null` from `customers`), which a partial
--   index without the nulls serves as well.
drop index public.leads_import_job_idx;
drop index public.leads_customer_idx;
create index leads_customer_idx on public.leads (customer_id) where customer_id is not null;
