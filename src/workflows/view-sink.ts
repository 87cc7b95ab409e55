import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { SagaView } from '../domain/saga';

/**
 * The saga view, handed to the worker each time it changes. A sink runs outside the workflow, once the
 * workflow task is done and never during replay, and adds nothing to the history: the worker keeps the
 * view where the API reads it (see src/views/saga-view-store.ts), so a read does not wait on a busy worker.
 */
export interface SagaViewSinks extends Sinks {
  sagaViews: { changed(view: SagaView): void };
}

const { sagaViews } = proxySinks<SagaViewSinks>();

export function publishView(view: SagaView): void {
  sagaViews.changed(view);
}
