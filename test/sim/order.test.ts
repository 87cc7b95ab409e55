import { orderSim } from '../../sim/sagas/order';
import { simulationOf } from './simulate-type';

simulationOf(orderSim);
