import type { SagaView } from '../domain/saga';

export type PresentedView = Omit<SagaView, 'details'> & Record<string, unknown>;

/** The saga view as clients see it: saga-specific details sit beside the common fields. */
export function presentView(view: SagaView): PresentedView {
  const { details, ...common } = view;
  return { ...details, ...common };
}
