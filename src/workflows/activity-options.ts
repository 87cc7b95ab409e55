import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Retry policies of the three kinds of step. Before the pivot a step gives up after a bounded number of
 * attempts so the saga can compensate; an undo is one attempt that the engine itself retries with capped
 * backoff (so it can show the attempts and mark a stuck one); after the pivot a step never gives up.
 */
export const activityOptions: {
  forward: ActivityOptions;
  undo: ActivityOptions;
  afterPivot: ActivityOptions;
  local: { forward: LocalActivityOptions; afterPivot: LocalActivityOptions };
} = {
  forward: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 5 },
  },
  undo: {
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  },
  afterPivot: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  local: {
    forward: {
      startToCloseTimeout: '10 seconds',
      retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 5 },
    },
    afterPivot: {
      startToCloseTimeout: '10 seconds',
      retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
    },
  },
};
