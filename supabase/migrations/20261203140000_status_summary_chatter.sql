-- The chatter in the one-query status (README, "Status"): `select * from passerelle.status_summary()` gains
-- a row for each chatter sync (`activities`, `messages`), after the migrations and before the imports, from
-- passerelle.chatter_status(). Their progress says what is stored and whether the sync has caught up, and
-- carries the sync's notice (what it goes on without, e.g. the tracking values Odoo refuses to a login
-- without Settings rights). A chatter sync has no total in Odoo that it counts, so percent, remaining, rate
-- and eta stay null; cron is null too: chatter_status does not report the cron jobs.
create or replace function passerelle.status_summary(stale interval default interval '2 minutes', at timestamptz default null)
returns table (
  migration text,
  progress text,
  percent numeric,
  failed bigint,
  remaining bigint,
  rate numeric,
  eta interval,
  alive boolean,
  active boolean,
  last_success_at timestamptz,
  cron text,
  last_error text
)
language sql stable set search_path = '' as $$
  with doc as (select passerelle.status(stale, at) as d),
  items as (
    select m, o from doc, jsonb_array_elements(doc.d -> 'migrations') with ordinality as e(m, o)
    union all
    select m, 100 + o from doc, jsonb_array_elements(doc.d -> 'imports') with ordinality as e(m, o)
  ),
  chatter as (
    select c, 50 + o as o
      from jsonb_array_elements(passerelle.chatter_status(stale, at)) with ordinality as e(c, o)
  )
  select migration, progress, percent, failed, remaining, rate, eta, alive, active, last_success_at, cron,
         last_error
    from (
      select m ->> 'key' as migration,
             to_char((m ->> 'done')::bigint, 'FM999,999,999,990') || ' / '
               || coalesce(to_char((m ->> 'total')::bigint, 'FM999,999,999,990'), '?') || ' ' || (m ->> 'unit')
               as progress,
             (m ->> 'percent')::numeric as percent,
             (m ->> 'failed')::bigint as failed,
             (m ->> 'remaining')::bigint as remaining,
             (m ->> 'rate')::numeric as rate,
             make_interval(secs => (m ->> 'eta_s')::double precision) as eta,
             (m ->> 'alive')::boolean as alive,
             (m ->> 'active')::boolean as active,
             (m ->> 'last_success_at')::timestamptz as last_success_at,
             case when m -> 'cron' is null then null
                  when (m ->> 'paused')::boolean then 'paused' || coalesce(': ' || (m ->> 'paused_reason'), '')
                  when (m -> 'cron' ->> 'failing')::boolean then 'failing: ' || (m -> 'cron' ->> 'message')
                  when not (m -> 'cron' ->> 'scheduled')::boolean then 'not scheduled'
                  when not (m -> 'cron' ->> 'active')::boolean then 'inactive'
                  else 'ok (' || (m -> 'cron' ->> 'schedule') || ')' end as cron,
             m -> 'recent_errors' -> 0 ->> 'message' as last_error,
             o
        from items
      union all
      select c ->> 'key',
             to_char((c ->> 'stored')::bigint, 'FM999,999,999,990') || ' ' || (c ->> 'unit') || ' stored'
               || case when c ->> 'caught_up_at' is not null then ', caught up' else '' end
               || coalesce('; ' || (c ->> 'notice'), ''),
             null, null, null, null, null,
             (c ->> 'alive')::boolean,
             (c ->> 'active')::boolean,
             (c ->> 'last_success_at')::timestamptz,
             null,
             c -> 'recent_errors' -> 0 ->> 'message',
             o
        from chatter
    ) rows
   order by o
$$;
