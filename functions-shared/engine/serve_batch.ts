/**
 * The one shape of every batch call (DESIGN.md, "The functions"):
 * authenticate, run the function's step within a budget, write one
 * `migration_logs` row, answer `{ migrated, failed, remaining, remainingFlag,
 * elapsedS }`, and chain the next call while work remains. Functions supply
 * only their step; `index.ts` is a thin adapter around this.
 *
 * - Authentication comes first, from the headers: a refused call is answered
 *   without its body being read, and counted (request_guard.ts).
 * - A call chains only when it did work and more remains. A call that found
 *   nothing it may do (every job leased by another call, files waiting out a
 *   backoff) does not: the lease holder's own chain, or cron, comes next. So a
 *   job costs at most ceil(work / one call's budget) + a couple of calls.
 * - A key or right refused (`pausesWork`) pauses the function with a reason.
 * - A database that cannot be reached answers 503 `db_unavailable`; the call's
 *   log row is kept and written once the database is back.
 */
import type { Config } from "../config.ts";
import { dbUnavailable, isDbUnavailable } from "../db.ts";
import type { Sql } from "../deps.ts";
import { asPasserelleError, type PasserelleError } from "../errors.ts";
import type { Caller } from "./auth.ts";
import type { BatchAnswer, StepResult } from "./batch_result.ts";
import { type BatchLogRow, LogBacklog, writeBatchLog } from "./batch_log.ts";
import { type Budget, requestedBudget, startBudget } from "./budget.ts";
import { pauseReason, pausesWork } from "./pause_reason.ts";
import { redact } from "./redact.ts";
import { admit, DEFAULT_MAX_BODY_BYTES, readJsonObject, refuse } from "./request_guard.ts";
import { processCpuMs, startUsageMeter } from "./usage.ts";

export interface StepContext {
  sql: Sql;
  budget: Budget;
  caller: Caller;
  trigger: string;
  /** The request's JSON body (`{}` when none). */
  body: Record<string, unknown>;
  /** Call it at natural checkpoints so that peak memory is seen. */
  sampleMemory: () => void;
}

export type Step = (ctx: StepContext) => Promise<StepResult>;

export interface ServeBatchDeps {
  name: string;
  config:
    & Pick<Config, "serviceRoleKey" | "secretKey" | "jwtSecret" | "budget" | "workers" | "chain">
    & Partial<Pick<Config, "maxBodyBytes">>;
  sql: Sql;
  step: Step;
  /** Who may call: the service role only (default) or signed-in users too. */
  allowUsers?: boolean;
  now?: () => number;
  cpu?: () => number;
  /** Secrets to keep out of every log and answer, besides the configured keys. */
  secrets?: (string | undefined)[];
}

/** One call already admitted: who, with what body, fired by what. */
export interface CallInput {
  caller: Caller;
  body: Record<string, unknown>;
  trigger?: string;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Whether a step's call did something: moved items, or says it worked (a page read, a job claimed). */
export function didWork(r: StepResult): boolean {
  return r.worked ?? (r.migrated + r.failed > 0);
}

/**
 * Runs admitted calls of a function: budget, step, log row, chaining. Used by
 * `serveBatch` after authentication, and by the import functions for the
 * first batch of a job they just started (so that it logs and chains too).
 */
export function batchCall(d: ServeBatchDeps): (input: CallInput) => Promise<Response> {
  const now = d.now ?? (() => performance.now());
  const cpu = d.cpu ?? processCpuMs;
  const secrets = [d.config.serviceRoleKey, d.config.secretKey, d.config.jwtSecret, ...(d.secrets ?? [])];
  const clean = (s: string) => redact(s, secrets);
  const backlog = new LogBacklog(
    d.sql,
    (e) => console.error(`[${d.name}] cannot log a call`, clean(String(e))),
  );

  return async ({ caller, body, trigger: given }) => {
    const meter = startUsageMeter();
    const t0 = now();
    const c0 = cpu();
    const usage = () => ({
      elapsedS: Math.round(now() - t0) / 1000,
      cpuMs: Math.round((cpu() - c0) * 10) / 10,
      peakMemoryMb: meter.stop(),
      peakRssMb: meter.peakRssMb(),
    });
    const trigger = given ?? (typeof body.trigger === "string" ? body.trigger.slice(0, 20) : "http");
    let callId: string | null = null;

    /** A call that did no work: crashed, paused for a refused key, or the database lost. */
    const failed = async (e: unknown): Promise<Response> => {
      const lost = isDbUnavailable(e);
      const err: PasserelleError = lost ? dbUnavailable(e) : asPasserelleError(e);
      const message = clean(err.message);
      const pause = pausesWork(err.code) ? clean(pauseReason(d.name, err)) : null;
      const row: BatchLogRow = {
        functionName: d.name,
        status: "error",
        migrated: 0,
        failed: 0,
        remaining: null,
        errors: [`${err.code}: ${message}`],
        trigger,
        ...usage(),
        ...(pause ? { details: { paused: pause } } : {}),
      };
      if (lost) {
        // Logged once the database is back (the next call, or the backlog's own retry).
        console.error(`[${d.name}] ${err.code}: ${message}`);
        backlog.add(row, callId);
      } else {
        await d.sql.begin(async (tx) => {
          await writeBatchLog(tx as unknown as Sql, row);
          if (pause) await tx`select passerelle.pause(${d.name}, ${pause})`;
          // No chaining after a crash: a persistent failure would loop; cron retries it each minute.
          if (callId) await tx`select passerelle.finish_call(${callId}, false, 0, false)`;
        }).catch((logError) => {
          if (isDbUnavailable(logError)) backlog.add(row, callId);
          else console.error(`[${d.name}] cannot log a failed call`, clean(String(logError)));
        });
      }
      const { elapsedS, cpuMs, peakMemoryMb, peakRssMb } = row;
      return json(
        {
          code: err.code,
          message: pause ?? message,
          status: "error",
          remainingFlag: true,
          ...(pause ? { paused: true } : {}),
          elapsedS,
          cpuMs,
          peakMemoryMb,
          peakRssMb,
        },
        lost ? 503 : 500,
      );
    };

    try {
      await backlog.flush();
      const [control] = await d.sql<{ paused: boolean; reason: string | null }[]>`
        select paused, reason from passerelle.controls where function_name = ${d.name}`;
      if (control?.paused) {
        return json({
          migrated: 0,
          failed: 0,
          remaining: null,
          remainingFlag: false,
          paused: true,
          ...(control.reason ? { reason: control.reason } : {}),
          ...usage(),
        });
      }
      const budgetLimits = requestedBudget(body.budget, d.config.budget);
      const callBudget = startBudget(budgetLimits, { now, cpu });
      [{ id: callId }] = await d.sql<
        { id: string }[]
      >`select passerelle.begin_call(${d.name}, ${trigger}) as id`;

      const result = await d.step({
        sql: d.sql,
        budget: callBudget,
        caller,
        trigger,
        body,
        sampleMemory: meter.sample,
      });

      const u = usage();
      const errors = result.errors.map(clean);
      const chain = result.more && didWork(result) && d.config.chain;
      const answer: BatchAnswer = {
        migrated: result.migrated,
        failed: result.failed,
        remaining: result.remaining,
        remainingFlag: result.more,
        status: "success",
        errors,
        details: result.details,
        ...u,
      };
      await d.sql.begin(async (tx) => {
        await writeBatchLog(tx as unknown as Sql, {
          functionName: d.name,
          status: "success",
          migrated: result.migrated,
          failed: result.failed,
          remaining: result.remaining,
          errors,
          trigger,
          details: result.details,
          ...u,
        });
        const [{ chained }] = await tx<{ chained: number }[]>`
          select passerelle.finish_call(${callId}, ${chain}, ${d.config.workers},
                                        ${trigger !== "chain"}) as chained`;
        answer.chained = chained;
      });
      return json(answer);
    } catch (e) {
      return await failed(e);
    }
  };
}

/** Builds the HTTP handler of a batch function. */
export function serveBatch(d: ServeBatchDeps): (req: Request) => Promise<Response> {
  const run = batchCall(d);
  const guard = { name: d.name, sql: d.sql, keys: d.config, allowUsers: d.allowUsers };
  const maxBody = d.config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req: Request) => {
    const admitted = await admit(req, guard);
    if ("refused" in admitted) return admitted.refused;
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(req, maxBody);
    } catch (e) {
      return await refuse(guard, e);
    }
    return await run({ caller: admitted.caller, body });
  };
}
