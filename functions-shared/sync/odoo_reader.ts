/**
 * What the sync needs from Odoo: the read side of the client in
 * `functions-shared/odoo/client.ts`, as a port so that the sync's tests and
 * benchmarks can count calls.
 */
export type Domain = unknown[];

export interface ReadOptions {
  fields: string[];
  limit?: number;
  offset?: number;
  order?: string;
  context?: Record<string, unknown>;
}

export interface OdooReader {
  searchRead<T = Record<string, unknown>>(model: string, domain: Domain, opts: ReadOptions): Promise<T[]>;
  searchCount(model: string, domain: Domain, opts?: { context?: Record<string, unknown> }): Promise<number>;
  read<T = Record<string, unknown>>(
    model: string,
    ids: number[],
    fields: string[],
    opts?: { context?: Record<string, unknown> },
  ): Promise<T[]>;
}
