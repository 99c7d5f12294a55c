begin;
select plan(4);

select passerelle.store_secrets('https://abc.supabase.co', 'eyJ.legacy.jwt');
select passerelle.invoke('archive-odoo-files') as rid \gset
select results_eq($$ select function_name from passerelle.requests $$, $$ values ('archive-odoo-files') $$,
  'invoke records which function each pg_net request calls');

-- pg_net's answer carries no URL, and this body names no function.
select is(
  passerelle.cron_health('archive-odoo-files', '{"active": true}', '[]',
    jsonb_build_array(jsonb_build_object('id', :rid, 'status_code', 401,
      'content', '{"code":"auth_invalid"}', 'timed_out', false, 'error_msg', null, 'created', now())),
    now(), null) ->> 'failing',
  'true', 'a 401 answer to its request makes the function''s cron failing');
select is(
  passerelle.cron_health('sync-odoo-leads', '{"active": true}', '[]',
    jsonb_build_array(jsonb_build_object('id', :rid, 'status_code', 401,
      'content', '{"code":"auth_invalid"}', 'timed_out', false, 'error_msg', null, 'created', now())),
    now(), null) ->> 'failing',
  'false', 'and not another function''s');
select matches(
  passerelle.cron_health('archive-odoo-files', '{"active": true}', '[]',
    jsonb_build_array(jsonb_build_object('id', :rid, 'status_code', null,
      'content', null, 'timed_out', true, 'error_msg', 'Timeout of 120000 ms reached', 'created', now())),
    now(), null) ->> 'message',
  'Timeout', 'a timed-out request shows with pg_net''s message');

select * from finish();
rollback;
