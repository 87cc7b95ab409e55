/**
 * What the saga engine hands to every backend call, local or not: the step it belongs to (with its unit,
 * such as `reserveBike#2`, or its try, such as `authorizePayment:undo~2`) and the Idempotency-Key derived
 * from it. Activities log the step and send the key; they never derive either themselves.
 */
export interface StepCall {
  step: string;
  key: string;
}

/** The input of every undo and of every step that moves another step's record: that call's key. */
export interface Reference {
  reference: string;
}

/** A backend's answer to "what became of the call with this key?" (GET by reference). */
export interface Lookup {
  found: boolean;
  /** The record's status (HELD, AUTHORIZED, CAPTURED, ...), or null when nothing was applied. */
  status: string | null;
  /** The answer the backend gave the call (stored under its Idempotency-Key), when it applied; null if unknown. */
  result?: unknown;
}
