-- Activity imports (issue 14): every type kept as written, and activities
-- linked to their leads set-based at any size.
--
-- 1. `activities.activity_type` holds the known kind of an activity (Odoo's
--    default types: email, call, meeting, todo, upload_document,
--    request_signature, exception), or null for a type of the company's own
--    (« Relance devis »); `type_label` holds the type as the file (or Odoo)
--    writes it. Nothing is refused for its type. (No CHECK on the kind: the
--    column had none, and rows written before stay as they are.)
-- 2. `import_commit_activities` looked each activity's lead up with
--    `lower(l.email) = … order by l.id limit 1`, which PostgreSQL plans, once
--    `leads` is analysed, as a walk of `leads_pkey` in id order that reads
--    every lead of the table when none matches: 248 ms per unmatched activity
--    at 194k leads, 131 s for one call. It now joins the range's activities to
--    the leads in one statement per range, each key by an index probe on the
--    index it already has (`leads_company_external_id_idx`, `source_email_id`'s
--    unique index, `leads_odoo_id_idx`, `leads_company_email_idx` on
--    `lower(email)`, `leads_company_phone_idx`): a few microseconds per
--    activity and key, however many leads there are (measured: 12,139 probes
--    of the reference index in 24 ms at 200,000 leads). No new index is
--    needed. What it cannot link beyond doubt it refuses, saying why.
alter table public.activities add column type_label text;
comment on column public.activities.activity_type is
  'The known kind of the activity (Odoo''s default types: email, call, meeting, todo, upload_document, request_signature, exception), null for a type of its own; type_label has the type as written.';
comment on column public.activities.type_label is 'The activity''s type as its file or Odoo writes it (« Relance devis »).';

-- Commits the rows of an activities job numbered from_row to to_row
-- (inclusive). Each activity names its lead by reference, e-mail or phone;
-- the keys are tried in that order, and the first key of the row that finds
-- any lead of the company decides:
--   - reference: a lead whose `external_id` is it (a lead imported with that
--     id), or whose `source_email_id` is it (`odoo_crm_<id>`), or, for a
--     number, whose `odoo_id` is it (Odoo's `res_id`, « ID du document
--     associé »);
--   - e-mail: a lead whose `lower(email)` is it (e-mails are lower-cased by
--     both the import and the sync);
--   - phone: a lead whose `phone` is it (E.164).
-- One lead found: the activity is linked to it. Several (two leads sharing an
-- e-mail, or a reference that is one lead's external id and another's Odoo
-- id): the activity is ambiguous, linked to none, and its row invalid with
-- `activity_lead_ambiguous` naming the key, the count and the first five lead
-- ids: the commit never guesses among them. None for any key: the row is
-- invalid with `activity_lead_not_found` naming every key it gave.
-- Rows of the range already committed or refused are left alone, so a range
-- run again (a call that died after its statement) changes nothing.
create or replace function passerelle.import_commit_activities(p_job uuid, from_row integer, to_row integer)
returns jsonb
language plpgsql volatile set search_path = '' set jit = off as $$
declare
  j public.import_jobs;
  assign_mode text;
  assign_one uuid;
  robin uuid[];
  ins integer := 0;
  bad integer := 0;
  amb integer := 0;
  dup integer := 0;
begin
  select * into j from public.import_jobs where id = p_job for update;
  assign_mode := j.options -> 'assignment' ->> 'mode';
  if assign_mode = 'single' then assign_one := (j.options -> 'assignment' ->> 'userId')::uuid; end if;
  if assign_mode = 'round_robin' then
    robin := coalesce(array(select jsonb_array_elements_text(j.options -> 'assignment' -> 'userIds')::uuid),
                      '{}');
  end if;

  -- One statement: every lead each activity's keys find (the best key's
  -- only), the activities whose lead is one lead inserted and their rows
  -- committed, the others refused with their reason.
  -- (`acts` holds the keys only: the rows' jsonb, sorted with them, spilled to disk.)
  with acts as materialized (
    select r.row_number, r.data ->> 'leadRef' as ref, r.data ->> 'leadEmail' as email,
           r.data ->> 'leadPhone' as phone,
           case when r.data ->> 'leadRef' ~ '^[0-9]{1,9}$' then (r.data ->> 'leadRef')::integer end as odoo_id
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row
       and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy <> 'skip'))),
  -- One index probe per activity and key (`offset 0` keeps each lateral
  -- subquery a probe: flattened into a join, PostgreSQL may scan all the
  -- company's leads instead, which grows with them).
  hits as (
    select a.row_number, 1 as rank, l.id from acts a
     cross join lateral (select l.id from public.leads l
                          where l.company_id = j.company_id and l.external_id = a.ref offset 0) l
     where a.ref is not null
    union
    select a.row_number, 1, l.id from acts a
     cross join lateral (select l.id from public.leads l
                          where l.source_email_id = a.ref and l.company_id = j.company_id offset 0) l
     where a.ref is not null
    union
    select a.row_number, 1, l.id from acts a
     cross join lateral (select l.id from public.leads l
                          where l.odoo_id = a.odoo_id and l.company_id = j.company_id offset 0) l
     where a.odoo_id is not null
    union
    select a.row_number, 2, l.id from acts a
     cross join lateral (select l.id from public.leads l
                          where l.company_id = j.company_id and l.email is not null and lower(l.email) = a.email
                          offset 0) l
     where a.email is not null
    union
    select a.row_number, 3, l.id from acts a
     cross join lateral (select l.id from public.leads l
                          where l.company_id = j.company_id and l.phone = a.phone offset 0) l
     where a.phone is not null),
  ranked as (
    select h.row_number, h.rank, h.id, min(h.rank) over (partition by h.row_number) as best from hits h),
  matched as materialized (
    select k.row_number, k.rank, count(*)::integer as n, min(k.id) as lead_id,
           (array_agg(k.id order by k.id))[1:5] as leads
      from ranked k where k.rank = k.best
     group by k.row_number, k.rank),
  new_acts as (
    insert into public.activities (company_id, lead_id, activity_type, type_label, summary, note, due_date,
                                   assigned_to, assigned_name, import_job_id, external_id)
    select j.company_id, m.lead_id, r.data ->> 'type', r.data ->> 'typeLabel', r.data ->> 'summary',
           r.data ->> 'note', (left(r.data ->> 'dueDate', 10))::date,
           case assign_mode
             when 'single' then assign_one
             when 'round_robin' then robin[r.row_number % greatest(cardinality(robin), 1) + 1]
             when 'by_column' then u.id
           end,
           r.data ->> 'assignedTo', p_job, p_job::text || ':' || r.row_number
      from matched m
      join public.import_rows r on r.job_id = p_job and r.row_number = m.row_number
      left join lateral (
        select u.id from auth.users u
         where assign_mode = 'by_column' and lower(u.email) = lower(r.data ->> 'assignedTo') limit 1) u on true
     where m.n = 1
    returning id, external_id),
  committed as (
    update public.import_rows r set status = 'committed', target_id = n.id, updated_at = now()
      from new_acts n
     where r.job_id = p_job and r.row_number = split_part(n.external_id, ':', 2)::integer
    returning r.row_number),
  refused as (
    update public.import_rows r
       set status = 'invalid', updated_at = now(),
           errors = jsonb_build_array(case
             when m.n > 1 then jsonb_build_object(
               'row', a.row_number,
               'field', (array['leadRef', 'leadEmail', 'leadPhone'])[m.rank],
               'code', 'activity_lead_ambiguous',
               'params', jsonb_build_object(
                 'reason', 'ambiguous',
                 'key', (array['ref', 'email', 'phone'])[m.rank],
                 'value', case m.rank when 1 then a.ref when 2 then a.email else a.phone end,
                 'count', m.n,
                 'leads', array_to_string(m.leads, chr(31))))
             else jsonb_build_object(
               'row', a.row_number,
               'field', case when a.ref is not null then 'leadRef'
                             when a.email is not null then 'leadEmail' else 'leadPhone' end,
               'code', 'activity_lead_not_found',
               'params', jsonb_strip_nulls(jsonb_build_object(
                 'reason', 'not_found', 'ref', a.ref, 'email', a.email, 'phone', a.phone)))
           end)
      from acts a left join matched m on m.row_number = a.row_number
     where (m.row_number is null or m.n > 1) and r.job_id = p_job and r.row_number = a.row_number
    returning m.n > 1 as ambiguous)
  select (select count(*) from committed), (select count(*) from refused),
         (select count(*) from refused f where f.ambiguous)
    into ins, bad, amb;

  update public.import_rows r set status = 'skipped', updated_at = now()
   where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'duplicate';
  get diagnostics dup = row_count;

  update public.import_jobs set
    committed_rows = committed_rows + ins,
    inserted_rows = inserted_rows + ins,
    skipped_rows = skipped_rows + dup,
    invalid_rows = invalid_rows + bad,
    valid_rows = valid_rows - bad,
    checkpoint = checkpoint || jsonb_build_object('commitRow', to_row + 1),
    attempts = 0,
    updated_at = now()
   where id = p_job;
  return jsonb_build_object('inserted', ins, 'updated', 0, 'skipped', dup, 'unlinked', bad - amb,
                            'ambiguous', amb);
end $$;

revoke execute on function passerelle.import_commit_activities(uuid, integer, integer) from public;
