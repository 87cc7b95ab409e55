import fc from 'fast-check';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/workflow';
import type { SagaTuning, SagaView } from '../src/domain/saga';
import { fastTuning } from '../test/support/workflow-env';
import type { CallSpecs } from './backend-calls';
import type { Violation } from './invariants';
import { callPlan, events, type CallPhase, type Schedule } from './schedule';
import type { LedgerRecord, World } from './world';

/** What a saga's world may do besides answering calls: send the workflow a message a little later. */
export interface SimContext {
  world: World;
  later(afterMs: number, send: (handle: WorkflowHandle) => Promise<unknown>, what: string): void;
}

/**
 * One saga type in the simulation: one file per saga (sim/sagas/), listed in sim/sagas/index.ts. It says
 * how its activities act on the world, which of its calls a schedule plans, what it starts with, how its
 * updates are sent, and what the client was told it pays.
 */
export interface SagaSim<P> {
  name: string;
  workflow: Workflow;
  /** The planned calls by name (`reserveInventory`, `reserveInventory:undo`, `...:probe`, `alert`) and their phase. */
  plans: Record<string, CallPhase>;
  params: fc.Arbitrary<P>;
  /** Whether schedules send this saga's own update (a price confirmation, a sensor) at random moments. */
  updates: boolean;
  specs(params: P, ctx: SimContext): CallSpecs;
  args(params: P): unknown[];
  /** Sends the saga's update at a random moment (`read` gives its view as published); returns what was exercised, for the coverage. */
  update?(handle: WorkflowHandle, view: SagaView, value: number, params: P, read: () => Promise<SagaView>): Promise<string>;
  /** The money the client was told it pays (a COMPLETED view), and the money the world took. */
  told(view: SagaView): number;
  taken(world: World): number;
  /** Whether this run must reach a pivot to complete (a local rider's bikes have none). */
  expectsPivot(view: SagaView, params: P): boolean;
  /**
   * Whether a record the saga declared with an undo may stay live once it ended other than COMPLETED: a
   * unit past its own point of no return (a bike whose door opened). Absent: none may.
   */
  mayStay?(record: LedgerRecord, view: SagaView, world: World): boolean;
  /** Checks of a COMPLETED saga against the ledger, particular to the saga. */
  completed?(view: SagaView, world: World): string[];
  /** Checks of the ledger particular to the saga, whatever the saga ended with or shows. */
  ledgerChecks?(view: SagaView, world: World): Violation[];
  /** Events and phases that must be exercised over a run of this saga, besides the outcome kinds. */
  required: string[];
  /**
   * Whether the saga's first workflow task may run a local step: its schedule's messages then wait until
   * the first step settled (the known SDK limit in docs/engine.md, "Time and replay").
   */
  localFirst?(params: P): boolean;
}

export const simTuning: SagaTuning = { ...fastTuning, stepRetryInitialMs: 10, undoRoundMaxMs: 400 };

/** The planned calls of a saga, from its step declarations: each step, its undo and its probe. */
export function plansFrom(decls: object, phases: Record<string, CallPhase> = {}): Record<string, CallPhase> {
  const plans: Record<string, CallPhase> = { alert: 'alert' };
  for (const [name, decl] of Object.entries(decls as Record<string, { undo?: string; probe?: string }>)) {
    plans[name] = phases[name] ?? (decl.undo ? 'forward' : 'plain');
    if (decl.undo) plans[`${name}:undo`] = 'undo';
    if (decl.probe) plans[`${name}:probe`] = 'probe';
  }
  return plans;
}

export function scheduleArb<P>(sim: SagaSim<P>): fc.Arbitrary<Schedule<P>> {
  const calls = fc.record(
    Object.fromEntries(Object.entries(sim.plans).map(([name, phase]) => [name, callPlan(phase)])),
    { requiredKeys: [] },
  );
  return fc.record({ calls, events: events(sim.updates), replay: fc.boolean(), saga: sim.params });
}

/** Money held in live records of a backend with this status, in minor units. */
export function moneyIn(world: World, backend: string, status: string): number {
  return [...world.ledger(backend).records.values()].filter((r) => r.status === status && r.undoneAt === null).reduce((sum, r) => sum + r.amountMinor, 0);
}

/**
 * What the engine calls in every saga besides its declared steps: the alert desk, and the audit trail (an
 * entry stored under its key; planned like any call, with no effect on what the world holds).
 */
export const engineSpecs: CallSpecs = {
  appendAudit: { phase: 'plain', backend: 'audit', answer: (_i, key) => ({ sagaSeq: 1, globalSeq: 1, hash: `h-${key}` }) },
  sendAlert: { phase: 'alert', backend: 'alerts', refusals: ['BackendRejected'] },
};
