/**
 * The models the simulator serves and their fields, as Odoo 17's `fields_get`
 * describes them (crm.lead is copied from fixture 55; the others hold the fields
 * the fixtures and Passerelle use). Field order is Odoo's: `search_read` without
 * `fields` answers them in this order, after `id`.
 */

/** Odoo field types the simulator knows. */
export type FieldType =
  | "char"
  | "text"
  | "html"
  | "integer"
  | "float"
  | "monetary"
  | "boolean"
  | "date"
  | "datetime"
  | "selection"
  | "many2one"
  | "one2many"
  | "many2many"
  | "many2one_reference"
  | "binary"
  | "json"
  | "properties";

/** One field, with the attributes `fields_get` reports. */
export interface FieldDef {
  type: FieldType;
  string: string;
  required: boolean;
  store: boolean;
  readonly: boolean;
  relation?: string;
}

/** One model: its fields, default order, and who may read it. */
export interface ModelDef {
  name: string;
  /** `_description`, shown in access errors ("Lead/Opportunity"). */
  description: string;
  fields: Record<string, FieldDef>;
  /** `_order`, used when a call gives no `order`. */
  order: string;
  /** Groups listed in the AccessError a user without CRM rights gets; set on CRM models only. */
  crmGroups?: string[];
  /**
   * Groups listed in the AccessError a user without Settings rights (base.group_system) gets; set on the
   * models whose only access rule is that group's.
   */
  systemGroups?: string[];
}

/** flags: q = required, s = stored, r = readonly. */
function f(type: FieldType, string: string, flags: string, relation?: string): FieldDef {
  const def: FieldDef = {
    type,
    string,
    required: flags.includes("q"),
    store: flags.includes("s"),
    readonly: flags.includes("r"),
  };
  if (relation) def.relation = relation;
  return def;
}

/** Fields every model has (Odoo's magic columns). */
function magic(): Record<string, FieldDef> {
  return {
    id: f("integer", "ID", "sr"),
    display_name: f("char", "Display Name", "r"),
    create_uid: f("many2one", "Created by", "sr", "res.users"),
    create_date: f("datetime", "Created on", "sr"),
    write_uid: f("many2one", "Last Updated by", "sr", "res.users"),
    write_date: f("datetime", "Last Updated on", "sr"),
  };
}

const CRM_GROUPS = ["Sales/Administrator", "Sales/User: Own Documents Only"];

const crmLead: ModelDef = {
  name: "crm.lead",
  description: "Lead/Opportunity",
  order: "priority desc, id desc",
  crmGroups: CRM_GROUPS,
  fields: {
    duration_tracking: f("json", "Status time", "r"),
    campaign_id: f("many2one", "Campaign", "s", "utm.campaign"),
    source_id: f("many2one", "Source", "s", "utm.source"),
    medium_id: f("many2one", "Medium", "s", "utm.medium"),
    activity_ids: f("one2many", "Activities", "s", "mail.activity"),
    activity_state: f("selection", "Activity State", "r"),
    activity_user_id: f("many2one", "Responsible User", "r", "res.users"),
    activity_type_id: f("many2one", "Next Activity Type", "", "mail.activity.type"),
    activity_type_icon: f("char", "Activity Type Icon", "r"),
    activity_date_deadline: f("date", "Next Activity Deadline", "r"),
    my_activity_date_deadline: f("date", "My Activity Deadline", "r"),
    activity_summary: f("char", "Next Activity Summary", ""),
    activity_exception_decoration: f("selection", "Activity Exception Decoration", "r"),
    activity_exception_icon: f("char", "Icon", "r"),
    activity_calendar_event_id: f("many2one", "Next Activity Calendar Event", "r", "calendar.event"),
    message_is_follower: f("boolean", "Is Follower", "r"),
    message_follower_ids: f("one2many", "Followers", "s", "mail.followers"),
    message_partner_ids: f("many2many", "Followers (Partners)", "", "res.partner"),
    message_ids: f("one2many", "Messages", "s", "mail.message"),
    has_message: f("boolean", "Has Message", "r"),
    message_needaction: f("boolean", "Action Needed", "r"),
    message_needaction_counter: f("integer", "Number of Actions", "r"),
    message_has_error: f("boolean", "Message Delivery error", "r"),
    message_has_error_counter: f("integer", "Number of errors", "r"),
    message_attachment_count: f("integer", "Attachment Count", "r"),
    website_message_ids: f("one2many", "Website Messages", "s", "mail.message"),
    message_has_sms_error: f("boolean", "SMS Delivery error", "r"),
    phone_sanitized: f("char", "Sanitized Number", "sr"),
    phone_sanitized_blacklisted: f("boolean", "Phone Blacklisted", "r"),
    phone_blacklisted: f("boolean", "Blacklisted Phone is Phone", "r"),
    mobile_blacklisted: f("boolean", "Blacklisted Phone Is Mobile", "r"),
    phone_mobile_search: f("char", "Phone/Mobile", ""),
    email_normalized: f("char", "Normalized Email", "sr"),
    is_blacklisted: f("boolean", "Blacklist", "r"),
    message_bounce: f("integer", "Bounce", "s"),
    email_cc: f("char", "Email cc", "s"),
    name: f("char", "Opportunity", "qs"),
    user_id: f("many2one", "Salesperson", "s", "res.users"),
    user_company_ids: f("many2many", "User Company", "r", "res.company"),
    team_id: f("many2one", "Sales Team", "s", "crm.team"),
    lead_properties: f("properties", "Properties", "s"),
    company_id: f("many2one", "Company", "s", "res.company"),
    referred: f("char", "Referred By", "s"),
    description: f("html", "Notes", "s"),
    active: f("boolean", "Active", "s"),
    type: f("selection", "Type", "qs"),
    priority: f("selection", "Priority", "s"),
    stage_id: f("many2one", "Stage", "s", "crm.stage"),
    kanban_state: f("selection", "Kanban State", "r"),
    tag_ids: f("many2many", "Tags", "s", "crm.tag"),
    color: f("integer", "Color Index", "s"),
    expected_revenue: f("monetary", "Expected Revenue", "s"),
    prorated_revenue: f("monetary", "Prorated Revenue", "sr"),
    recurring_revenue: f("monetary", "Recurring Revenues", "s"),
    recurring_plan: f("many2one", "Recurring Plan", "s", "crm.recurring.plan"),
    recurring_revenue_monthly: f("monetary", "Expected MRR", "sr"),
    recurring_revenue_monthly_prorated: f("monetary", "Prorated MRR", "sr"),
    recurring_revenue_prorated: f("monetary", "Prorated Recurring Revenues", "sr"),
    company_currency: f("many2one", "Currency", "r", "res.currency"),
    date_closed: f("datetime", "Closed Date", "sr"),
    date_automation_last: f("datetime", "Last Action", "sr"),
    date_open: f("datetime", "Assignment Date", "sr"),
    day_open: f("float", "Days to Assign", "sr"),
    day_close: f("float", "Days to Close", "sr"),
    date_last_stage_update: f("datetime", "Last Stage Update", "sr"),
    date_conversion: f("datetime", "Conversion Date", "sr"),
    date_deadline: f("date", "Expected Closing", "s"),
    partner_id: f("many2one", "Customer", "s", "res.partner"),
    partner_is_blacklisted: f("boolean", "Partner is blacklisted", "r"),
    contact_name: f("char", "Contact Name", "s"),
    partner_name: f("char", "Company Name", "s"),
    function: f("char", "Job Position", "s"),
    title: f("many2one", "Title", "s", "res.partner.title"),
    email_from: f("char", "Email", "s"),
    email_domain_criterion: f("char", "Email Domain Criterion", "sr"),
    phone: f("char", "Phone", "s"),
    mobile: f("char", "Mobile", "s"),
    phone_state: f("selection", "Phone Quality", "sr"),
    email_state: f("selection", "Email Quality", "sr"),
    website: f("char", "Website", "s"),
    lang_id: f("many2one", "Language", "s", "res.lang"),
    lang_code: f("char", "Locale Code", "r"),
    lang_active_count: f("integer", "Lang Active Count", "r"),
    street: f("char", "Street", "s"),
    street2: f("char", "Street2", "s"),
    zip: f("char", "Zip", "s"),
    city: f("char", "City", "s"),
    state_id: f("many2one", "State", "s", "res.country.state"),
    country_id: f("many2one", "Country", "s", "res.country"),
    probability: f("float", "Probability", "s"),
    automated_probability: f("float", "Automated Probability", "sr"),
    is_automated_probability: f("boolean", "Is automated probability?", "r"),
    lost_reason_id: f("many2one", "Lost Reason", "s", "crm.lost.reason"),
    calendar_event_ids: f("one2many", "Meetings", "s", "calendar.event"),
    duplicate_lead_ids: f("many2many", "Potential Duplicate Lead", "r", "crm.lead"),
    duplicate_lead_count: f("integer", "Potential Duplicate Lead Count", "r"),
    meeting_display_date: f("date", "Meeting Display Date", "r"),
    meeting_display_label: f("char", "Meeting Display Label", "r"),
    partner_email_update: f("boolean", "Partner Email will Update", "r"),
    partner_phone_update: f("boolean", "Partner Phone will Update", "r"),
    is_partner_visible: f("boolean", "Is Partner Visible", "r"),
    id: f("integer", "ID", "sr"),
    display_name: f("char", "Display Name", "r"),
    create_uid: f("many2one", "Created by", "sr", "res.users"),
    create_date: f("datetime", "Created on", "sr"),
    write_uid: f("many2one", "Last Updated by", "sr", "res.users"),
    write_date: f("datetime", "Last Updated on", "sr"),
    reveal_id: f("char", "Reveal ID", "s"),
    iap_enrich_done: f("boolean", "Enrichment done", "s"),
    show_enrich_button: f("boolean", "Allow manual enrich", "r"),
    lead_mining_request_id: f("many2one", "Lead Mining Request", "s", "crm.iap.lead.mining.request"),
  },
};

const resPartner: ModelDef = {
  name: "res.partner",
  description: "Contact",
  order: "complete_name asc, id desc",
  fields: {
    name: f("char", "Name", "s"),
    complete_name: f("char", "Complete Name", "sr"),
    is_company: f("boolean", "Is a Company", "s"),
    company_type: f("selection", "Company Type", ""),
    parent_id: f("many2one", "Related Company", "s", "res.partner"),
    child_ids: f("one2many", "Contact", "s", "res.partner"),
    commercial_partner_id: f("many2one", "Commercial Entity", "sr", "res.partner"),
    commercial_company_name: f("char", "Company Name Entity", "s"),
    company_name: f("char", "Company Name", "s"),
    type: f("selection", "Address Type", "s"),
    function: f("char", "Job Position", "s"),
    email: f("char", "Email", "s"),
    email_normalized: f("char", "Normalized Email", "sr"),
    phone: f("char", "Phone", "s"),
    mobile: f("char", "Mobile", "s"),
    website: f("char", "Website Link", "s"),
    vat: f("char", "Tax ID", "s"),
    ref: f("char", "Reference", "s"),
    street: f("char", "Street", "s"),
    street2: f("char", "Street2", "s"),
    zip: f("char", "Zip", "s"),
    city: f("char", "City", "s"),
    state_id: f("many2one", "State", "s", "res.country.state"),
    country_id: f("many2one", "Country", "s", "res.country"),
    lang: f("selection", "Language", "s"),
    tz: f("selection", "Timezone", "s"),
    comment: f("html", "Notes", "s"),
    active: f("boolean", "Active", "s"),
    company_id: f("many2one", "Company", "s", "res.company"),
    user_ids: f("one2many", "Users", "s", "res.users"),
    ...magic(),
  },
};

const crmStage: ModelDef = {
  name: "crm.stage",
  description: "CRM Stages",
  order: "sequence, name, id",
  crmGroups: CRM_GROUPS,
  fields: {
    name: f("char", "Stage Name", "qs"),
    sequence: f("integer", "Sequence", "s"),
    is_won: f("boolean", "Is Won Stage?", "s"),
    requirements: f("text", "Requirements", "s"),
    team_id: f("many2one", "Sales Team", "s", "crm.team"),
    fold: f("boolean", "Folded in Pipeline", "s"),
    ...magic(),
  },
};

const crmTag: ModelDef = {
  name: "crm.tag",
  description: "CRM Tag",
  order: "name, id",
  crmGroups: CRM_GROUPS,
  fields: {
    name: f("char", "Tag Name", "qs"),
    color: f("integer", "Color", "s"),
    ...magic(),
  },
};

const crmTeam: ModelDef = {
  name: "crm.team",
  description: "Sales Team",
  order: "sequence asc, create_date desc, id desc",
  fields: {
    name: f("char", "Sales Team", "qs"),
    sequence: f("integer", "Sequence", "s"),
    active: f("boolean", "Active", "s"),
    company_id: f("many2one", "Company", "s", "res.company"),
    user_id: f("many2one", "Team Leader", "s", "res.users"),
    member_ids: f("many2many", "Salespersons", "", "res.users"),
    ...magic(),
  },
};

const crmLostReason: ModelDef = {
  name: "crm.lost.reason",
  description: "Opp. Lost Reason",
  order: "name, id",
  crmGroups: CRM_GROUPS,
  fields: {
    name: f("char", "Description", "qs"),
    active: f("boolean", "Active", "s"),
    ...magic(),
  },
};

const resUsers: ModelDef = {
  name: "res.users",
  description: "User",
  order: "name, login",
  fields: {
    name: f("char", "Name", "s"),
    login: f("char", "Login", "qs"),
    email: f("char", "Email", "s"),
    active: f("boolean", "Active", "s"),
    share: f("boolean", "Share User", "sr"),
    partner_id: f("many2one", "Related Partner", "qs", "res.partner"),
    company_id: f("many2one", "Company", "qs", "res.company"),
    company_ids: f("many2many", "Companies", "s", "res.company"),
    lang: f("selection", "Language", "s"),
    tz: f("selection", "Timezone", "s"),
    login_date: f("datetime", "Latest authentication", "r"),
    ...magic(),
  },
};

const irAttachment: ModelDef = {
  name: "ir.attachment",
  description: "Attachment",
  order: "id desc",
  fields: {
    name: f("char", "Name", "qs"),
    description: f("text", "Description", "s"),
    res_name: f("char", "Resource Name", "r"),
    res_model: f("char", "Resource Model", "s"),
    res_field: f("char", "Resource Field", "s"),
    res_id: f("many2one_reference", "Resource ID", "s"),
    company_id: f("many2one", "Company", "s", "res.company"),
    type: f("selection", "Type", "qs"),
    url: f("char", "Url", "s"),
    public: f("boolean", "Is public document", "s"),
    access_token: f("char", "Access Token", "s"),
    datas: f("binary", "File Content (base64)", ""),
    store_fname: f("char", "Stored Filename", "s"),
    file_size: f("integer", "File Size", "sr"),
    checksum: f("char", "Checksum/SHA1", "sr"),
    mimetype: f("char", "Mime Type", "s"),
    local_url: f("char", "Url", "r"),
    ...magic(),
  },
};

const mailActivity: ModelDef = {
  name: "mail.activity",
  description: "Activity",
  order: "date_deadline asc, id asc",
  fields: {
    res_model_id: f("many2one", "Document Model", "qsr", "ir.model"),
    res_model: f("char", "Related Document Model", "sr"),
    res_id: f("many2one_reference", "Related Document ID", "s"),
    res_name: f("char", "Document Name", "sr"),
    activity_type_id: f("many2one", "Activity Type", "s", "mail.activity.type"),
    activity_category: f("selection", "Action", "r"),
    icon: f("char", "Icon", "r"),
    summary: f("char", "Summary", "s"),
    note: f("html", "Note", "s"),
    date_deadline: f("date", "Due Date", "qs"),
    date_done: f("date", "Done Date", "sr"),
    automated: f("boolean", "Automated activity", "sr"),
    user_id: f("many2one", "Assigned to", "s", "res.users"),
    state: f("selection", "State", "r"),
    active: f("boolean", "Active", "s"),
    ...magic(),
  },
};

const mailActivityType: ModelDef = {
  name: "mail.activity.type",
  description: "Activity Type",
  order: "sequence, id",
  fields: {
    name: f("char", "Name", "qs"),
    summary: f("char", "Default Summary", "s"),
    sequence: f("integer", "Sequence", "s"),
    active: f("boolean", "Active", "s"),
    delay_count: f("integer", "Schedule", "s"),
    delay_unit: f("selection", "Delay units", "qs"),
    delay_from: f("selection", "Delay Type", "qs"),
    icon: f("char", "Icon", "s"),
    decoration_type: f("selection", "Decoration Type", "s"),
    res_model: f("selection", "Model", "s"),
    category: f("selection", "Action", "s"),
    ...magic(),
  },
};

const mailMessage: ModelDef = {
  name: "mail.message",
  description: "Message",
  order: "id desc",
  fields: {
    subject: f("char", "Subject", "s"),
    date: f("datetime", "Date", "s"),
    body: f("html", "Contents", "s"),
    model: f("char", "Related Document Model", "s"),
    res_id: f("many2one_reference", "Related Document ID", "s"),
    record_name: f("char", "Message Record Name", "r"),
    message_type: f("selection", "Type", "qs"),
    subtype_id: f("many2one", "Subtype", "s", "mail.message.subtype"),
    author_id: f("many2one", "Author", "s", "res.partner"),
    attachment_ids: f("many2many", "Attachments", "s", "ir.attachment"),
    // Below: addons/mail/models/mail_message.py (odoo/odoo 17.0); tracking_value_ids is Settings-only.
    email_from: f("char", "From", "s"),
    message_id: f("char", "Message-Id", "sr"),
    parent_id: f("many2one", "Parent Message", "s", "mail.message"),
    is_internal: f("boolean", "Employee Only", "s"),
    tracking_value_ids: f("one2many", "Tracking values", "s", "mail.tracking.value"),
    ...magic(),
  },
};

/**
 * addons/mail/models/mail_tracking_value.py (odoo/odoo 17.0): Settings (base.group_system) only, the one
 * line of addons/mail/security/ir.model.access.csv for it (`access_mail_tracking_value_system`); the chatter
 * shows tracking to other users through `message_format`, which reads it as superuser.
 */
const mailTrackingValue: ModelDef = {
  name: "mail.tracking.value",
  description: "Mail Tracking Value",
  order: "id desc",
  systemGroups: ["Administration/Settings"],
  fields: {
    field_id: f("many2one", "Field", "sr", "ir.model.fields"),
    field_info: f("json", "Removed field information", "s"),
    old_value_integer: f("integer", "Old Value Integer", "sr"),
    old_value_float: f("float", "Old Value Float", "sr"),
    old_value_char: f("char", "Old Value Char", "sr"),
    old_value_text: f("text", "Old Value Text", "sr"),
    old_value_datetime: f("datetime", "Old Value DateTime", "sr"),
    new_value_integer: f("integer", "New Value Integer", "sr"),
    new_value_float: f("float", "New Value Float", "sr"),
    new_value_char: f("char", "New Value Char", "sr"),
    new_value_text: f("text", "New Value Text", "sr"),
    new_value_datetime: f("datetime", "New Value Datetime", "sr"),
    currency_id: f("many2one", "Currency", "sr", "res.currency"),
    mail_message_id: f("many2one", "Message ID", "qs", "mail.message"),
    ...magic(),
  },
};

/** odoo/addons/base/models/ir_model.py: a field's display name is its `field_description`. */
const irModelFields: ModelDef = {
  name: "ir.model.fields",
  description: "Fields",
  order: "id",
  fields: {
    name: f("char", "Field Name", "qs"),
    model: f("char", "Model Name", "qs"),
    field_description: f("char", "Field Label", "qs"),
    ttype: f("selection", "Field Type", "qs"),
    relation: f("char", "Related Model", "s"),
    ...magic(),
  },
};

/** Small lookup models that relational fields point at. */
function nameOnly(name: string, description: string, extra: Record<string, FieldDef> = {}): ModelDef {
  return {
    name,
    description,
    order: "name, id",
    fields: { name: f("char", "Name", "qs"), ...extra, ...magic() },
  };
}

/** Every model the simulator serves, by technical name. */
export const MODELS: ReadonlyMap<string, ModelDef> = new Map(
  [
    crmLead,
    resPartner,
    crmStage,
    crmTag,
    crmTeam,
    crmLostReason,
    resUsers,
    irAttachment,
    mailActivity,
    mailActivityType,
    mailMessage,
    mailTrackingValue,
    irModelFields,
    nameOnly("res.company", "Companies", { currency_id: f("many2one", "Currency", "qs", "res.currency") }),
    nameOnly("res.currency", "Currency", { symbol: f("char", "Symbol", "qs") }),
    nameOnly("res.country", "Country", { code: f("char", "Country Code", "s") }),
    nameOnly("ir.model", "Models", { model: f("char", "Model", "qs") }),
    nameOnly("mail.message.subtype", "Message subtypes"),
  ].map((m) => [m.name, m]),
);

/** Models that have an `active` field, so archived rows hide from searches. */
export function hasActive(model: ModelDef): boolean {
  return model.fields.active?.type === "boolean";
}

/**
 * Fields Odoo 19 removed and added, per model, as `fields_get` on a real 19.0 server showed them against
 * 17.0 (scripts/fixtures/odoo19/fields_17_vs_19.json; only the fields this schema holds are removed).
 */
/**
 * What Odoo 19 changed: fields removed (fields_17_vs_19.json), added, and described otherwise (`changed`:
 * the attributes a real 19.0's fields_get gave, scripts/fixtures/odoo19_live/fields19.json).
 */
const ODOO19: Record<
  string,
  {
    description?: string;
    removed: string[];
    added: Record<string, FieldDef>;
    changed?: Record<string, FieldDef>;
  }
> = {
  "crm.lead": {
    // fixture odoo19/05: "You are not allowed to access 'Lead' (crm.lead) records."
    description: "Lead",
    removed: ["kanban_state", "mobile", "mobile_blacklisted", "title"],
    added: {
      commercial_partner_id: f("many2one", "Customer Company", "", "res.partner"),
      is_rotting: f("boolean", "Rotting", "r"),
      rotting_days: f("integer", "Days Rotting", "r"),
      stage_id_color: f("integer", "Stage Color", "r"),
      won_status: f("selection", "Won/Lost", "sr"),
    },
    changed: {
      partner_id: f("many2one", "Contact", "s", "res.partner"),
      phone_mobile_search: f("char", "Phone Number", ""),
    },
  },
  "res.partner": {
    removed: [
      "additional_info",
      "date",
      "mobile",
      "mobile_blacklisted",
      "partner_gid",
      "signup_expiration",
      "signup_token",
      "signup_url",
      "signup_valid",
      "starred_message_ids",
      "team_id",
      "title",
    ],
    added: {},
    changed: { commercial_company_name: f("char", "Company Name Entity", "sr") },
  },
  "res.users": {
    removed: ["groups_id", "mobile", "title", "team_id"],
    added: {},
    changed: {
      name: f("char", "Name", ""),
      email: f("char", "Email", ""),
      lang: f("selection", "Language", ""),
      tz: f("selection", "Timezone", ""),
      login_date: f("datetime", "Latest Login", ""),
    },
  },
  "crm.stage": {
    removed: ["team_id"],
    added: {
      rotting_threshold_days: f("integer", "Days to rot", "s"),
      team_ids: f("many2many", "Sales Teams", "s", "crm.team"),
      color: f("integer", "Color", "s"),
    },
  },
  "ir.attachment": {
    removed: [],
    added: {},
    changed: { mimetype: f("char", "Mime Type", "sr"), local_url: f("char", "Attachment URL", "r") },
  },
  "mail.activity": { removed: ["request_partner_id"], added: {} },
  // mail.message, mail.tracking.value and ir.model.fields: none recorded by fields_get on 19.0; the fields
  // served here are in addons/mail/models/mail_message.py and mail_tracking_value.py of 17.0 and of
  // odoo/odoo's later branches alike (19 dropped mail.tracking.value's computed `field_groups`, not served).
};

/** The models of an Odoo major version: 17 as recorded (fixture 55), 19 with its fields removed and added. */
export function modelsFor(version: 17 | 19): ReadonlyMap<string, ModelDef> {
  if (version === 17) return MODELS;
  const out = new Map<string, ModelDef>();
  for (const [name, def] of MODELS) {
    const change = ODOO19[name];
    if (!change) {
      out.set(name, def);
      continue;
    }
    const fields: Record<string, FieldDef> = {};
    for (const [k, v] of Object.entries(def.fields)) {
      if (!change.removed.includes(k)) fields[k] = change.changed?.[k] ?? v;
    }
    out.set(name, {
      ...def,
      description: change.description ?? def.description,
      fields: { ...fields, ...change.added },
    });
  }
  return out;
}
