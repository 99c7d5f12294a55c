-- The archive's work queue, claimed in one statement so that overlapping
-- calls never take the same file (graphile-worker's getJobs, pg-boss fetch).
-- `at` lets tests set the clock; production passes null (now()).

create function passerelle.claim_lead_files(batch integer, lease interval, at timestamptz default null)
returns setof public.lead_files
language sql volatile set search_path = '' as $$
  with clock as (select coalesce(at, now()) as now),
  -- A claim whose lease ran out means its caller died; once it has used all
  -- its attempts the file is failed rather than taken again forever.
  exhausted as (
    update public.lead_files f
       set status = 'failed', leased_until = null, updated_at = now(),
           error_code = coalesce(f.error_code, 'lease_expired'),
           last_error = coalesce(f.last_error, 'The call processing this file stopped ' || f.attempts || ' times')
      from clock
     where f.status = 'claimed' and f.leased_until < clock.now and f.attempts >= f.max_attempts
  ),
  next as (
    select f.id from public.lead_files f, clock
     where f.attempts < f.max_attempts
       and ((f.status = 'pending' and f.run_after <= clock.now)
         or (f.status = 'claimed' and f.leased_until < clock.now))
     order by f.id
     limit batch
     for update of f skip locked
  )
  update public.lead_files f
     set status = 'claimed', leased_until = clock.now + lease, attempts = f.attempts + 1, updated_at = now()
    from next, clock
   where f.id = next.id
  returning f.*;
$$;

-- Records stored files: `done` is a jsonb array of {id, storage_path, file_url}.
-- Only files still claimed are updated (a file whose lease ran out and was
-- taken by another call is that call's to finish). Returns the ids updated.
create function passerelle.complete_lead_files(done jsonb)
returns setof bigint
language sql volatile set search_path = '' as $$
  update public.lead_files f
     set status = 'done', storage_path = d.storage_path, file_url = d.file_url, leased_until = null,
         last_error = null, error_code = null, done_at = now(), updated_at = now()
    from jsonb_to_recordset(done) as d(id bigint, storage_path text, file_url text)
   where f.id = d.id and f.status = 'claimed'
  returning f.id;
$$;

-- Records failures: `failures` is a jsonb array of {id, code, message, retryable}.
-- Retryable failures go back to pending with exponential backoff (10 s, 20 s,
-- 40 s, ... capped at an hour) until max_attempts; others fail at once.
create function passerelle.fail_lead_files(failures jsonb, at timestamptz default null)
returns table (id bigint, status text)
language sql volatile set search_path = '' as $$
  update public.lead_files f
     set status = case when d.retryable and f.attempts < f.max_attempts then 'pending' else 'failed' end,
         run_after = coalesce(at, now()) + least(interval '1 hour', interval '10 seconds' * power(2, f.attempts - 1)),
         leased_until = null, last_error = left(d.message, 2000), error_code = d.code, updated_at = now()
    from jsonb_to_recordset(failures) as d(id bigint, code text, message text, retryable boolean)
   where f.id = d.id and f.status = 'claimed'
  returning f.id, f.status;
$$;

-- Gives back files a call claimed but did not start (its budget ran out):
-- they are pending again at once, and the attempt is not counted.
create function passerelle.release_lead_files(ids bigint[])
returns integer
language sql volatile set search_path = '' as $$
  with r as (
    update public.lead_files f
       set status = 'pending', leased_until = null, attempts = greatest(f.attempts - 1, 0), updated_at = now()
     where f.id = any(ids) and f.status = 'claimed'
    returning 1)
  select count(*)::integer from r;
$$;

-- SQL editor: send failed files back to the queue with fresh attempts.
-- `only_code` limits it to one error code (e.g. 'storage_unavailable').
create function passerelle.retry_failed_files(only_code text default null)
returns integer
language sql volatile set search_path = '' as $$
  with r as (
    update public.lead_files f
       set status = 'pending', attempts = 0, run_after = now(), leased_until = null, updated_at = now()
     where f.status = 'failed' and (only_code is null or f.error_code = only_code)
    returning 1)
  select count(*)::integer from r;
$$;

revoke all on function passerelle.claim_lead_files(integer, interval, timestamptz) from public;
revoke all on function passerelle.complete_lead_files(jsonb) from public;
revoke all on function passerelle.fail_lead_files(jsonb, timestamptz) from public;
revoke all on function passerelle.release_lead_files(bigint[]) from public;
revoke all on function passerelle.retry_failed_files(text) from public;
grant execute on all functions in schema passerelle to service_role;
