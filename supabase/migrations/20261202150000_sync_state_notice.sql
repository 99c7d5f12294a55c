-- What a sync does without, said once: the message sync under a login Odoo refuses mail.tracking.value to
-- (the model's only access rule is base.group_system's, addons/mail/security/ir.model.access.csv of
-- odoo/odoo 17.0) syncs the messages without their tracking values and writes here why, once; the status
-- document shows it (passerelle.chatter_status) until someone clears it.
alter table public.sync_state add column notice text;
comment on column public.sync_state.notice is
  'What this sync goes on without and why (said once in migration_logs too); null when nothing is missing.';
