import { bikeSim } from '../../sim/sagas/bike';
import { simulationOf } from './simulate-type';

simulationOf(bikeSim);
