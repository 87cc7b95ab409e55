import { tripSim } from '../../sim/sagas/trip';
import { simulationOf } from './simulate-type';

simulationOf(tripSim, { knownDefect: 'issue 21: under load only, a saga on the cached worker past 60 s with holdHotel#2 COMPENSATING and an activity scheduled, no call for 3 s (seed 21 path 46), and one whose workflow tasks failed at attempt 5 (path 81), neither seen alone, not yet classified' });
