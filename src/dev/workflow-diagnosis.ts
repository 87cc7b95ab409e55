import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** A protobuf timestamp or duration in milliseconds. */
export const protoMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1_000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** The saga's timers started and neither fired nor cancelled, when each is due; and its history's last events. */
export async function openTimers(h: WorkflowHandle): Promise<{ timers: Array<{ id: string; firesAt: number }>; tail: string }> {
  const events = (await h.fetchHistory()).events ?? [];
  const open = new Map<string, number>();
  for (const e of events) {
    const started = e.timerStartedEventAttributes;
    if (started) open.set(started.timerId ?? '', protoMs(e.eventTime) + protoMs(started.startToFireTimeout));
    const id = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
    if (id) open.delete(id);
  }
  const names = events.slice(-6).map((e) => (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''));
  return { timers: [...open].map(([id, firesAt]) => ({ id, firesAt })), tail: names.join(' > ') };
}

/** The saga's failed workflow tasks, and the last one's message (a determinism error, a bug in the workflow). */
export async function taskFailures(h: WorkflowHandle): Promise<string> {
  const events = (await h.fetchHistory()).events ?? [];
  const failures = events.flatMap((e) => (e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes.failure?.message ?? 'no message'] : []));
  return failures.length ? `; ${failures.length} workflow tasks failed, the last: ${failures.at(-1)}` : '';
}

/**
 * What the server shows of a workflow that did not end: its pending workflow task and activities, its
 * failed workflow tasks, and its history's last events. For a report; a failure to read says so.
 */
export async function serverSideOf(h: WorkflowHandle): Promise<string> {
  try {
    const { raw, status } = await h.describe();
    const task = raw.pendingWorkflowTask;
    const pendingTask = task ? `; a workflow task ${temporal.api.enums.v1.PendingWorkflowTaskState[task.state ?? 0]} at attempt ${task.attempt}` : '';
    const activities = (raw.pendingActivities ?? []).map((a) => `${a.activityId} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 80)})` : ''}`);
    const { tail } = await openTimers(h);
    return `; Temporal: ${status.name}${pendingTask}${activities.length ? `; pending ${activities.join(', ')}` : ''}${await taskFailures(h)}; history ends ${tail}`;
  } catch (err) {
    return `; Temporal unread: ${(err as Error).message}`;
  }
}
