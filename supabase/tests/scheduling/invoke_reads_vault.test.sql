begin;
select plan(8);

select throws_ok($$ select passerelle.invoke('archive-odoo-files') $$, 'P0001',
  null, 'without secrets, invoke fails loudly instead of sending no Authorization header');
select throws_like($$ select passerelle.invoke('archive-odoo-files') $$,
  '%Vault secret "project_url" is missing%', 'and says which secret is missing');

select passerelle.store_secrets('https://abc.supabase.co/', 'eyJ.legacy.jwt');
select isnt(passerelle.invoke('archive-odoo-files'), null, 'with secrets, a request is queued');
select results_eq($$ select url, headers, timeout_milliseconds from net.http_request_queue $$,
  $$ values ('https://abc.supabase.co/functions/v1/archive-odoo-files',
             '{"Content-Type": "application/json", "Authorization": "Bearer eyJ.legacy.jwt"}'::jsonb, 120000) $$,
  'to <project url>/functions/v1/<name>, with the key as a bearer token and an explicit timeout');

select passerelle.store_secrets('https://abc.supabase.co', 'sb_secret_new_style');
select is((select count(*)::int from vault.secrets where name in ('project_url', 'service_role_key')), 2,
  'storing again rotates the secrets in place');
truncate net.http_request_queue;
select passerelle.invoke('archive-odoo-files');
select is((select headers from net.http_request_queue),
  '{"apikey": "sb_secret_new_style", "Content-Type": "application/json"}'::jsonb,
  'a new-style secret key travels in the apikey header');

select passerelle.pause('archive-odoo-files');
select is(passerelle.invoke('archive-odoo-files'), null, 'a paused function is not called');

select throws_like($$ select passerelle.schedule('archive-odoo-files', '*/30 * * * * *') $$,
  '%five fields%', 'six-field schedules (silently run once a minute by pg_cron 1.4) are refused');

select * from finish();
rollback;
