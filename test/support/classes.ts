import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { allocatorId } from '../../src/domain/allocation';
import { moveAllocationSignal } from '../../src/workflows/messages';
import { call, waitForView } from './http';

let counter = 0;

/** Creates a section whose allocation and window close are `allocationInMs` and `closesInMs` from now. */
export async function createSection(backendsUrl: string, capacity: number, allocationInMs: number, closesInMs: number): Promise<string> {
  counter += 1;
  const sectionId = `sec-${Date.now().toString(36)}-${counter}`;
  const res = await fetch(`${backendsUrl}/registrar/_admin/sections`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      sectionId,
      capacity,
      allocationAt: new Date(Date.now() + allocationInMs).toISOString(),
      windowClosesAt: new Date(Date.now() + closesInMs).toISOString(),
    }),
  });
  assert.equal(res.status, 201, await res.text());
  return sectionId;
}

/**
 * A section that allocates a second before its window closes (the backend wants the allocation first), for
 * a test that files every request and then moves the allocation to now with `allocateNow`.
 */
export function createSectionToAllocate(backendsUrl: string, capacity: number, closesInMs: number): Promise<string> {
  return createSection(backendsUrl, capacity, closesInMs - 1_000, closesInMs);
}

export async function register(apiUrl: string, studentId: string, sectionId: string): Promise<string> {
  const answer = await call(apiUrl, 'POST', '/v1/class-registrations', { body: { studentId, sectionId } });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.id as string;
}

export async function allocation(apiUrl: string, sectionId: string): Promise<Record<string, any>> {
  const answer = await call(apiUrl, 'GET', `/v1/sections/${sectionId}/allocation`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

export const stageOf = (apiUrl: string, sagaId: string, stage: string) => waitForView(apiUrl, sagaId, (v) => v.stage === stage || v.status === 'COMPENSATED', 30_000);

/** A registrar moves the section's allocation to now: the requests filed so far are seated by priority. */
export async function allocateNow(client: Client, sectionId: string): Promise<void> {
  await client.workflow.getHandle(allocatorId(sectionId)).signal(moveAllocationSignal, { allocationAt: new Date().toISOString() });
}
