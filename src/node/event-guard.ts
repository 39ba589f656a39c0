/**
 * What runs before any handler on the receiving side: the caller tag and
 * trace context the sender passed are checked (a missing or bad traceparent
 * is replaced by a new one), the policy judges the call (a refusal is
 * answered 252 with the deciding rule, which the sender's front shows as
 * 403), and the audit log gets one `in` line per event.
 */
import type { AuditLog, AuditRecord } from "../audit/index.ts";
import { handlerNameFor, type DispatchContext, type Dispatcher } from "../dispatch/index.ts";
import { badRequestReply, deniedReply } from "../replies/index.ts";
import { statusForReply } from "../http/index.ts";
import { denialMessage, type CompiledPolicy, type PolicyCall, type Verdict } from "../policy/index.ts";
import { callerProblem, traceContext } from "../trace/index.ts";
import type { Event, EventReply } from "../wire/index.ts";
import type { Logger } from "../log/index.ts";

/** What the guard needs from the node. */
export interface GuardOptions {
  /** The policy in force now (it changes on reload). */
  readonly policy: () => CompiledPolicy;
  readonly audit?: AuditLog | undefined;
  /** A call the policy refused, by the deciding rule (0: the default): for the metrics. */
  readonly onDenied?: (rule: number) => void;
  /** Refusals are logged at debug level (a peer hammering a denied call must not flood the log; the audit log has each). */
  readonly log?: Logger;
}

/** The handler name the policy's handler patterns are matched against. */
export const policyHandlerName = (verb: string, noun: string): string => handlerNameFor(verb.toLowerCase(), noun);

/** The upper-case verbs of the audit line, without a new string per event. */
const UPPER_VERBS: Readonly<Record<string, string>> = { get: "GET", head: "HEAD", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE" };

/** A record filled for each line: AuditLog.record encodes it at once and keeps nothing of it, so one object serves every event. */
type Line = { -readonly [K in keyof AuditRecord]: AuditRecord[K] };

/** Wraps a dispatcher with the caller and trace checks, the policy and the audit line. */
export function guardDispatcher(dispatcher: Dispatcher, options: GuardOptions): Dispatcher {
  const { audit, onDenied } = options;
  // The call being judged, filled for each event: judge reads it at once and keeps only its strings.
  const call: { -readonly [K in keyof PolicyCall]: PolicyCall[K] } = { cn: "", verb: "", noun: "" };
  const line: Line = { direction: "in", cn: "", verb: "", noun: "", caller: undefined, code: 0, status: 0, bytesIn: 0, bytesOut: 0, durationMs: 0, rule: undefined, traceparent: undefined };
  /** The `in` line of an answered event, when the audit log is on. */
  const writeLine = (event: Event, context: DispatchContext, reply: EventReply, rule: number | undefined, badCaller: string | undefined, started: number): EventReply => {
    const verb = event.verb ?? "";
    line.cn = context.peer.name;
    line.verb = UPPER_VERBS[verb] ?? verb.toUpperCase();
    line.noun = event.noun ?? "";
    line.caller = badCaller === undefined ? event.caller : undefined; // a refused tag may be anything, of any length
    line.code = reply.code ?? 0;
    line.status = statusForReply(reply);
    line.bytesIn = event.data?.length ?? 0;
    line.bytesOut = reply.data?.length ?? 0;
    const ended = performance.now();
    line.durationMs = ended - started;
    line.rule = rule;
    line.traceparent = event.traceparent;
    audit!.record(line, ended);
    return reply;
  };
  // Not an async function: an allowed event without the audit log is the dispatcher's own promise, with no second one around it.
  return (event, context) => {
    const started = audit ? performance.now() : 0;
    const verb = event.verb ?? "";
    const noun = event.noun ?? "";
    const badCaller = event.caller === undefined ? undefined : callerProblem(event.caller);
    const trace = traceContext(event.traceparent, event.tracestate);
    event.traceparent = trace.traceparent;
    if (trace.tracestate === undefined) delete event.tracestate;
    else event.tracestate = trace.tracestate;
    if (badCaller !== undefined) {
      const refused = badRequestReply(badCaller);
      return Promise.resolve(audit ? writeLine(event, context, refused, undefined, badCaller, started) : refused);
    }
    const policy = options.policy();
    // A HEAD is judged as the GET it is without its body: a rule for GET covers it.
    const judged = verb === "head" ? "get" : verb;
    let verdict: Verdict | undefined;
    if (!policy.allowsAll) {
      call.cn = context.peer.name;
      call.verb = judged;
      call.noun = noun;
      verdict = policy.judge(call);
    }
    if (verdict?.action === "deny") {
      const message = denialMessage({ cn: context.peer.name, verb: judged, noun }, policyHandlerName(judged, noun), verdict);
      const denied = deniedReply(message, verdict.rule);
      onDenied?.(verdict.rule);
      options.log?.debug("event refused by the policy", { peer: context.peer.name, reason: message, rule: verdict.rule });
      return Promise.resolve(audit ? writeLine(event, context, denied, verdict.rule, undefined, started) : denied);
    }
    if (!audit) return dispatcher(event, context);
    const rule = verdict?.rule;
    return dispatcher(event, context).then((reply) => writeLine(event, context, reply, rule, undefined, started));
  };
}
