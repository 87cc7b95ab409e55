import { transferSim } from '../../sim/sagas/transfer';
import { simulationOf } from './simulate-type';

simulationOf(transferSim);
