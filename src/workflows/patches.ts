/**
 * Changes of workflow commands, each behind its patch so that sagas started on an older worker replay and
 * finish as they began. declaredSteps: one name per step (renamed activities), keys unique per run passed
 * with every call, the pivot held from its first attempt, probes, undos settled in rounds, operator desk.
 * definiteAnswers: only a definite answer decides; the pivot and the steps after it are settled in rounds
 * (STUCK past the attempts bound), unknown answers by look-up, and undos go on past a STUCK one.
 * resendApplied: a call the look-up finds applied is sent again under its key, so the saga goes on with
 * the activity's own answer (the backend's stored reply, mapped), not the look-up's raw one.
 * noSilentWaits: nothing waits in silence. An undo's look-up is bounded ("cannot tell" sends the undo);
 * alerts are fire-and-forget, one per STUCK episode under its own activity id; each round of a forward
 * step has its own activity id; an operator's retry of a refused step is sent under a fresh key
 * (`label~N`); a step after the pivot is looked up by its input's reference; a pivot whose look-up
 * confirms a refusal (`refusedWhen`) is refused at any attempt; a step with no unit after a unit was kept
 * is settled as a step after the pivot (STUCK for an operator, never FAILED at once).
 * auditTrail: every saga writes its start, each operator action it accepts and its final status to the
 * audit trail (saga-trail.ts), each write settled like a step after the pivot (STUCK past the attempts
 * bound, alerted once, still retried); a transfer's reviews are written as they are accepted.
 * auditStuckAfterTime: an audit write is STUCK (and alerted) only once it has failed for longer than
 * `auditStuckAfterMs`, not after `stuckAfterAttempts`: a short outage of the store alerts nobody.
 * noPassAfterStop: a unit is not passed (its door not sent) once a cancel or a deadline stopped the saga;
 * the saga compensates, that unit included, as it would have a moment earlier.
 * unitPassSettles: the call that passes a unit's own point of no return (a bike's door) is settled like the
 * pivot: an unknown answer is retried up to the attempts bound, then STUCK (alerted once) and sent again
 * only when an operator says so, so a kiosk that was away a few seconds no longer ends the saga FAILED;
 * only a definite refusal at its first attempt gives the unit back, as before.
 * auditLocalFirst: a saga's final status is first written from the worker (a local activity, two short
 * tries), and only then as an activity in rounds: the entry's key makes a write that landed in a lost
 * workflow task store nothing twice, and the client's wait no longer holds a round trip through the server.
 * clockFree: no command depends on the clock read in a task a local activity resumed (that reading is the
 * worker's own clock when the task runs, its history's when it replays: seconds apart on a busy worker).
 * The deadline is a timer: a step is not started once it fired, and a step started before gets what is
 * left, its schedule-to-close running out counting as the deadline; a time bound is passed when a round
 * held to it runs out (a schedule-to-close timeout, or the retry state TIMEOUT), not when the clock says so.
 */
export const Patches = {
  declaredSteps: 'declared-steps',
  pivotDesk: 'pivot-desk',
  definiteAnswers: 'definite-answers',
  resendApplied: 'resend-applied',
  noSilentWaits: 'no-silent-waits',
  auditTrail: 'audit-trail',
  noPassAfterStop: 'no-pass-after-stop',
  auditStuckAfterTime: 'audit-stuck-after-time',
  unitPassSettles: 'unit-pass-settles',
  auditLocalFirst: 'audit-local-first',
  clockFree: 'clock-free',
} as const;
