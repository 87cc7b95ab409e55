/**
 * Workflow-side metrics (CONTRACTS.md item 3), exported by the worker's runtime with its own metrics.
 * The SDK drops them during replay, so a replayed saga is not counted twice; they add nothing to the
 * history. Instruments are made on first use, inside a running workflow.
 */
import type { MetricCounter, MetricHistogram } from '@temporalio/common';
import { metricMeter } from '@temporalio/workflow';

let instruments: { ended: MetricCounter; steps: MetricHistogram; undoAttempts: MetricCounter; stuck: MetricCounter } | null = null;

function meters() {
  instruments ??= {
    ended: metricMeter.createCounter('sagaway_sagas_ended', 'sagas', 'Sagas that ended, by type and outcome'),
    steps: metricMeter.createHistogram('sagaway_step_duration', 'int', 'ms', 'How long a step took, by type, step and outcome'),
    undoAttempts: metricMeter.createCounter('sagaway_compensation_attempts', 'attempts', 'Undo attempts the saga saw fail, and the one that succeeded, by type and step'),
    stuck: metricMeter.createCounter('sagaway_compensation_stuck', 'steps', 'Compensations that became STUCK, by type and step'),
  };
  return instruments;
}

export function sagaEnded(type: string, status: string): void {
  meters().ended.add(1, { saga_type: type, outcome: status });
}

export function stepFinished(type: string, step: string, status: string, ms: number): void {
  meters().steps.record(Math.max(0, Math.round(ms)), { saga_type: type, step, outcome: status });
}

export function compensationAttempt(type: string, step: string, attempts = 1): void {
  if (attempts > 0) meters().undoAttempts.add(attempts, { saga_type: type, step });
}

export function compensationStuck(type: string, step: string): void {
  meters().stuck.add(1, { saga_type: type, step });
}
