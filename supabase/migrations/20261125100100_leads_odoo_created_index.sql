-- The archive asks, on every call, when the sync last created a lead
-- (`max(created_at)` of the leads from Odoo: newer leads may have attachments
-- to discover). Without an index that is a scan of every lead; with this one,
-- one step down a small index (leads from imports or by hand are not in it).
create index leads_odoo_created_idx on public.leads (created_at) where source = 'odoo';
