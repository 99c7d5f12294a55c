-- Asks archive-odoo-files for a new discovery pass at its next call (`deno task migrate` does, once the
-- leads are synced). Discovery starts a pass by itself once leads were created since the last one, but
-- it compares with the leads' created_at, the time their sync transaction began: a pass that ran while
-- the last sync page was being written saw none of its leads and still counts as later. A pass under way
-- (cursor past 0) is left to finish. Returns the moment asked, from which a pass counts as new.
create function passerelle.rediscover_attachments()
returns timestamptz
language sql volatile set search_path = '' as $$
  update public.sync_state set caught_up_at = null, updated_at = now()
   where source = 'odoo_attachments' and cursor_id = 0;
  select now();
$$;
revoke all on function passerelle.rediscover_attachments() from public;
grant execute on function passerelle.rediscover_attachments() to service_role;
