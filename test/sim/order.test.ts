import { orderSim } from '../../sim/sagas/order';
import { simulationOf } from './simulate-type';

simulationOf(orderSim, { knownDefect: 'issue 21: on the replaying worker (a cache of 2 shared by 8 sagas) a first workflow task with local steps timed out and re-ran them at attempt 4 (seed 21 path 9, under load only), not yet classified between Core and the engine\'s local steps' });
