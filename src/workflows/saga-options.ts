import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { SagaTuning, SagaType } from '../domain/saga';

export interface SagaOptions {
  type: SagaType;
  tuning: SagaTuning;
  /** Forward steps before the pivot: retried a bounded number of times, then the saga compensates. */
  forward: ActivityOptions;
  /** One attempt of a compensation (sagas started before declared steps retry it themselves). */
  undo: ActivityOptions;
  /** The pivot, steps after it, probes and alerts: retried until they have an answer. */
  afterPivot: ActivityOptions;
  /**
   * Local steps (short idempotent calls without undo) run in the worker, recorded as markers: no activity
   * task round trip through the server; the Temporal UI shows them as markers and their retries happen
   * inside the worker.
   */
  local: { forward: LocalActivityOptions; afterPivot: LocalActivityOptions };
  /** False runs every step as an ordinary activity, even the ones declared local. */
  localSteps?: boolean;
}

/** The options with every step's first retry after `tuning.stepRetryInitialMs`, when the tuning says so. */
export function withStepRetryInitial(options: SagaOptions): SagaOptions {
  const ms = options.tuning.stepRetryInitialMs;
  if (ms === undefined) return options;
  const retried = <O extends ActivityOptions | LocalActivityOptions>(o: O): O => ({ ...o, retry: { ...o.retry, initialInterval: ms } });
  return {
    ...options,
    forward: retried(options.forward),
    afterPivot: retried(options.afterPivot),
    local: { forward: retried(options.local.forward), afterPivot: retried(options.local.afterPivot) },
  };
}
