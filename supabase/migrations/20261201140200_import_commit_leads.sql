-- The leads commit writes every value of the file (issue 14): the new lead
-- columns (names, mobile, city, postal code, country, SIRET, tags as split and
-- as written) and `extra_fields`, the file's other columns by header. And a
-- range first checks its valid rows again against the leads that exist now
-- (`import_recheck_duplicates`, issue 13), so that a lead created between the
-- parse and the commit makes its row follow the job's strategy.
--
-- External ids are unique per company (`leads_company_external_id_idx`): a
-- duplicate inserted under `create` is a second lead of the same person and
-- carries no external id in its column (the id stays in `extra_fields`, under
-- the file's header), so that no insert can hit the index.
--
-- Assignment user ids that name no user are left unassigned rather than
-- failing the range on `leads_assigned_to_fkey` (the start checks them too).

-- The user a row is assigned to, by the job's assignment options; null for a user that does not exist.
create or replace function passerelle.import_assignee(opts jsonb, row_number integer, column_value text)
returns uuid
language sql stable set search_path = '' as $$
  select u.id from auth.users u
   where u.id = case opts -> 'assignment' ->> 'mode'
     when 'single' then (opts -> 'assignment' ->> 'userId')::uuid
     when 'round_robin' then (opts -> 'assignment' -> 'userIds'
       ->> (row_number % greatest(jsonb_array_length(opts -> 'assignment' -> 'userIds'), 1)))::uuid
     when 'by_column' then (select u2.id from auth.users u2
                             where column_value is not null and lower(u2.email) = lower(column_value) limit 1)
     else null end
$$;

-- Commits the rows of a leads job numbered from_row to to_row (inclusive),
-- set-based: new leads inserted, duplicates skipped, updated or created as
-- the job's strategy says, a `lead_history` row for every lead written, and
-- the job's counts in the same transaction (see 20261125100000 for how
-- ranges run at once and are recorded in `passerelle.import_commits`).
--
-- Under `update`, a lead is updated by the first row of the file that
-- duplicates it; later rows naming the same lead (`target_row` set) are
-- skipped, so that a lead is written once per import.
--
-- No JIT (compiling the statement cost more than running it on a range) and
-- no call per row of `import_assignee` on the insert path (a SQL function with
-- its own search_path is not inlined): its logic is written out here.
create or replace function passerelle.import_commit_leads(p_job uuid, from_row integer, to_row integer)
returns jsonb
language plpgsql volatile set search_path = '' set enable_nestloop = off set jit = off as $$
declare
  j public.import_jobs;
  assign_mode text;
  assign_one uuid;
  robin uuid[];
  ext_header text;
  rechecked integer := 0;
  ins integer := 0;
  upd integer := 0;
  dup integer := 0;
begin
  -- Claims the range; waits for a statement committing it now, and then finds it taken.
  insert into passerelle.import_commits (job_id, from_row, to_row)
  values (p_job, from_row, to_row) on conflict do nothing;
  if not found then
    return jsonb_build_object('inserted', 0, 'updated', 0, 'skipped', 0, 'already', true);
  end if;

  select * into j from public.import_jobs where id = p_job;
  assign_mode := j.options -> 'assignment' ->> 'mode';
  if assign_mode = 'single' then
    select u.id into assign_one from auth.users u where u.id = (j.options -> 'assignment' ->> 'userId')::uuid;
  end if;
  if assign_mode = 'round_robin' then
    robin := coalesce(array(
      select u.id from jsonb_array_elements_text(j.options -> 'assignment' -> 'userIds') with ordinality a(v, k)
        join auth.users u on u.id = a.v::uuid order by a.k), '{}');
  end if;
  ext_header := coalesce((select c ->> 'header' from jsonb_array_elements(j.payload -> 'columns') c
                           where c ->> 'to' = 'external_id' limit 1), 'external_id');

  rechecked := passerelle.import_recheck_duplicates(p_job, from_row, to_row);

  with new_leads as (
    insert into public.leads (company_id, external_id, title, contact_name, first_name, last_name, company_name,
                              email, phone, mobile, expected_revenue, probability, stage, salesperson,
                              description, source, source_created_at, city, postal_code, country, siret,
                              tags, tags_text, extra_fields, assigned_to, import_job_id, import_row)
    select j.company_id,
           case when r.dedup_key is null then r.data ->> 'externalId' end,
           r.data ->> 'title', r.data ->> 'contactName', r.data ->> 'firstName', r.data ->> 'lastName',
           r.data ->> 'company', r.data ->> 'email',
           coalesce(r.data ->> 'phone', r.data ->> 'mobile'), r.data ->> 'mobile',
           (r.data ->> 'expectedRevenue')::numeric, (r.data ->> 'probability')::numeric,
           r.data ->> 'stage', r.data ->> 'salesperson', r.data ->> 'description',
           coalesce(r.data ->> 'source', 'import'),
           case when r.data ->> 'createdAt' is null then null
                when length(r.data ->> 'createdAt') = 10
                then ((r.data ->> 'createdAt') || 'T00:00:00Z')::timestamptz
                else (r.data ->> 'createdAt')::timestamptz end,
           r.data ->> 'city', r.data ->> 'postalCode', r.data ->> 'country', r.data ->> 'siret',
           case when r.data ? 'tags' then array(select jsonb_array_elements_text(r.data -> 'tags'))
                else '{}' end,
           r.data ->> 'tagsText',
           case when r.dedup_key is not null and r.data ? 'externalId'
                then coalesce(r.data -> 'extra', '{}') || jsonb_build_object(ext_header, r.data ->> 'externalId')
                else coalesce(r.data -> 'extra', '{}') end,
           case assign_mode
             when 'single' then assign_one
             when 'round_robin' then robin[r.row_number % greatest(cardinality(robin), 1) + 1]
             when 'by_column' then (select u.id from auth.users u
                                     where lower(u.email) = lower(r.data ->> 'salesperson') limit 1)
           end,
           p_job, r.row_number
      from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row
       and (r.status = 'valid' or (r.status = 'duplicate' and j.duplicate_strategy = 'create'))
     order by r.row_number
    returning id, import_row)
  insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
  select l.id, 'insert', 'import', p_job, null, jsonb_build_object('import_row', l.import_row) from new_leads l;
  get diagnostics ins = row_count;

  -- Duplicates of existing leads under `update`: the lead takes the file's
  -- non-empty values; its state before is kept for undo.
  if j.duplicate_strategy = 'update' then
    with targets as (
      select distinct on (r.target_id) r.row_number, r.target_id, r.data
        from public.import_rows r
       where r.job_id = p_job and r.row_number between from_row and to_row
         and r.status = 'duplicate' and r.dedup_key = 'existing' and r.target_row is null
       order by r.target_id, r.row_number),
    befores as (
      select t.*, to_jsonb(l.*) as before from targets t join public.leads l on l.id = t.target_id
       for update of l),
    changed as (
      update public.leads l set
        title = coalesce(b.data ->> 'title', l.title),
        contact_name = coalesce(b.data ->> 'contactName', l.contact_name),
        first_name = coalesce(b.data ->> 'firstName', l.first_name),
        last_name = coalesce(b.data ->> 'lastName', l.last_name),
        company_name = coalesce(b.data ->> 'company', l.company_name),
        email = coalesce(b.data ->> 'email', l.email),
        phone = coalesce(b.data ->> 'phone', b.data ->> 'mobile', l.phone),
        mobile = coalesce(b.data ->> 'mobile', l.mobile),
        expected_revenue = coalesce((b.data ->> 'expectedRevenue')::numeric, l.expected_revenue),
        probability = coalesce((b.data ->> 'probability')::numeric, l.probability),
        stage = coalesce(b.data ->> 'stage', l.stage),
        salesperson = coalesce(b.data ->> 'salesperson', l.salesperson),
        description = coalesce(b.data ->> 'description', l.description),
        city = coalesce(b.data ->> 'city', l.city),
        postal_code = coalesce(b.data ->> 'postalCode', l.postal_code),
        country = coalesce(b.data ->> 'country', l.country),
        siret = coalesce(b.data ->> 'siret', l.siret),
        tags = case when b.data ? 'tags' then array(select jsonb_array_elements_text(b.data -> 'tags'))
                    else l.tags end,
        tags_text = coalesce(b.data ->> 'tagsText', l.tags_text),
        extra_fields = l.extra_fields || coalesce(b.data -> 'extra', '{}'),
        assigned_to = coalesce(passerelle.import_assignee(j.options, b.row_number, b.data ->> 'salesperson'),
                               l.assigned_to),
        import_job_id = p_job,
        import_row = b.row_number,
        updated_at = now()
      from befores b where l.id = b.target_id
      returning l.id, b.row_number, b.before, to_jsonb(l.*) as after)
    insert into public.lead_history (lead_id, action, source, import_job_id, before, after)
    select c.id, 'update', 'import', p_job, c.before, c.after from changed c order by c.row_number;
    get diagnostics upd = row_count;
  end if;

  -- Every other duplicate of the range is skipped.
  if j.duplicate_strategy <> 'create' then
    select count(*) into dup from public.import_rows r
     where r.job_id = p_job and r.row_number between from_row and to_row and r.status = 'duplicate';
  end if;

  update public.import_jobs set
    committed_rows = committed_rows + ins + upd,
    inserted_rows = inserted_rows + ins,
    updated_rows = updated_rows + upd,
    skipped_rows = skipped_rows + dup - upd,
    duplicate_rows = duplicate_rows + rechecked,
    attempts = 0,
    updated_at = now()
   where id = p_job;
  return jsonb_build_object('inserted', ins, 'updated', upd, 'skipped', dup - upd, 'rechecked', rechecked);
end $$;

revoke execute on function passerelle.import_assignee(jsonb, integer, text) from public;
revoke execute on function passerelle.import_commit_leads(uuid, integer, integer) from public;
