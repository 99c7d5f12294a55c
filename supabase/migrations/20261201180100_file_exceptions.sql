-- Attachments that will never be stored, with their real reason, for the status document:
--   links    url attachments (`odoo_type = 'url'`): a link, not a file; their lead_files rows fail
--            `attachment_url`;
--   orphans  attachments whose lead was deleted in Odoo: the archive cannot read them (`lead_missing`
--            on their row) and the backup holds them with no lead here to attach them to (recorded by
--            import-dump in `passerelle.backup_orphans`, since they have no lead_files row).
-- A lead missing here is "deleted in Odoo" only once the sync has read every lead (sync_state caught
-- up, or a pass finished); before that the reason says to sync first.

create table passerelle.backup_orphans (
  odoo_id integer primary key,
  -- The crm.lead id the attachment names.
  res_id integer not null,
  name text not null,
  file_size bigint,
  store_fname text,
  seen_at timestamptz not null default now()
);
revoke all on passerelle.backup_orphans from public;
grant select, insert, update, delete on passerelle.backup_orphans to service_role;

-- Records the orphans one import-dump run saw (`orphans`: [{odoo_id, res_id, name, file_size,
-- store_fname}]); an attachment seen again is updated. Returns the rows written.
create function passerelle.record_backup_orphans(orphans jsonb)
returns integer
language sql volatile set search_path = '' as $$
  with w as (
    insert into passerelle.backup_orphans (odoo_id, res_id, name, file_size, store_fname)
    select o.odoo_id, o.res_id, o.name, o.file_size, o.store_fname
      from jsonb_to_recordset(orphans) as o(odoo_id integer, res_id integer, name text, file_size bigint,
                                            store_fname text)
    on conflict (odoo_id) do update
      set res_id = excluded.res_id, name = excluded.name, file_size = excluded.file_size,
          store_fname = excluded.store_fname, seen_at = now()
    returning 1)
  select count(*)::integer from w;
$$;

-- {"links": {count, reason, items: [...]}, "orphans": {count, reason, items: [...]}}, items the first
-- `max_items` by odoo id: {odoo_id, name, lead_id | crm_lead_id, reason}.
create function passerelle.file_exceptions(max_items integer default 20)
returns jsonb
language sql stable security definer set search_path = '' as $$
  with synced as (
    -- Caught up, or a pass finished: the sync read every lead Odoo had (import-dump's deletedLeadTest too).
    select coalesce(bool_or(s.caught_up_at is not null or s.passes > 0), false) as caught_up
      from public.sync_state s where s.source = 'odoo_leads'
  ),
  links as (
    select f.odoo_id, f.name, f.lead_id,
           coalesce(f.last_error, 'a link (type url), not a file: there is nothing to store') as reason
      from public.lead_files f
     where f.odoo_type = 'url' or f.error_code = 'attachment_url'
  ),
  orphans as (
    select o.odoo_id, o.name, o.res_id as crm_lead_id, o.file_size from passerelle.backup_orphans o
     where not exists (select 1 from public.leads l where l.odoo_id = o.res_id)
       and not exists (select 1 from public.lead_files f where f.odoo_id = o.odoo_id)
    union all
    select f.odoo_id, f.name, l.odoo_id, f.file_size
      from public.lead_files f join public.leads l on l.id = f.lead_id
     where f.status = 'failed' and f.error_code = 'lead_missing'
  ),
  orphan_items as (
    select o.*, case when (select caught_up from synced)
                     then format('its lead (crm.lead %s) was deleted in Odoo: the file has no lead to belong to',
                                 o.crm_lead_id)
                     else format('its lead (crm.lead %s) is not synced yet: run sync-odoo-leads to its end, '
                                 'then import-dump again', o.crm_lead_id)
                end as reason
      from orphans o
  )
  select jsonb_build_object(
    'links', jsonb_build_object(
      'count', (select count(*) from links),
      'reason', 'links (url attachments), not files: there is nothing to store',
      'items', coalesce((select jsonb_agg(to_jsonb(x) order by x.odoo_id)
                           from (select * from links order by odoo_id limit max_items) x), '[]')),
    'orphans', jsonb_build_object(
      'count', (select count(*) from orphan_items),
      'reason', case when (select caught_up from synced)
                     then 'attachments whose lead was deleted in Odoo: they have no lead to belong to'
                     else 'attachments whose lead is not synced yet: sync the leads, then import the backup again'
                end,
      'items', coalesce((select jsonb_agg(to_jsonb(x) order by x.odoo_id)
                           from (select * from orphan_items order by odoo_id limit max_items) x), '[]')));
$$;

revoke all on function passerelle.record_backup_orphans(jsonb) from public;
revoke all on function passerelle.file_exceptions(integer) from public;
grant execute on function passerelle.record_backup_orphans(jsonb) to service_role;
grant execute on function passerelle.file_exceptions(integer) to service_role;
