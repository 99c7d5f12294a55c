/**
 * Odoo's server-side errors as the simulator raises them: the Python exception
 * class name, the message and arguments copied from the recorded transcripts
 * (scripts/fixtures/odoo/20-24, 31, 32, 63), and the HTTP status Odoo 19's
 * JSON-2 endpoint gives each class (`UserError.http_status` 422, AccessError and
 * AccessDenied 403, MissingError 404, anything else 500).
 */

/** A Python exception raised by the simulated Odoo. */
export class OdooFault extends Error {
  constructor(
    /** Fully qualified class name, as `error.data.name` shows it. */
    readonly odooName: string,
    message: string,
    /** Status JSON-2 answers with for this error. */
    readonly json2Status: number,
    /** `error.data.arguments` (defaults to `[message]`). */
    readonly args: unknown[] = [message],
    /** Last line of the traceback, when Python prints it differently from `name: message`. */
    readonly lastLine?: string,
  ) {
    super(message);
    this.name = "OdooFault";
  }

  /** The `data` object of a JSON-RPC error, which is also JSON-2's whole error body. */
  serialize(context: Record<string, unknown> = {}): OdooErrorData {
    return {
      name: this.odooName,
      debug: this.debug(),
      message: this.message,
      arguments: this.args,
      context,
    };
  }

  /** A traceback shaped like Odoo's; its last line is what Python prints for the exception. */
  debug(): string {
    const short = this.odooName.startsWith("builtins.") ? this.odooName.slice(9) : this.odooName;
    const last = this.lastLine ?? `${short}: ${this.message.replace(/\n$/, "")}`;
    return `Traceback (most recent call last):\n  File "odoo_simulator", line 1, in <simulated>\n${last}`;
  }
}

/** The `error.data` object of an Odoo JSON-RPC error. */
export interface OdooErrorData {
  name: string;
  debug: string;
  message: string;
  arguments: unknown[];
  context: Record<string, unknown>;
}

/**
 * Python's `repr()` of a JSON value, as Odoo puts domain leaves in messages:
 * `('no_such_field', '=', 1)`.
 */
export function pyRepr(value: unknown, tuple = false): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === "string") return pyStr(value);
  if (Array.isArray(value)) {
    const inner = value.map((v) => pyRepr(v)).join(", ");
    if (!tuple) return `[${inner}]`;
    return value.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyStr(k)}: ${pyRepr(v)}`);
  return `{${entries.join(", ")}}`;
}

function pyFloat(n: number): string {
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** Builders for every error the simulator raises, with Odoo's exact wording. */
export const faults = {
  /** 20: a name in `fields` that the model lacks. */
  invalidField(model: string, field: string): OdooFault {
    return new OdooFault("builtins.ValueError", `Invalid field '${field}' on model '${model}'`, 500);
  },
  /** 21: a domain leaf on a field the model lacks. */
  invalidFieldInLeaf(model: string, field: string, leaf: unknown[]): OdooFault {
    return new OdooFault(
      "builtins.ValueError",
      `Invalid field ${model}.${field} in leaf ${pyRepr(leaf, true)}`,
      500,
    );
  },
  /** A malformed domain term or operator. */
  invalidLeaf(leaf: unknown): OdooFault {
    return new OdooFault("builtins.ValueError", `Invalid leaf ${pyRepr(leaf, Array.isArray(leaf))}`, 500);
  },
  /** A domain whose prefix operators lack operands. */
  invalidDomain(domain: unknown): OdooFault {
    return new OdooFault("builtins.ValueError", `Invalid domain ${pyRepr(domain)}`, 500);
  },
  /** An `order` naming an unknown field or direction. */
  invalidOrder(order: string): OdooFault {
    return new OdooFault(
      "builtins.ValueError",
      `Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list ` +
        `of valid field names (optionally followed by asc/desc for the direction)`,
      500,
    );
  },
  /** 22: execute_kw on a model that does not exist. */
  unknownModel(model: string): OdooFault {
    return new OdooFault("odoo.exceptions.UserError", `Object ${model} doesn't exist`, 422);
  },
  /** 23: a user without the model's groups. */
  modelAccess(description: string, model: string, groups: string[]): OdooFault {
    const list = groups.map((g) => `\t- ${g}`).join("\n");
    return new OdooFault(
      "odoo.exceptions.AccessError",
      `You are not allowed to access '${description}' (${model}) records.\n\n` +
        `This operation is allowed for the following groups:\n${list}\n\n` +
        "Contact your administrator to request access if necessary.",
      403,
    );
  },
  /** 63: reading records the record rules hide (an orphan attachment), even as admin. */
  recordAccess(userName: string, uid: number, description: string, model: string): OdooFault {
    return new OdooFault(
      "odoo.exceptions.AccessError",
      "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n" +
        `Sorry, ${userName} (id=${uid}) doesn't have 'read' access to:\n- ${description} (${model})\n\n` +
        "If you really, really need access, perhaps you can win over your friendly administrator " +
        "with a batch of freshly baked cookies.",
      403,
    );
  },
  /** 24, 59: wrong password or uid in execute_kw or /web/session/authenticate. */
  accessDenied(): OdooFault {
    return new OdooFault("odoo.exceptions.AccessDenied", "Access Denied", 403);
  },
  /** 32: a method whose name starts with an underscore. */
  privateMethod(method: string): OdooFault {
    return new OdooFault(
      "odoo.exceptions.AccessError",
      `Private methods (such as ${method}) cannot be called remotely.`,
      403,
    );
  },
  /** A public method the model does not have. */
  unknownMethod(model: string, method: string): OdooFault {
    return new OdooFault(
      "builtins.AttributeError",
      `The method '${method}' does not exist on the model '${model}'`,
      404,
    );
  },
  /** 04: a database name the server does not host. */
  unknownDatabase(db: string): OdooFault {
    const text =
      `connection to server at "127.0.0.1", port 5499 failed: FATAL:  database "${db}" does not exist`;
    return new OdooFault("psycopg2.OperationalError", `${text}\n`, 500);
  },
  /** 31: an unknown JSON-RPC service (Python's KeyError repr is quoted). */
  keyError(key: string): OdooFault {
    return new OdooFault("builtins.KeyError", key, 500, [key], `KeyError: ${pyRepr(key)}`);
  },
  /** Wrong arguments for a method, as Python's TypeError says it. */
  typeError(message: string): OdooFault {
    return new OdooFault("builtins.TypeError", message, 422);
  },
  /**
   * A PostgreSQL serialization failure that outlived Odoo's own retries
   * (`service.model.retrying` gives up after 5 tries and re-raises).
   */
  serializationFailure(): OdooFault {
    return new OdooFault(
      "psycopg2.errors.SerializationFailure",
      "could not serialize access due to concurrent update\n",
      500,
    );
  },
  /** Something Odoo can do but the simulator does not. */
  notSupported(what: string): OdooFault {
    return new OdooFault(
      "builtins.NotImplementedError",
      `${what} is not supported by the Odoo simulator`,
      500,
    );
  },
};
