/**
 * The mocked activities, in one place: how a call of each phase reads and writes the world's ledgers,
 * and how each planned outcome reaches the engine. Errors go through the HTTP client's own mapping
 * (`failureFor`, `malformed`), so when the client changes what a 409 means, the simulation follows.
 * The look-up answer is built by `lookupAnswer` alone: when look-ups hand back the applied call's result
 * too, that is the one line to change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { stepCallOf } from '../src/activities/attempts';
import { failureFor, malformed } from '../src/activities/http-client';
import type { Lookup } from '../src/domain/steps';
import { outcomeOf, type CallPhase, type Outcome, type Schedule } from './schedule';
import type { Coverage } from './coverage';
import type { LedgerRecord, World } from './world';

/** What one activity does in the world. */
export interface CallSpec {
  phase: CallPhase;
  backend: string;
  /** forward: the new record's status; undo: the record's once undone; pivot, after: the record's once moved. */
  status?: string;
  /** The readable answer of a call that applied (forward and plain calls; others answer `{ status }`). */
  answer?: (input: any, key: string) => unknown;
  /** Money a forward call holds (an authorization, a charge). */
  amountMinor?: (input: any) => number;
  /** A pivot or step after it that moves part of the record's amount (a partial capture): how much. */
  moves?: (input: any) => number | undefined;
  /** The failure types the backend documents as final for this call; the plan picks one. */
  refusals?: string[];
  /**
   * An operator who resolves this call when it is STUCK has done it by hand (a door opened at the bay), as
   * for a pivot or a step after it.
   */
  byHand?: boolean;
  /** Something the world does once the call applied (the allocator answering a filed request). */
  onApplied?: (input: any) => void;
  /** The call's effect on the world, in place of its phase's (a submission the network settles later). */
  apply?: (input: any, call: { step: string; key: string }) => unknown;
  /** The record a pivot or after call moves, when its input names it other than `reference`. */
  reference?: (input: any) => string;
  /** The activity's own logic around its backend call, `send` being that call as planned (ask first, answer later). */
  around?: (input: any, send: () => Promise<unknown>) => Promise<unknown>;
}

export type CallSpecs = Record<string, CallSpec>;

/** The look-up's answer for one record: found, and its status. */
export function lookupAnswer(record: LedgerRecord | undefined): Lookup {
  return record ? { found: true, status: record.status } : { found: false, status: null };
}

/** `reserveBike#2:undo~3` is planned as `reserveBike:undo` and counted as `reserveBike#2:undo`. */
export function planKey(step: string): string {
  if (step.startsWith('alert:')) return 'alert';
  return step.replace(/#[^:~]+/g, '').replace(/~\d+/g, '');
}
const countKey = (step: string) => step.replace(/~\d+/g, '');

/** The activities of one schedule's saga, backed by `world`. */
export function worldActivities(specs: CallSpecs, schedule: Schedule, world: World, coverage: Coverage): Record<string, (input: never) => Promise<unknown>> {
  const counts = new Map<string, number>();
  const activities: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, spec] of Object.entries(specs)) {
    activities[name] = async (input: any) => {
      const call = stepCallOf() ?? { step: Context.current().info.activityId, key: `${name}:${Context.current().info.activityId}` };
      const counted = countKey(call.step);
      const n = counts.get(counted) ?? 0;
      counts.set(counted, n + 1);
      const outcome = outcomeOf(schedule.calls[planKey(call.step)], n);
      coverage.outcome(spec.phase, outcome);
      if (!Context.current().info.isLocal) world.calls.set(call.step, (world.calls.get(call.step) ?? 0) + 1);
      else world.localCalls.set(call.step, (world.localCalls.get(call.step) ?? 0) + 1);
      world.lastCallAt = Date.now();
      const send = () => answer(name, spec, input, call, outcome, world);
      return spec.around ? spec.around(input, send) : send();
    };
  }
  return activities;
}

async function answer(name: string, spec: CallSpec, input: any, call: { step: string; key: string }, outcome: Outcome, world: World): Promise<unknown> {
  const path = `/${name}`;
  const apply = () => applyCall(spec, input, call, world);
  if (spec.phase === 'pivot' || spec.phase === 'after' || spec.byHand) world.byHandFor.set(call.step.replace(/~\d+/g, ''), apply);
  // A backend that applied this key answers it again as it did: a refusal only comes while nothing is applied.
  if (outcome.kind === 'refused' && alreadyApplied(spec, input, call.key, world)) return apply();
  if (outcome.kind === 'refused') throw refusal(spec, path, spec.refusals?.[outcome.refusal % spec.refusals.length] ?? 'BackendRejected');
  if (outcome.kind === 'inProgress') {
    world.unknownAnswers.add(call.step.replace(/~\d+/g, ''));
    // An earlier attempt with this key is still running; it lands, or not, a moment later.
    world.lateUntil = Math.max(world.lateUntil, Date.now() + outcome.delayMs + 50);
    if (outcome.applied) setTimeout(() => void Promise.resolve().then(apply).catch(() => undefined), outcome.delayMs);
    throw failureFor(spec.backend, path, { status: 409, contentType: 'application/problem+json', text: JSON.stringify({ code: 'RequestInProgress', detail: 'a request with this key is in progress' }) });
  }
  if (spec.phase === 'pivot' && world.sabotage === 'pivot-lands-late') {
    // Refused, and landing all the same just before the first undo reaches a backend.
    world.pendingPivot = apply;
    throw refusal(spec, path, 'BackendRejected');
  }
  if (outcome.kind === 'slow') await sleep(outcome.delayMs);
  const value = outcome.applied ? apply() : undefined;
  if (outcome.kind !== 'ok' && outcome.kind !== 'slow') world.unknownAnswers.add(call.step.replace(/~\d+/g, ''));
  if (outcome.kind === 'unreadable') throw malformed(spec.backend, path, 'unexpected end of JSON input');
  if (outcome.kind === 'lost') throw new Error(`${spec.backend} ${path}: ECONNRESET`);
  return value;
}

function alreadyApplied(spec: CallSpec, input: any, key: string, world: World): boolean {
  if (spec.phase === 'forward') return world.find(spec.backend, key) !== undefined;
  if (spec.phase === 'pivot' || spec.phase === 'after') return world.find(spec.backend, spec.reference?.(input) ?? input.reference)?.movedBy.includes(key) === true;
  return false;
}

function refusal(spec: CallSpec, path: string, type: string): Error {
  return failureFor(spec.backend, path, { status: 422, contentType: 'application/problem+json', text: JSON.stringify({ code: type, detail: `${path} refused (${type})` }) });
}

/** The call's effect on the world, and its readable answer; a backend refuses what it cannot apply. */
function applyCall(spec: CallSpec, input: any, call: { step: string; key: string }, world: World): unknown {
  const step = call.step.replace(/~\d+/g, '');
  if (spec.apply) return spec.apply(input, call);
  switch (spec.phase) {
    case 'forward': {
      const value = spec.answer?.(input, call.key);
      const isNew = !world.find(spec.backend, call.key);
      if (!world.applyForward(spec.backend, call.key, step, spec.status ?? 'APPLIED', value, spec.amountMinor?.(input) ?? 0)) {
        throw refusal(spec, call.step, 'BackendRejected');
      }
      if (isNew && world.sabotage !== 'no-seat-decision') spec.onApplied?.(input);
      if (world.sabotage === 'double-apply') world.applyForward(spec.backend, `${call.key}#again`, step, spec.status ?? 'APPLIED', value, 0);
      return world.find(spec.backend, call.key)!.value;
    }
    case 'undo':
      if (world.sabotage === 'drop-undo') return undefined;
      try {
        world.pendingPivot?.();
      } catch {
        // Nothing live to land on.
      }
      world.pendingPivot = null;
      world.applyUndo(spec.backend, input.reference, spec.status ?? 'UNDONE');
      return undefined;
    case 'pivot':
    case 'after':
      if (spec.phase === 'pivot' && world.sabotage === 'pivot-no-effect') return spec.answer?.(input, call.key);
      if (!world.move(spec.backend, input.reference, call.key, spec.status ?? 'MOVED', spec.phase === 'pivot', spec.moves?.(input))) {
        throw refusal(spec, call.step, 'BackendRejected');
      }
      return spec.answer?.(input, call.key);
    case 'probe': {
      return lookupAnswer(world.find(spec.backend, input.reference));
    }
    case 'alert':
      world.alerts.push({ kind: input.kind, step: input.step });
      return { sent: true };
    case 'plain':
      world.applyPlain(spec.backend, step);
      spec.onApplied?.(input);
      return spec.answer?.(input, call.key);
  }
}
