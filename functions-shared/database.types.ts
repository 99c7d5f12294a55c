export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
  "public": {
    Tables: {
      "activities": {
        Row: {
          "activity_type": string | null;
          "assigned_name": string | null;
          "assigned_to": string | null;
          "company_id": number;
          "created_at": string;
          "done": boolean;
          "due_date": string | null;
          "external_id": string | null;
          "id": number;
          "import_job_id": string | null;
          "lead_id": number | null;
          "note": string | null;
          "odoo_id": number | null;
          "odoo_res_id": number | null;
          "source_deleted_at": string | null;
          "source_updated_at": string | null;
          "summary": string | null;
          "type_label": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "activity_type"?: string | null;
          "assigned_name"?: string | null;
          "assigned_to"?: string | null;
          "company_id": number;
          "created_at"?: string;
          "done"?: boolean;
          "due_date"?: string | null;
          "external_id"?: string | null;
          "id"?: never;
          "import_job_id"?: string | null;
          "lead_id"?: number | null;
          "note"?: string | null;
          "odoo_id"?: number | null;
          "odoo_res_id"?: number | null;
          "source_deleted_at"?: string | null;
          "source_updated_at"?: string | null;
          "summary"?: string | null;
          "type_label"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "activity_type"?: string | null;
          "assigned_name"?: string | null;
          "assigned_to"?: string | null;
          "company_id"?: number;
          "created_at"?: string;
          "done"?: boolean;
          "due_date"?: string | null;
          "external_id"?: string | null;
          "id"?: never;
          "import_job_id"?: string | null;
          "lead_id"?: number | null;
          "note"?: string | null;
          "odoo_id"?: number | null;
          "odoo_res_id"?: number | null;
          "source_deleted_at"?: string | null;
          "source_updated_at"?: string | null;
          "summary"?: string | null;
          "type_label"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "activities_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "activities_lead_id_fkey";
            columns: ["lead_id"];
            isOneToOne: false;
            referencedRelation: "leads";
            referencedColumns: ["id"];
          },
        ];
      };
      "companies": {
        Row: {
          "created_at": string;
          "id": number;
          "name": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "id"?: never;
          "name": string;
        };
        Update: {
          "created_at"?: string;
          "id"?: never;
          "name"?: string;
        };
        Relationships: [];
      };
      "company_members": {
        Row: {
          "company_id": number;
          "created_at": string;
          "role": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "company_id": number;
          "created_at"?: string;
          "role": string;
          "user_id": string;
        };
        Update: {
          "company_id"?: number;
          "created_at"?: string;
          "role"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "company_members_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
        ];
      };
      "contacts": {
        Row: {
          "company_id": number;
          "created_at": string;
          "customer_id": number | null;
          "email": string | null;
          "id": number;
          "name": string;
          "odoo_partner_id": number | null;
          "phone": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "company_id": number;
          "created_at"?: string;
          "customer_id"?: number | null;
          "email"?: string | null;
          "id"?: never;
          "name": string;
          "odoo_partner_id"?: number | null;
          "phone"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "company_id"?: number;
          "created_at"?: string;
          "customer_id"?: number | null;
          "email"?: string | null;
          "id"?: never;
          "name"?: string;
          "odoo_partner_id"?: number | null;
          "phone"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "contacts_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "contacts_customer_id_fkey";
            columns: ["customer_id"];
            isOneToOne: false;
            referencedRelation: "customers";
            referencedColumns: ["id"];
          },
        ];
      };
      "customers": {
        Row: {
          "city": string | null;
          "company_id": number;
          "country": string | null;
          "created_at": string;
          "email": string | null;
          "id": number;
          "name": string;
          "odoo_partner_id": number | null;
          "phone": string | null;
          "postal_code": string | null;
          "street": string | null;
          "street2": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "city"?: string | null;
          "company_id": number;
          "country"?: string | null;
          "created_at"?: string;
          "email"?: string | null;
          "id"?: never;
          "name": string;
          "odoo_partner_id"?: number | null;
          "phone"?: string | null;
          "postal_code"?: string | null;
          "street"?: string | null;
          "street2"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "city"?: string | null;
          "company_id"?: number;
          "country"?: string | null;
          "created_at"?: string;
          "email"?: string | null;
          "id"?: never;
          "name"?: string;
          "odoo_partner_id"?: number | null;
          "phone"?: string | null;
          "postal_code"?: string | null;
          "street"?: string | null;
          "street2"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "customers_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
        ];
      };
      "import_jobs": {
        Row: {
          "assignment_mode": string;
          "attempts": number;
          "auto_commit": boolean;
          "cancel_requested": boolean;
          "checkpoint": NonNullable<Json>;
          "committed_rows": number;
          "company_id": number;
          "created_at": string;
          "duplicate_rows": number;
          "duplicate_strategy": string;
          "error_details": Json | null;
          "error_message": string | null;
          "error_report_path": string | null;
          "eta_s": number | null;
          "file_format": string | null;
          "file_name": string;
          "file_path": string | null;
          "file_sha256": string;
          "file_size": number;
          "finished_at": string | null;
          "id": string;
          "inserted_rows": number;
          "invalid_rows": number;
          "kind": string;
          "leased_until": string | null;
          "options": NonNullable<Json>;
          "owner": string;
          "payload": Json | null;
          "processed_rows": number;
          "progress": number;
          "rows_compacted_at": string | null;
          "rows_per_s": number | null;
          "skipped_rows": number;
          "started_at": string | null;
          "status": string;
          "step": string | null;
          "total_rows": number | null;
          "undone_at": string | null;
          "updated_at": string;
          "updated_rows": number;
          "valid_rows": number;
          "warned_rows": number;
        };
        ComputedFields: never;
        Insert: {
          "assignment_mode"?: string;
          "attempts"?: number;
          "auto_commit"?: boolean;
          "cancel_requested"?: boolean;
          "checkpoint"?: NonNullable<Json>;
          "committed_rows"?: number;
          "company_id": number;
          "created_at"?: string;
          "duplicate_rows"?: number;
          "duplicate_strategy"?: string;
          "error_details"?: Json | null;
          "error_message"?: string | null;
          "error_report_path"?: string | null;
          "eta_s"?: number | null;
          "file_format"?: string | null;
          "file_name": string;
          "file_path"?: string | null;
          "file_sha256": string;
          "file_size": number;
          "finished_at"?: string | null;
          "id"?: string;
          "inserted_rows"?: number;
          "invalid_rows"?: number;
          "kind": string;
          "leased_until"?: string | null;
          "options"?: NonNullable<Json>;
          "owner": string;
          "payload"?: Json | null;
          "processed_rows"?: number;
          "progress"?: number;
          "rows_compacted_at"?: string | null;
          "rows_per_s"?: number | null;
          "skipped_rows"?: number;
          "started_at"?: string | null;
          "status"?: string;
          "step"?: string | null;
          "total_rows"?: number | null;
          "undone_at"?: string | null;
          "updated_at"?: string;
          "updated_rows"?: number;
          "valid_rows"?: number;
          "warned_rows"?: number;
        };
        Update: {
          "assignment_mode"?: string;
          "attempts"?: number;
          "auto_commit"?: boolean;
          "cancel_requested"?: boolean;
          "checkpoint"?: NonNullable<Json>;
          "committed_rows"?: number;
          "company_id"?: number;
          "created_at"?: string;
          "duplicate_rows"?: number;
          "duplicate_strategy"?: string;
          "error_details"?: Json | null;
          "error_message"?: string | null;
          "error_report_path"?: string | null;
          "eta_s"?: number | null;
          "file_format"?: string | null;
          "file_name"?: string;
          "file_path"?: string | null;
          "file_sha256"?: string;
          "file_size"?: number;
          "finished_at"?: string | null;
          "id"?: string;
          "inserted_rows"?: number;
          "invalid_rows"?: number;
          "kind"?: string;
          "leased_until"?: string | null;
          "options"?: NonNullable<Json>;
          "owner"?: string;
          "payload"?: Json | null;
          "processed_rows"?: number;
          "progress"?: number;
          "rows_compacted_at"?: string | null;
          "rows_per_s"?: number | null;
          "skipped_rows"?: number;
          "started_at"?: string | null;
          "status"?: string;
          "step"?: string | null;
          "total_rows"?: number | null;
          "undone_at"?: string | null;
          "updated_at"?: string;
          "updated_rows"?: number;
          "valid_rows"?: number;
          "warned_rows"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "import_jobs_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
        ];
      };
      "import_rows": {
        Row: {
          "data": NonNullable<Json>;
          "dedup_key": string | null;
          "dedup_on": string | null;
          "email": string | null;
          "errors": Json | null;
          "external_id": string | null;
          "job_id": string;
          "phone": string | null;
          "row_number": number;
          "status": string;
          "target_id": number | null;
          "target_row": number | null;
          "updated_at": string | null;
        };
        ComputedFields: never;
        Insert: {
          "data": NonNullable<Json>;
          "dedup_key"?: string | null;
          "dedup_on"?: string | null;
          "email"?: string | null;
          "errors"?: Json | null;
          "external_id"?: string | null;
          "job_id": string;
          "phone"?: string | null;
          "row_number": number;
          "status"?: string;
          "target_id"?: number | null;
          "target_row"?: number | null;
          "updated_at"?: string | null;
        };
        Update: {
          "data"?: NonNullable<Json>;
          "dedup_key"?: string | null;
          "dedup_on"?: string | null;
          "email"?: string | null;
          "errors"?: Json | null;
          "external_id"?: string | null;
          "job_id"?: string;
          "phone"?: string | null;
          "row_number"?: number;
          "status"?: string;
          "target_id"?: number | null;
          "target_row"?: number | null;
          "updated_at"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "import_rows_job_id_fkey";
            columns: ["job_id"];
            isOneToOne: false;
            referencedRelation: "import_jobs";
            referencedColumns: ["id"];
          },
        ];
      };
      "lead_files": {
        Row: {
          "attempts": number;
          "checksum": string | null;
          "created_at": string;
          "done_at": string | null;
          "error_code": string | null;
          "file_size": number | null;
          "file_url": string | null;
          "id": number;
          "last_error": string | null;
          "lead_id": number;
          "leased_until": string | null;
          "max_attempts": number;
          "mimetype": string | null;
          "name": string;
          "odoo_id": number | null;
          "odoo_type": string;
          "run_after": string;
          "source_deleted_at": string | null;
          "status": string;
          "storage_path": string | null;
          "store_fname": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "attempts"?: number;
          "checksum"?: string | null;
          "created_at"?: string;
          "done_at"?: string | null;
          "error_code"?: string | null;
          "file_size"?: number | null;
          "file_url"?: string | null;
          "id"?: never;
          "last_error"?: string | null;
          "lead_id": number;
          "leased_until"?: string | null;
          "max_attempts"?: number;
          "mimetype"?: string | null;
          "name": string;
          "odoo_id"?: number | null;
          "odoo_type"?: string;
          "run_after"?: string;
          "source_deleted_at"?: string | null;
          "status"?: string;
          "storage_path"?: string | null;
          "store_fname"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "attempts"?: number;
          "checksum"?: string | null;
          "created_at"?: string;
          "done_at"?: string | null;
          "error_code"?: string | null;
          "file_size"?: number | null;
          "file_url"?: string | null;
          "id"?: never;
          "last_error"?: string | null;
          "lead_id"?: number;
          "leased_until"?: string | null;
          "max_attempts"?: number;
          "mimetype"?: string | null;
          "name"?: string;
          "odoo_id"?: number | null;
          "odoo_type"?: string;
          "run_after"?: string;
          "source_deleted_at"?: string | null;
          "status"?: string;
          "storage_path"?: string | null;
          "store_fname"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "lead_files_lead_id_fkey";
            columns: ["lead_id"];
            isOneToOne: false;
            referencedRelation: "leads";
            referencedColumns: ["id"];
          },
        ];
      };
      "lead_history": {
        Row: {
          "action": string;
          "after": Json | null;
          "before": Json | null;
          "changed_at": string;
          "id": number;
          "import_job_id": string | null;
          "lead_id": number;
          "source": string;
        };
        ComputedFields: never;
        Insert: {
          "action": string;
          "after"?: Json | null;
          "before"?: Json | null;
          "changed_at"?: string;
          "id"?: never;
          "import_job_id"?: string | null;
          "lead_id": number;
          "source": string;
        };
        Update: {
          "action"?: string;
          "after"?: Json | null;
          "before"?: Json | null;
          "changed_at"?: string;
          "id"?: never;
          "import_job_id"?: string | null;
          "lead_id"?: number;
          "source"?: string;
        };
        Relationships: [];
      };
      "lead_messages": {
        Row: {
          "attachment_odoo_ids": (number)[];
          "author_email": string | null;
          "author_name": string | null;
          "author_odoo_id": number | null;
          "body": string | null;
          "company_id": number;
          "created_at": string;
          "email_from": string | null;
          "id": number;
          "lead_id": number | null;
          "message_type": string;
          "odoo_id": number;
          "odoo_res_id": number;
          "posted_at": string | null;
          "source_deleted_at": string | null;
          "source_updated_at": string | null;
          "subject": string | null;
          "subtype": string | null;
          "tracking": NonNullable<Json>;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "attachment_odoo_ids"?: (number)[];
          "author_email"?: string | null;
          "author_name"?: string | null;
          "author_odoo_id"?: number | null;
          "body"?: string | null;
          "company_id": number;
          "created_at"?: string;
          "email_from"?: string | null;
          "id"?: never;
          "lead_id"?: number | null;
          "message_type": string;
          "odoo_id": number;
          "odoo_res_id": number;
          "posted_at"?: string | null;
          "source_deleted_at"?: string | null;
          "source_updated_at"?: string | null;
          "subject"?: string | null;
          "subtype"?: string | null;
          "tracking"?: NonNullable<Json>;
          "updated_at"?: string;
        };
        Update: {
          "attachment_odoo_ids"?: (number)[];
          "author_email"?: string | null;
          "author_name"?: string | null;
          "author_odoo_id"?: number | null;
          "body"?: string | null;
          "company_id"?: number;
          "created_at"?: string;
          "email_from"?: string | null;
          "id"?: never;
          "lead_id"?: number | null;
          "message_type"?: string;
          "odoo_id"?: number;
          "odoo_res_id"?: number;
          "posted_at"?: string | null;
          "source_deleted_at"?: string | null;
          "source_updated_at"?: string | null;
          "subject"?: string | null;
          "subtype"?: string | null;
          "tracking"?: NonNullable<Json>;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "lead_messages_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "lead_messages_lead_id_fkey";
            columns: ["lead_id"];
            isOneToOne: false;
            referencedRelation: "leads";
            referencedColumns: ["id"];
          },
        ];
      };
      "leads": {
        Row: {
          "active": boolean;
          "assigned_to": string | null;
          "city": string | null;
          "company_id": number;
          "company_name": string | null;
          "contact_id": number | null;
          "contact_name": string | null;
          "country": string | null;
          "created_at": string;
          "customer_id": number | null;
          "description": string | null;
          "email": string | null;
          "expected_revenue": number | null;
          "external_id": string | null;
          "extra_fields": NonNullable<Json>;
          "first_name": string | null;
          "id": number;
          "import_job_id": string | null;
          "import_row": number | null;
          "last_name": string | null;
          "lead_type": string | null;
          "mobile": string | null;
          "odoo_id": number | null;
          "phone": string | null;
          "postal_code": string | null;
          "priority": number | null;
          "probability": number | null;
          "salesperson": string | null;
          "siret": string | null;
          "source": string | null;
          "source_created_at": string | null;
          "source_deleted_at": string | null;
          "source_email_id": string | null;
          "source_hash": string | null;
          "source_updated_at": string | null;
          "stage": string | null;
          "tags": (string)[];
          "tags_text": string | null;
          "title": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "active"?: boolean;
          "assigned_to"?: string | null;
          "city"?: string | null;
          "company_id": number;
          "company_name"?: string | null;
          "contact_id"?: number | null;
          "contact_name"?: string | null;
          "country"?: string | null;
          "created_at"?: string;
          "customer_id"?: number | null;
          "description"?: string | null;
          "email"?: string | null;
          "expected_revenue"?: number | null;
          "external_id"?: string | null;
          "extra_fields"?: NonNullable<Json>;
          "first_name"?: string | null;
          "id"?: never;
          "import_job_id"?: string | null;
          "import_row"?: number | null;
          "last_name"?: string | null;
          "lead_type"?: string | null;
          "mobile"?: string | null;
          "odoo_id"?: number | null;
          "phone"?: string | null;
          "postal_code"?: string | null;
          "priority"?: number | null;
          "probability"?: number | null;
          "salesperson"?: string | null;
          "siret"?: string | null;
          "source"?: string | null;
          "source_created_at"?: string | null;
          "source_deleted_at"?: string | null;
          "source_email_id"?: string | null;
          "source_hash"?: string | null;
          "source_updated_at"?: string | null;
          "stage"?: string | null;
          "tags"?: (string)[];
          "tags_text"?: string | null;
          "title": string;
          "updated_at"?: string;
        };
        Update: {
          "active"?: boolean;
          "assigned_to"?: string | null;
          "city"?: string | null;
          "company_id"?: number;
          "company_name"?: string | null;
          "contact_id"?: number | null;
          "contact_name"?: string | null;
          "country"?: string | null;
          "created_at"?: string;
          "customer_id"?: number | null;
          "description"?: string | null;
          "email"?: string | null;
          "expected_revenue"?: number | null;
          "external_id"?: string | null;
          "extra_fields"?: NonNullable<Json>;
          "first_name"?: string | null;
          "id"?: never;
          "import_job_id"?: string | null;
          "import_row"?: number | null;
          "last_name"?: string | null;
          "lead_type"?: string | null;
          "mobile"?: string | null;
          "odoo_id"?: number | null;
          "phone"?: string | null;
          "postal_code"?: string | null;
          "priority"?: number | null;
          "probability"?: number | null;
          "salesperson"?: string | null;
          "siret"?: string | null;
          "source"?: string | null;
          "source_created_at"?: string | null;
          "source_deleted_at"?: string | null;
          "source_email_id"?: string | null;
          "source_hash"?: string | null;
          "source_updated_at"?: string | null;
          "stage"?: string | null;
          "tags"?: (string)[];
          "tags_text"?: string | null;
          "title"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "leads_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "leads_contact_id_fkey";
            columns: ["contact_id"];
            isOneToOne: false;
            referencedRelation: "contacts";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "leads_customer_id_fkey";
            columns: ["customer_id"];
            isOneToOne: false;
            referencedRelation: "customers";
            referencedColumns: ["id"];
          },
        ];
      };
      "migration_logs": {
        Row: {
          "calls": number;
          "code": string | null;
          "cpu_ms": number | null;
          "created_at": string;
          "details": Json | null;
          "elapsed_s": number;
          "errors": (string)[];
          "failed": number;
          "function_name": string;
          "id": number;
          "migrated": number;
          "minute": string | null;
          "peak_memory_mb": number | null;
          "remaining": number | null;
          "status": string;
          "trigger": string | null;
        };
        ComputedFields: never;
        Insert: {
          "calls"?: number;
          "code"?: string | null;
          "cpu_ms"?: number | null;
          "created_at"?: string;
          "details"?: Json | null;
          "elapsed_s"?: number;
          "errors"?: (string)[];
          "failed"?: number;
          "function_name": string;
          "id"?: never;
          "migrated"?: number;
          "minute"?: string | null;
          "peak_memory_mb"?: number | null;
          "remaining"?: number | null;
          "status": string;
          "trigger"?: string | null;
        };
        Update: {
          "calls"?: number;
          "code"?: string | null;
          "cpu_ms"?: number | null;
          "created_at"?: string;
          "details"?: Json | null;
          "elapsed_s"?: number;
          "errors"?: (string)[];
          "failed"?: number;
          "function_name"?: string;
          "id"?: never;
          "migrated"?: number;
          "minute"?: string | null;
          "peak_memory_mb"?: number | null;
          "remaining"?: number | null;
          "status"?: string;
          "trigger"?: string | null;
        };
        Relationships: [];
      };
      "reconcile_differences": {
        Row: {
          "action": string;
          "activity_id": number | null;
          "data": NonNullable<Json>;
          "detail": string;
          "id": number;
          "import_job_id": string | null;
          "kind": string;
          "lead_file_id": number | null;
          "lead_id": number | null;
          "message_id": number | null;
          "odoo_id": number | null;
          "open": boolean;
          "repaired_at": string | null;
          "row_number": number | null;
          "run_id": number;
        };
        ComputedFields: never;
        Insert: {
          "action": string;
          "activity_id"?: number | null;
          "data"?: NonNullable<Json>;
          "detail": string;
          "id"?: never;
          "import_job_id"?: string | null;
          "kind": string;
          "lead_file_id"?: number | null;
          "lead_id"?: number | null;
          "message_id"?: number | null;
          "odoo_id"?: number | null;
          "open"?: boolean;
          "repaired_at"?: string | null;
          "row_number"?: number | null;
          "run_id": number;
        };
        Update: {
          "action"?: string;
          "activity_id"?: number | null;
          "data"?: NonNullable<Json>;
          "detail"?: string;
          "id"?: never;
          "import_job_id"?: string | null;
          "kind"?: string;
          "lead_file_id"?: number | null;
          "lead_id"?: number | null;
          "message_id"?: number | null;
          "odoo_id"?: number | null;
          "open"?: boolean;
          "repaired_at"?: string | null;
          "row_number"?: number | null;
          "run_id"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "reconcile_differences_run_id_fkey";
            columns: ["run_id"];
            isOneToOne: false;
            referencedRelation: "reconcile_runs";
            referencedColumns: ["id"];
          },
        ];
      };
      "reconcile_runs": {
        Row: {
          "activity_cursor": number;
          "by_kind": Json | null;
          "bytes_checked": number;
          "calls": number;
          "cursor_id": number;
          "deep": boolean;
          "deleted_kept": number | null;
          "differences": number | null;
          "error": string | null;
          "file_cursor": number;
          "finished_at": string | null;
          "id": number;
          "message_cursor": number;
          "objects_checked": number;
          "odoo_activities": number;
          "odoo_attachments": number;
          "odoo_leads": number;
          "odoo_messages": number;
          "phase": string;
          "repaired_at": string | null;
          "started_at": string;
          "storage_ms": number;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "activity_cursor"?: number;
          "by_kind"?: Json | null;
          "bytes_checked"?: number;
          "calls"?: number;
          "cursor_id"?: number;
          "deep"?: boolean;
          "deleted_kept"?: number | null;
          "differences"?: number | null;
          "error"?: string | null;
          "file_cursor"?: number;
          "finished_at"?: string | null;
          "id"?: never;
          "message_cursor"?: number;
          "objects_checked"?: number;
          "odoo_activities"?: number;
          "odoo_attachments"?: number;
          "odoo_leads"?: number;
          "odoo_messages"?: number;
          "phase"?: string;
          "repaired_at"?: string | null;
          "started_at"?: string;
          "storage_ms"?: number;
          "updated_at"?: string;
        };
        Update: {
          "activity_cursor"?: number;
          "by_kind"?: Json | null;
          "bytes_checked"?: number;
          "calls"?: number;
          "cursor_id"?: number;
          "deep"?: boolean;
          "deleted_kept"?: number | null;
          "differences"?: number | null;
          "error"?: string | null;
          "file_cursor"?: number;
          "finished_at"?: string | null;
          "id"?: never;
          "message_cursor"?: number;
          "objects_checked"?: number;
          "odoo_activities"?: number;
          "odoo_attachments"?: number;
          "odoo_leads"?: number;
          "odoo_messages"?: number;
          "phase"?: string;
          "repaired_at"?: string | null;
          "started_at"?: string;
          "storage_ms"?: number;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "sync_state": {
        Row: {
          "caught_up_at": string | null;
          "company_id": number | null;
          "cursor_id": number;
          "last_run_at": string | null;
          "notice": string | null;
          "pass_high": string | null;
          "pass_since": string | null;
          "pass_started_at": string | null;
          "passes": number;
          "phase": string;
          "source": string;
          "synced": number;
          "total_in_source": number | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "caught_up_at"?: string | null;
          "company_id"?: number | null;
          "cursor_id"?: number;
          "last_run_at"?: string | null;
          "notice"?: string | null;
          "pass_high"?: string | null;
          "pass_since"?: string | null;
          "pass_started_at"?: string | null;
          "passes"?: number;
          "phase"?: string;
          "source": string;
          "synced"?: number;
          "total_in_source"?: number | null;
          "updated_at"?: string;
        };
        Update: {
          "caught_up_at"?: string | null;
          "company_id"?: number | null;
          "cursor_id"?: number;
          "last_run_at"?: string | null;
          "notice"?: string | null;
          "pass_high"?: string | null;
          "pass_since"?: string | null;
          "pass_started_at"?: string | null;
          "passes"?: number;
          "phase"?: string;
          "source"?: string;
          "synced"?: number;
          "total_in_source"?: number | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "sync_state_company_id_fkey";
            columns: ["company_id"];
            isOneToOne: false;
            referencedRelation: "companies";
            referencedColumns: ["id"];
          },
        ];
      };
      "user_roles": {
        Row: {
          "created_at": string;
          "role": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "role": string;
          "user_id": string;
        };
        Update: {
          "created_at"?: string;
          "role"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
    };
    Views: {
      "lead_message_files": {
        Row: {
          "lead_file_id": number | null;
          "lead_id": number | null;
          "message_id": number;
          "name": string | null;
          "odoo_attachment_id": number | null;
          "status": string | null;
          "storage_path": string | null;
        };
        ComputedFields: never;
        Relationships: [
          {
            foreignKeyName: "lead_messages_lead_id_fkey";
            columns: ["lead_id"];
            isOneToOne: false;
            referencedRelation: "leads";
            referencedColumns: ["id"];
          },
        ];
      };
    };
    Functions: {
      "admin_companies": { Args: { "uid": string }; Returns: number[] };
      "company_role": { Args: { "company": number; "uid": string }; Returns: string };
      "has_role": { Args: { "role": string; "uid": string }; Returns: boolean };
      "member_companies": { Args: { "uid": string }; Returns: number[] };
    };
    Enums: {
      [_ in never]: never;
    };
    CompositeTypes: {
      [_ in never]: never;
    };
  };
};

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">;

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">];

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof (
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
    )
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals } ? (
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
  )[TableName] extends {
    Row: infer R;
  } ? R
  : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R;
    } ? R
    : never
  : never;

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Insert: infer I;
  } ? I
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I;
    } ? I
    : never
  : never;

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Update: infer U;
  } ? U
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U;
    } ? U
    : never
  : never;

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never;

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never;

export const Constants = {
  "public": {
    Enums: {},
  },
} as const;
