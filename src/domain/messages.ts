/** Names of the workflow messages, shared by the workflows and the API's Temporal gateway. */
export const Messages = {
  sagaStateQuery: 'sagaState',
  cancelUpdate: 'cancel',
  bikeSensedUpdate: 'bikeSensed',
  priceConfirmationUpdate: 'priceConfirmation',
  operatorActionUpdate: 'operatorAction',
} as const;

export interface CancelRequest {
  reason: string;
}
