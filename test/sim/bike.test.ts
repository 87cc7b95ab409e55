import { bikeSim } from '../../sim/sagas/bike';
import { simulationOf } from './simulate-type';

simulationOf(bikeSim, { knownDefect: 'issue 21: a door refused for good leaves its bike kept (test/workflow/bike-door-refused.test.ts, path 6); a workflow task never started on the worker that caches nothing (path 24), not yet classified' });
