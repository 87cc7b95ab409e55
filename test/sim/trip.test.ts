import { tripSim } from '../../sim/sagas/trip';
import { simulationOf } from './simulate-type';

simulationOf(tripSim);
