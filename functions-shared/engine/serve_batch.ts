/**
 * The one shape of every batch call (DESIGN.md, "The functions"):
 * authenticate, run the function's step within a budget, write one
 * `migration_logs` row, answer `{ migrated, failed, remaining, remainingFlag,
 * elapsedS }`, and chain the next call while work remains. Functions supply
 * only their step; `index.ts` is a thin adapter around this.
 */
import type { Config } from "../config.ts";
import type { Sql } from "../deps.ts";
import { asPasserelleError, PasserelleError } from "../errors.ts";
import { authenticate, type Caller } from "./auth.ts";
import type { BatchAnswer, StepResult } from "./batch_result.ts";
import { writeBatchLog } from "./batch_log.ts";
import { type Budget, requestedBudget, startBudget } from "./budget.ts";
import { redact } from "./redact.ts";
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
  config: Pick<Config, "serviceRoleKey" | "secretKey" | "jwtSecret" | "budget" | "workers" | "chain">;
  sql: Sql;
  step: Step;
  /** Who may call: the service role only (default) or signed-in users too. */
  allowUsers?: boolean;
  now?: () => number;
  cpu?: () => number;
  /** Secrets to keep out of every log and answer, besides the configured keys. */
  secrets?: (string | undefined)[];
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Builds the HTTP handler of a batch function. */
export function serveBatch(d: ServeBatchDeps): (req: Request) => Promise<Response> {
  const now = d.now ?? (() => performance.now());
  const cpu = d.cpu ?? processCpuMs;
  const secrets = [d.config.serviceRoleKey, d.config.secretKey, d.config.jwtSecret, ...(d.secrets ?? [])];
  const clean = (s: string) => redact(s, secrets);

  return async (req: Request) => {
    const meter = startUsageMeter();
    const t0 = now();
    const c0 = cpu();
    const usage = () => ({
      elapsedS: Math.round(now() - t0) / 1000,
      cpuMs: Math.round((cpu() - c0) * 10) / 10,
      peakMemoryMb: meter.stop(),
      peakRssMb: meter.peakRssMb(),
    });
    let body: Record<string, unknown> = {};
    let badBody = false;
    try {
      const text = await req.text();
      const parsed = text.trim() ? JSON.parse(text) : {};
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed;
      else badBody = true;
    } catch {
      badBody = true;
    }
    const trigger = typeof body.trigger === "string" ? body.trigger.slice(0, 20) : "http";
    /** The log row of a call that did no work: refused, or crashed. */
    const failureRow = (status: "error" | "auth_error", code: string, message: string) => ({
      functionName: d.name,
      status,
      migrated: 0,
      failed: 0,
      remaining: null,
      errors: [`${code}: ${message}`],
      trigger,
      ...usage(),
    });

    let caller: Caller;
    try {
      caller = await authenticate(req, d.config);
      if (caller.kind !== "service" && !d.allowUsers) {
        throw new PasserelleError("forbidden", "This function is for the service role only");
      }
    } catch (e) {
      const err = asPasserelleError(e);
      const message = clean(err.message);
      await writeBatchLog(d.sql, failureRow("auth_error", err.code, message)).catch(() => {});
      return json({ code: err.code, message }, err.code === "forbidden" ? 403 : 401);
    }

    if (badBody) {
      const message = "The request body must be a JSON object (or empty)";
      await writeBatchLog(d.sql, failureRow("error", "bad_request", message)).catch(() => {});
      return json({ code: "bad_request", message }, 400);
    }

    const [control] = await d.sql<{ paused: boolean }[]>`
      select paused from passerelle.controls where function_name = ${d.name}`;
    if (control?.paused) {
      return json({
        migrated: 0,
        failed: 0,
        remaining: null,
        remainingFlag: false,
        paused: true,
        ...usage(),
      });
    }

    const budgetLimits = requestedBudget(body.budget, d.config.budget);
    const callBudget = startBudget(budgetLimits, { now, cpu });
    const [{ id: callId }] = await d.sql<
      { id: string }[]
    >`select passerelle.begin_call(${d.name}, ${trigger}) as id`;

    let result: StepResult;
    try {
      result = await d.step({
        sql: d.sql,
        budget: callBudget,
        caller,
        trigger,
        body,
        sampleMemory: meter.sample,
      });
    } catch (e) {
      const err = asPasserelleError(e);
      const message = clean(err.message);
      const row = failureRow("error", err.code, message);
      await d.sql.begin(async (tx) => {
        await writeBatchLog(tx as unknown as Sql, row);
        // No chaining after a crash: a persistent failure would loop; cron retries it each minute.
        await tx`select passerelle.finish_call(${callId}, false, 0, false)`;
      }).catch((logError) => console.error(`[${d.name}] cannot log a failed call`, clean(String(logError))));
      const { elapsedS, cpuMs, peakMemoryMb, peakRssMb } = row;
      return json(
        {
          code: err.code,
          message,
          status: "error",
          remainingFlag: true,
          elapsedS,
          cpuMs,
          peakMemoryMb,
          peakRssMb,
        },
        500,
      );
    }

    const u = usage();
    const errors = result.errors.map(clean);
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
        select passerelle.finish_call(${callId}, ${result.more && d.config.chain}, ${d.config.workers},
                                      ${trigger !== "chain"}) as chained`;
      answer.chained = chained;
    });
    return json(answer);
  };
}
