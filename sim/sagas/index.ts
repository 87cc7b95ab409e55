import type { SagaSim } from '../saga-sim';
import { orderSim } from './order';

/** Every saga type the simulation runs: a new saga adds its file and one line here. */
export const sagaSims: Array<SagaSim<any>> = [orderSim];
