import { CancellationScope, isCancellation, patched, type ActivityOptions } from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import type { StepView } from '../domain/saga';
import type { Reference } from '../domain/steps';
import { attemptOf, describeFailure } from './failures';
import { settleForward } from './forward-rounds';
import { Patches } from './patches';
import { refused, type SagaContext } from './saga-context';
import type { Invocation } from './step-caller';
import { labelOf, type CallOptions, type StepDecl } from './steps';
import type { UndoStack } from './undo-stack';

/**
 * One declared step; its undo is registered before the call, as the call may land. Before the pivot it
 * is retried a bounded number of times and a failure goes back up (the saga compensates); after the
 * pivot it is settled in rounds until it has a definite answer or an operator's decision.
 */
export async function runStep<A, I>(ctx: SagaContext, undos: UndoStack, name: string, decl: StepDecl<A, I>, input: I, call: CallOptions): Promise<unknown> {
  const label = labelOf(name, call.unit);
  const step = ctx.record.begin(label);
  const undo = decl.undo ? undos.register(decl, step, label, input, call) : null;
  const local = ctx.runsLocally(decl, call);
  const activity = ctx.caller.declared ? name : (decl.legacy?.activity ?? name);
  const summary = call.summary ?? decl.summary?.(input) ?? label;
  if (ctx.goesOnlyForward(call)) {
    // A step after the pivot is looked up by its input's reference when it has one (a capture by its authorization's).
    const reference = ctx.bounded ? (input as Partial<Reference>).reference : undefined;
    const plan = ctx.forwardPlan(decl, { activity, input, label, local, summary }, false, step, reference);
    const outcome = await CancellationScope.nonCancellable(() => settleForward(plan, ctx.forwardContext()));
    if (outcome.kind === 'resolved') ctx.record.end(step, 'SUCCEEDED', outcome.attempts, `resolved by ${outcome.action.operator}`);
    else if (outcome.kind === 'done') ctx.record.end(step, 'SUCCEEDED', outcome.attempts, outcome.note);
    if (undo) undo.uncertain = false;
    return outcome.kind === 'done' ? outcome.value : undefined;
  }
  if (call.passesUnit && ctx.definite && patched(Patches.unitPassSettles)) return settleUnitPass(ctx, undos, { decl, activity, input, label, local, summary, step }, call);
  for (let tryNo = 1; ; tryNo += 1) {
    const tryLabel = tryNo === 1 ? label : `${label}~${tryNo}`;
    let fellBack = false;
    const invocation = { activity, input, label: tryLabel, summary };
    const run = () =>
      local && ctx.definite
        ? boundedLocal(ctx, invocation, label, () => {
            fellBack = true;
          })
        : ctx.caller.invoke({ ...invocation, ...ctx.optionsFor(label, local) });
    try {
      const { value, attempt } = await (ctx.pivoted ? CancellationScope.nonCancellable(run) : run());
      ctx.record.end(step, 'SUCCEEDED', attempt, null);
      if (undo) undo.uncertain = false;
      return value;
    } catch (err) {
      ctx.noteDeadline(err, label);
      ctx.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, label).message);
      // Only local holds have an undo to drop: see order-checkout.
      // A refusal after an attempt with no definite answer does not prove that attempt did not land.
      if (refused(err, local) && (!ctx.definite || (attemptOf(err) === 1 && !fellBack))) {
        undos.drop(step);
        call.onRefused?.();
      }
      if (!ctx.pivoted || !ctx.caller.declared || isCancellation(err)) throw err;
      // Past the pivot the saga cannot go back: it waits for an operator to retry or resolve the step.
      if ((await ctx.afterPivotDecision(step, err)) === 'resolve') return undefined;
    }
  }
}

interface UnitPass<A, I> {
  decl: StepDecl<A, I>;
  activity: string;
  input: I;
  label: string;
  local: boolean;
  summary: string;
  step: StepView;
}

/**
 * The call that passes a unit's own point of no return (unitPassSettles), settled like the pivot: an
 * unknown answer is retried, STUCK past the attempts bound and open to an operator, never FAILED at once.
 * A definite refusal at its first attempt means it took no effect: the unit is given back (`onRefused`).
 */
async function settleUnitPass<A, I>(ctx: SagaContext, undos: UndoStack, pass: UnitPass<A, I>, call: CallOptions): Promise<unknown> {
  const { decl, activity, input, label, local, summary, step } = pass;
  const plan = { ...ctx.forwardPlan(decl, { activity, input, label, local, summary }, true, step), refusalDecides: true, holdWhenStuck: true };
  const outcome = await CancellationScope.nonCancellable(() => settleForward(plan, ctx.forwardContext()));
  if (outcome.kind === 'refused') {
    ctx.record.end(step, 'FAILED', outcome.attempts, describeFailure(outcome.error, label).message);
    undos.drop(step);
    call.onRefused?.();
    throw outcome.error;
  }
  ctx.record.end(step, 'SUCCEEDED', outcome.attempts, outcome.kind === 'resolved' ? `resolved by ${outcome.action.operator}` : outcome.note);
  return outcome.kind === 'done' ? outcome.value : undefined;
}

/**
 * A local step before the pivot: two short tries in the worker, then the rest of its attempts as an
 * ordinary activity, so a step that keeps failing never holds the workflow task (and the state query).
 */
async function boundedLocal(ctx: SagaContext, call: Omit<Invocation, 'opts' | 'local'>, label: string, fellBack: () => void): Promise<Attempted<unknown>> {
  const local = ctx.optionsFor(label, true).opts;
  const max = local.retry?.maximumAttempts;
  const tries = Math.min(2, max ?? 2);
  try {
    return await ctx.caller.invoke({ ...call, local: true, opts: { ...local, retry: { ...local.retry, maximumAttempts: tries } } });
  } catch (err) {
    // A local try the deadline cut short is not sent again as an activity after it (Patches.clockFree).
    if (isCancellation(err) || refused(err, true) || (max !== undefined && max <= tries) || ctx.cutByDeadline(err)) throw err;
    fellBack();
    const opts = ctx.optionsFor(label, false).opts as ActivityOptions;
    const retry = max === undefined ? opts.retry : { ...opts.retry, maximumAttempts: max - tries };
    const answer = await ctx.caller.invoke({ ...call, local: false, opts: { ...opts, retry } });
    return { value: answer.value, attempt: answer.attempt + tries };
  }
}
