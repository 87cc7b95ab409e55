import { classSim } from '../../sim/sagas/class';
import { simulationOf } from './simulate-type';

simulationOf(classSim);
