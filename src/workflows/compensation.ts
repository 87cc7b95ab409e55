import { log, sleep } from '@temporalio/workflow';
import type { SagaTuning, StepView } from '../domain/saga';
import { describeFailure } from './failures';
import type { SagaRecord } from './saga-record';
import * as metrics from './saga-metrics';

export interface Compensation {
  step: StepView;
  run: () => Promise<unknown>;
  onCompensated?: () => void;
}

/**
 * The undo loop of a saga started before declared steps (settleUndo in undo-rounds.ts replaced it).
 * Runs one undo until it succeeds, with capped backoff. It never gives up: after `stuckAfterAttempts`
 * it marks the step STUCK (view, current details, an error log line) and keeps trying, so an operator
 * sees it and can fix the backend, and the saga then finishes by itself.
 */
export async function compensateOne({ step, run, onCompensated }: Compensation, tuning: SagaTuning, record: SagaRecord): Promise<void> {
  const state = { attempts: 0, lastError: null as string | null, stuck: false };
  step.compensation = state;
  step.status = 'COMPENSATING';
  for (;;) {
    state.attempts += 1;
    metrics.compensationAttempt(record.view.type, step.name);
    record.touch();
    try {
      await run();
      step.status = 'COMPENSATED';
      onCompensated?.();
      record.touch();
      return;
    } catch (err) {
      state.lastError = describeFailure(err, step.name).message;
      if (state.attempts >= tuning.stuckAfterAttempts && !state.stuck) {
        state.stuck = true;
        step.status = 'STUCK';
        metrics.compensationStuck(record.view.type, step.name);
        log.error('compensation stuck; still retrying', { sagaId: record.view.id, step: step.name, attempts: state.attempts, lastError: state.lastError });
      }
      record.touch();
      const { initial, max } = tuning.compensationBackoffMs;
      await sleep(Math.min(initial * 2 ** (state.attempts - 1), max));
    }
  }
}
