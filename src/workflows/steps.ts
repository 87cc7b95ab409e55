/**
 * Declared steps: each step of a saga is declared once, by its one name (the same word as its activity),
 * with its undo, whether it may run locally, its summary and its reconcile probe. The engine derives
 * every key and every undo input from the declaration, so a saga never types a step name twice and a
 * misspelled undo or probe is a type error.
 */
import type { Lookup, Reference } from '../domain/steps';

export type ActivityFn = (input: never) => Promise<unknown>;
export type Output<F> = F extends (input: never) => Promise<infer R> ? R : never;
export type Input<F> = F extends (input: infer I) => Promise<unknown> ? I : never;

type TakesReference<I> = I extends unknown ? ('reference' extends keyof I ? true : never) : never;
/** Activities that can undo a step: they take the forward call's reference. */
export type UndoName<A> = { [K in keyof A & string]: [TakesReference<Input<A[K]>>] extends [never] ? never : K }[keyof A & string];
/** Activities that can reconcile a step: they look a call up by its reference. */
export type ProbeName<A> = { [K in keyof A & string]: Input<A[K]> extends Reference ? (Output<A[K]> extends Lookup ? K : never) : never }[keyof A & string];

export interface StepDecl<A, I> {
  /** The activity that undoes this step; it receives `{ reference }`, the key of the forward call. */
  undo?: UndoName<A>;
  /** What the undo needs besides the reference, taken from the forward call's input. */
  undoWith?: (input: I) => Record<string, unknown>;
  /** A short idempotent call with nothing to undo may run as a local activity (a marker in the history). */
  local?: boolean;
  /** One line for the Temporal UI; the step name when absent. A call may give a more precise one. */
  summary?: (input: I) => string;
  /** Asks the backend what became of a call by its reference (GET by Idempotency-Key). */
  probe?: ProbeName<A>;
  /** Statuses that mean the step's effect is in place; when absent, any record found means it is. */
  appliedWhen?: readonly string[];
  /** Statuses that mean the backend refused the call for good (RJCT): a pivot the look-up finds so is refused, at any attempt. */
  refusedWhen?: readonly string[];
  /** Statuses that mean its undo is done already (VOIDED, RELEASED): asked before an undo is sent again. */
  undone?: readonly string[];
  /** The activity names a saga started before declared steps used (it still finishes on this worker). */
  legacy?: { activity?: string; undo?: string };
}

export type StepDecls<A> = { [K in keyof A & string]?: StepDecl<A, Input<A[K]>> };

/**
 * `declareSteps<Activities>()({ ... })`: the steps of one saga. A key that is not an activity is a type
 * error as well, so every step name is an activity name.
 */
export function declareSteps<A>() {
  return <D extends StepDecls<A>>(steps: D & Record<Exclude<keyof D, keyof A>, never>): D => steps;
}

/** How one call of a step is made: its unit (the bike it is for) and a summary more precise than the declared one. */
export interface CallOptions {
  unit?: number | string;
  summary?: string;
  /** Runs this call as a local activity or not, whatever the declaration says (a saga's patch decides). */
  local?: boolean;
  /** Called once the undo has succeeded, so a saga can show what it gave back. */
  onCompensated?: () => void;
  /** Called when the backend refused the call outright (a definite refusal at its first attempt): it took no effect. */
  onRefused?: () => void;
  /**
   * The call passes its unit's own point of no return (a bike's door, inside `passUnit`): it is settled
   * like the pivot, never given up on; only a definite refusal at its first attempt (`onRefused`) undoes it.
   */
  passesUnit?: boolean;
}

/** The step as the view and the keys name it: `reserveBike#2` for the second bike. */
export function labelOf(name: string, unit: number | string | undefined): string {
  return unit === undefined ? name : `${name}#${unit}`;
}
