/**
 * Recording mode (SAGAWAY_BACKENDS_RECORDING=true, set by the fault campaign): a backend accepts what a
 * less careful real service would (a second checkout of a bike, an enrollment past capacity, a second
 * capture, a posting of a released hold or one that does not balance) and records it, so the campaign's
 * invariants judge what sagaway asked for rather than what the simulators refused on its behalf. Off
 * everywhere else.
 */
export function recording(): boolean {
  return process.env.SAGAWAY_BACKENDS_RECORDING === 'true';
}
