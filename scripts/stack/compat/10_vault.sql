-- Stand-in for supabase_vault 0.3.1 where the extension is not installed:
-- the same schema, view, function signatures, privileges and error texts
-- (see README, "Local stack"). Encryption is pgcrypto AES with an HMAC tag
-- bound to the secret's id, keyed by a server key only the owner can read.
-- Where Supabase has it (and the migrations create it): `extensions`, never `public`.
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
create schema if not exists vault;
revoke all on schema vault from public;

create table if not exists vault._stand_in_key (
  only_row boolean primary key default true check (only_row),
  key bytea not null default extensions.gen_random_bytes(32)
);
insert into vault._stand_in_key default values on conflict do nothing;
revoke all on vault._stand_in_key from public;

create or replace function vault._crypto_aead_det_noncegen() returns bytea
language sql volatile as $$ select extensions.gen_random_bytes(16) $$;

create or replace function vault._crypto_aead_det_encrypt(
  message bytea, additional bytea, key_id bigint,
  context bytea default '\x7067736f6469756d'::bytea, nonce bytea default null::bytea
) returns bytea
language plpgsql volatile set search_path = '' as $$
declare
  k bytea := (select s.key from vault._stand_in_key s);
  iv bytea := coalesce(nonce, vault._crypto_aead_det_noncegen());
  c bytea;
begin
  c := extensions.encrypt_iv(message, k, substring(iv from 1 for 16), 'aes-cbc/pad:pkcs');
  return c || substring(extensions.hmac(c || coalesce(additional, ''::bytea) || context, k, 'sha256') from 1 for 16);
end $$;

create or replace function vault._crypto_aead_det_decrypt(
  message bytea, additional bytea, key_id bigint,
  context bytea default '\x7067736f6469756d'::bytea, nonce bytea default null::bytea
) returns bytea
language plpgsql volatile set search_path = '' as $$
declare
  k bytea := (select s.key from vault._stand_in_key s);
  n int := length(message);
  c bytea;
begin
  if n < 17 then
    raise exception 'pgsodium_crypto_aead_det_decrypt_by_id: invalid ciphertext';
  end if;
  c := substring(message from 1 for n - 16);
  if substring(extensions.hmac(c || coalesce(additional, ''::bytea) || context, k, 'sha256') from 1 for 16)
     <> substring(message from n - 15) then
    raise exception 'pgsodium_crypto_aead_det_decrypt_by_id: invalid ciphertext';
  end if;
  return extensions.decrypt_iv(c, k, substring(nonce from 1 for 16), 'aes-cbc/pad:pkcs');
end $$;

create table if not exists vault.secrets (
  id uuid not null default gen_random_uuid() primary key,
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default vault._crypto_aead_det_noncegen(),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret,
  convert_from(vault._crypto_aead_det_decrypt(
    message => decode(s.secret, 'base64'::text), additional => convert_to(s.id::text, 'utf8'),
    key_id => 0::bigint, context => '\x7067736f6469756d'::bytea, nonce => s.nonce), 'utf8') as decrypted_secret,
  s.key_id, s.nonce, s.created_at, s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  rec record;
begin
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, new_description)
  returning * into rec;
  update vault.secrets s
     set secret = encode(vault._crypto_aead_det_encrypt(
       message := convert_to(rec.secret, 'utf8'), additional := convert_to(s.id::text, 'utf8'),
       key_id := 0, context := 'pgsodium'::bytea, nonce := rec.nonce), 'base64')
   where id = rec.id;
  return rec.id;
end $$;

create or replace function vault.update_secret(
  secret_id uuid, new_secret text default null, new_name text default null,
  new_description text default null, new_key_id uuid default null
) returns void
language plpgsql security definer set search_path = '' as $$
declare
  decrypted vault.decrypted_secrets;
begin
  select * into decrypted from vault.decrypted_secrets s where s.id = secret_id;
  update vault.secrets s
     set secret = encode(vault._crypto_aead_det_encrypt(
           message := convert_to(coalesce(new_secret, decrypted.decrypted_secret), 'utf8'),
           additional := convert_to(s.id::text, 'utf8'), key_id := 0, context := 'pgsodium'::bytea,
           nonce := s.nonce), 'base64'),
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   where s.id = secret_id;
end $$;

revoke all on function vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea) from public;
revoke all on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) from public;
revoke all on function vault._crypto_aead_det_noncegen() from public;
revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
