import type { SagaSim } from '../saga-sim';
import { bikeSim } from './bike';
import { classSim } from './class';
import { orderSim } from './order';
import { transferSim } from './transfer';
import { tripSim } from './trip';

/** Every saga type the simulation runs: a new saga adds its file and one line here. */
export const sagaSims: Array<SagaSim<any>> = [orderSim, bikeSim, classSim, tripSim, transferSim];
