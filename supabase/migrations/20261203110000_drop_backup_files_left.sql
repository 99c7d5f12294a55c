-- passerelle.backup_files_left() (20261201180000_backup_claims.sql) counted what was left for a backup
-- import among the attachments it planned; import-dump now claims every planned row up front and counts
-- what is left from its own claims, so nothing calls it any more.
drop function passerelle.backup_files_left(integer[]);
