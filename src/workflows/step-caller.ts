import { isCancellation, proxyActivities, proxyLocalActivities, workflowInfo, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import type { Alert } from '../domain/operator';
import type { Lookup, StepCall } from '../domain/steps';
import type { StepDecl } from './steps';

export interface Invocation {
  activity: string;
  input: unknown;
  /** The step as the view shows it (`reserveBike#2`), or its undo (`reserveBike#2:undo`). */
  label: string;
  local: boolean;
  opts: ActivityOptions | LocalActivityOptions;
  summary: string;
  /** The activity id when it is not the label (each round of a forward step has its own). */
  activityId?: string;
}

type Fns = Record<string, (input: unknown, call?: StepCall) => Promise<Attempted<unknown>>>;

/**
 * How the engine calls activities: the Idempotency-Key of every call and the step name it carries, the
 * undo of a declared step with the forward call's reference, the probes, and the alerts.
 */
export class StepCaller {
  constructor(
    private readonly sagaId: string,
    /** False for a saga started before declared steps: old activity names and keys, nothing passed along. */
    readonly declared: boolean,
    private readonly persistent: ActivityOptions,
  ) {}

  /**
   * The saga, the step (with its unit or try) and the saga's first run: a new saga that reuses a workflow
   * id after the old one's retention never gets the old one's stored replies.
   */
  keyOf(label: string): string {
    return this.declared ? `${this.sagaId}:${label}@${workflowInfo().firstExecutionRunId}` : `${this.sagaId}:${label}`;
  }

  /** Every call, local or not, carries its step and key (a local activity's own id is only a sequence number). */
  invoke({ activity, input, label, local, opts, summary, activityId }: Invocation): Promise<Attempted<unknown>> {
    const args: [unknown, StepCall?] = this.declared ? [input, { step: label, key: this.keyOf(label) }] : [input];
    if (local) return proxyLocalActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, summary }, args);
    return proxyActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, activityId: activityId ?? label, summary }, args);
  }

  /** The undo of `label`; try 2 and later (after an operator's decision) are sent with a fresh key. */
  undo<A, I>(decl: StepDecl<A, I>, label: string, input: I, opts: ActivityOptions, tryNo = 1): Promise<Attempted<unknown>> {
    const undoLabel = tryNo === 1 ? `${label}:undo` : `${label}:undo~${tryNo}`;
    const extra = decl.undoWith?.(input) ?? {};
    const undoInput = this.declared ? { reference: this.keyOf(label), ...extra } : { forwardStep: label, ...extra };
    const activity = this.declared ? decl.undo! : (decl.legacy?.undo ?? decl.undo!);
    return this.invoke({ activity, input: undoInput, label: undoLabel, local: false, opts, summary: `Undo ${label}` });
  }

  /** Asks the backend what became of the call with this reference; retried until it answers. */
  async lookUp(probe: string, reference: string, label: string): Promise<Lookup> {
    const answer = await this.invoke({ activity: probe, input: { reference }, label: `${label}:probe`, local: false, opts: this.persistent, summary: `Ask what became of ${label}` });
    return answer.value as Lookup;
  }

  /**
   * The look-up an unknown answer is settled by, bounded to one round: null when the backend could not say
   * (the step then stays unknown, and STUCK past its attempts). `call` is the key of the call whose result
   * to hand back, when it is not the reference's own (a ticket issued on a hold).
   */
  async settleBy(probe: string, reference: string, call: string, label: string, opts: ActivityOptions): Promise<Lookup | null> {
    try {
      const answer = await this.invoke({ activity: probe, input: { reference, call }, label: `${label}:probe`, local: false, opts, summary: `Ask what became of ${label}` });
      return answer.value as Lookup;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return null;
    }
  }

  /** `seq` > 0 gives the alert its own activity id, so a second STUCK episode never collides with the first's. */
  async alert(alert: Alert, seq = 0): Promise<void> {
    const label = `alert:${alert.kind}:${alert.step ?? 'saga'}${seq > 0 ? `~${seq}` : ''}`;
    await this.invoke({ activity: 'sendAlert', input: alert, label, local: false, opts: this.persistent, summary: `Alert ${alert.kind}` });
  }
}
