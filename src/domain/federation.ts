/** The activity header that carries a saga's client id from the workflow to the worker (an id, never a key). */
export const CLIENT_HEADER = 'sagaway-client';

/** The header a backend that takes OAuth access tokens (payments) reads sagaway's federation token from. */
export const FEDERATION_HEADER = 'sagaway-federation';
