import { tripSim } from '../../sim/sagas/trip';
import { simulationOf } from './simulate-type';

simulationOf(tripSim, { knownDefect: 'issue 21: a ticket settled by look-up leaves the COMPLETED view without its number (path 239); a workflow task never started on the worker that caches nothing (path 10), not yet classified' });
