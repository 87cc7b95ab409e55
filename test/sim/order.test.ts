import { orderSim } from '../../sim/sagas/order';
import { simulationOf } from './simulate-type';

simulationOf(orderSim, { knownDefect: 'issue 21: a probe that never answers during compensation, called 6 times without STUCK (path 213, under load only), not yet classified' });
