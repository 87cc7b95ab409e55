/**
 * Every failure type sagaway names. Activities raise them as the `type` of a non-retryable
 * ApplicationFailure; sagas end with them in `error.type`; the API maps them to problem types.
 */
export const FailureType = {
  PaymentDeclined: 'PaymentDeclined',
  OutOfStock: 'OutOfStock',
  UnknownSku: 'UnknownSku',
  UnsupportedCurrency: 'UnsupportedCurrency',
  AddressRejected: 'AddressRejected',
  AlreadyUndone: 'AlreadyUndone',
  BackendRejected: 'BackendRejected',
  MalformedResponse: 'MalformedResponse',
  RetriesExhausted: 'RetriesExhausted',
  DeadlineExceeded: 'DeadlineExceeded',
  Cancelled: 'Cancelled',
  KioskEmpty: 'KioskEmpty',
  PaymentRequired: 'PaymentRequired',
  UnknownBike: 'UnknownBike',
  BikeUnavailable: 'BikeUnavailable',
  IdRejected: 'IdRejected',
  TooManyBikes: 'TooManyBikes',
  SensorTimeout: 'SensorTimeout',
  /** An operator found a STUCK door shut and gave its unit back. */
  OperatorGaveBack: 'OperatorGaveBack',
  AccountHold: 'AccountHold',
  WindowClosed: 'WindowClosed',
  AlreadyRegistered: 'AlreadyRegistered',
  UnknownStudent: 'UnknownStudent',
  UnknownSection: 'UnknownSection',
  SectionFull: 'SectionFull',
  SoldOut: 'SoldOut',
  UnknownOffer: 'UnknownOffer',
  HoldExpired: 'HoldExpired',
  RateExpired: 'RateExpired',
  PriceRefused: 'PriceRefused',
  PriceConfirmationTimeout: 'PriceConfirmationTimeout',
  NotAwaitingConfirmation: 'NotAwaitingConfirmation',
  ComplianceRefused: 'ComplianceRefused',
  ComplianceReviewTimeout: 'ComplianceReviewTimeout',
  NotAwaitingReview: 'NotAwaitingReview',
  AlreadyReviewed: 'AlreadyReviewed',
  InsufficientFunds: 'InsufficientFunds',
  AccountBlocked: 'AccountBlocked',
  UnknownAccount: 'UnknownAccount',
  NetworkRejected: 'NetworkRejected',
  TransferNotCompleted: 'TransferNotCompleted',
  InternalError: 'InternalError',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

const known = new Set<string>(Object.values(FailureType));

export function isFailureType(value: unknown): value is FailureType {
  return typeof value === 'string' && known.has(value);
}
