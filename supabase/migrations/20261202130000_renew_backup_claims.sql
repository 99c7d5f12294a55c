-- The backup import's heartbeat: it claims every row it will store before it reads the first file (so
-- that archive-odoo-files, running meanwhile, finds none of them to take and chains nothing), and renews
-- those claims while it runs, so that a killed import's rows go back to the queue when the lease runs
-- out. Renews only the claims still held under their token (`claims`: [{id, leased_until}]), and
-- returns each renewed row's new token.

create function passerelle.renew_backup_files(claims jsonb, lease interval)
returns table (id bigint, leased_until timestamptz)
language sql volatile set search_path = '' as $$
  update public.lead_files f
     set leased_until = now() + lease, updated_at = now()
    from jsonb_to_recordset(claims) as d(id bigint, leased_until timestamptz)
   where f.id = d.id and f.status = 'claimed' and f.leased_until = d.leased_until
  returning f.id, f.leased_until;
$$;

revoke all on function passerelle.renew_backup_files(jsonb, interval) from public;
grant execute on function passerelle.renew_backup_files(jsonb, interval) to service_role;
