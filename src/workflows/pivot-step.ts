import { ApplicationFailure, CancellationScope, patched, sleep } from '@temporalio/workflow';
import type { StepView } from '../domain/saga';
import type { Reference } from '../domain/steps';
import { attemptOf, describeFailure } from './failures';
import { settleForward } from './forward-rounds';
import { Patches } from './patches';
import { appliedBy, refused, type SagaContext } from './saga-context';
import { labelOf, type CallOptions, type StepDecl } from './steps';

/**
 * The point of no return, from the moment it is sent: neither a cancel nor the deadline stops it, and
 * a timeout or a 5xx is retried until the call has an answer. A refusal compensates only when the
 * backend confirms that nothing was applied; an answer that says it was applied is taken as success.
 */
export async function runPivot<A, I>(ctx: SagaContext, name: string, decl: StepDecl<A, I>, input: I, call: CallOptions): Promise<unknown> {
  const label = labelOf(name, call.unit);
  if (ctx.stopReason) throw ApplicationFailure.nonRetryable(ctx.stopReason.message, ctx.stopReason.type);
  ctx.withinDeadline(ctx.options.afterPivot, label);
  ctx.pivotState = 'inFlight';
  const step = ctx.record.begin(label);
  const summary = call.summary ?? decl.summary?.(input) ?? label;
  const reference = (input as Partial<Reference>).reference ?? ctx.caller.keyOf(label);
  const local = ctx.runsLocally(decl, call);
  if (ctx.definite) {
    const plan = ctx.forwardPlan(decl, { activity: name, input, label, local, summary }, true, step, reference);
    const outcome = await CancellationScope.nonCancellable(() => settleForward(plan, ctx.forwardContext()));
    if (outcome.kind === 'refused') {
      ctx.record.end(step, 'FAILED', outcome.attempts, describeFailure(outcome.error, label).message);
      ctx.pivotState = 'refused';
      throw outcome.error;
    }
    const note = outcome.kind === 'resolved' ? `resolved by ${outcome.action.operator}` : outcome.note;
    return passPivot(ctx, step, outcome.attempts, note, outcome.kind === 'done' ? outcome.value : undefined);
  }
  return legacyPivot(ctx, { name, decl, input, label, local, summary, reference, step });
}

interface PivotCall<A, I> {
  name: string;
  decl: StepDecl<A, I>;
  input: I;
  label: string;
  local: boolean;
  summary: string;
  reference: string;
  step: StepView;
}

/** The pivot of a saga started before definite answers: an unreadable answer is sent again, then an operator decides. */
async function legacyPivot<A, I>(ctx: SagaContext, { name, decl, input, label, local, summary, reference, step }: PivotCall<A, I>): Promise<unknown> {
  const opts = local ? ctx.options.local.afterPivot : ctx.options.afterPivot;
  let unreadable = 0;
  for (;;) {
    try {
      const run = () => ctx.caller.invoke({ activity: name, input, label, local, opts, summary });
      const { value, attempt } = await CancellationScope.nonCancellable(run);
      return passPivot(ctx, step, attempt, null, value);
    } catch (err) {
      const lookup = decl.probe ? await CancellationScope.nonCancellable(() => ctx.caller.lookUp(decl.probe!, reference, label)) : null;
      if (lookup && appliedBy(lookup, decl)) return passPivot(ctx, step, attemptOf(err), `reconciled: ${lookup.status}`, undefined);
      ctx.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, label).message);
      if (!lookup) throw err; // nobody can say whether it landed: FAILED, for an operator, never compensated
      if (refused(err, local)) {
        ctx.pivotState = 'refused';
        throw err;
      }
      // An answer nobody could read, and nothing applied: send it again, under the same key. Past a few
      // tries an operator decides (resend or resolve), so the loop cannot outgrow the saga's history.
      unreadable += 1;
      if (unreadable >= ctx.options.tuning.stuckAfterAttempts && patched(Patches.pivotDesk)) {
        unreadable = 0;
        if ((await ctx.afterPivotDecision(step, err)) === 'resolve') return passPivot(ctx, step, step.attempts, step.error, undefined);
        continue;
      }
      await CancellationScope.nonCancellable(() => sleep(ctx.options.tuning.compensationBackoffMs.initial));
    }
  }
}

function passPivot(ctx: SagaContext, step: StepView, attempt: number, note: string | null, value: unknown): unknown {
  ctx.record.end(step, 'SUCCEEDED', attempt, note);
  ctx.pivotState = 'passed';
  return value;
}
