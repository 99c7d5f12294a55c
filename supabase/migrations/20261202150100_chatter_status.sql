-- The chatter syncs in the status document (README, "Status"): one entry each for sync-odoo-activities and
-- sync-odoo-messages, as the lead sync's card has them: rows read from Odoo and written (inserted or
-- rewritten) over all calls, rows stored, the cursor and phase, the last run, errors and the sync's notice
-- (what it goes on without, e.g. tracking values Odoo refuses to a non-admin login). Read beside
-- passerelle.status() by readStatus (functions-shared/status/read_status.ts), as file_exceptions is.
--
-- Shape: [{ key, function_name, label, unit, stored, linked, read, written, phase, cursor_id, passes,
--           caught_up_at, notice, last_batch_at, last_success_at, last_failure_at, last_failure_message,
--           running_calls, active, alive, recent_errors }]
create function passerelle.chatter_status(stale interval default interval '2 minutes', at timestamptz default null)
returns jsonb
language sql stable security definer set search_path = '' as $$
  with clock as (select coalesce(at, now()) as t),
  syncs (ord, key, fn, source, label, unit) as (
    values (1, 'activities', 'sync-odoo-activities', 'odoo_activities', 'Odoo activities', 'activities'),
           (2, 'messages', 'sync-odoo-messages', 'odoo_messages', 'Odoo messages', 'messages')
  ),
  stored as (
    select 'activities' as key, count(*) as n, count(lead_id) as linked
      from public.activities where odoo_id is not null and odoo_res_id is not null
    union all
    select 'messages', count(*), count(lead_id) from public.lead_messages
  ),
  -- Each call's log row carries what its pages read: inserted, updated (both written) and unchanged.
  counted as (
    select l.function_name,
           sum(coalesce((l.details ->> 'inserted')::bigint, 0) + coalesce((l.details ->> 'updated')::bigint, 0)
               + coalesce((l.details ->> 'unchanged')::bigint, 0)) as read,
           sum(coalesce((l.details ->> 'inserted')::bigint, 0) + coalesce((l.details ->> 'updated')::bigint, 0))
             as written
      from public.migration_logs l, clock
     where l.function_name in ('sync-odoo-activities', 'sync-odoo-messages') and l.created_at <= clock.t
       and l.minute is null and l.status = 'success'
     group by l.function_name
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'key', y.key, 'function_name', y.fn, 'label', y.label, 'unit', y.unit,
      'stored', coalesce(st.n, 0), 'linked', coalesce(st.linked, 0),
      'read', coalesce(c.read, 0), 'written', coalesce(c.written, 0),
      'phase', s.phase, 'cursor_id', s.cursor_id, 'passes', coalesce(s.passes, 0),
      'caught_up_at', s.caught_up_at, 'notice', s.notice,
      'last_batch_at', a -> 'last_batch_at',
      'last_success_at', a -> 'last_success_at',
      'last_failure_at', a -> 'last_failure_at',
      'last_failure_message', a -> 'last_failure_message',
      'running_calls', a -> 'running_calls',
      'active', a -> 'active',
      'alive', a -> 'alive',
      'recent_errors', a -> 'recent_errors'
    ) order by y.ord), '[]')
    from syncs y
    cross join clock
    left join public.sync_state s on s.source = y.source
    left join stored st on st.key = y.key
    left join counted c on c.function_name = y.fn
    cross join lateral passerelle.function_activity(y.fn, clock.t, stale) as a
$$;

revoke all on function passerelle.chatter_status(interval, timestamptz) from public;
grant execute on function passerelle.chatter_status(interval, timestamptz) to service_role;
