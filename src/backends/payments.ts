import { z } from 'zod';
import { PAYMENT_TOKENS, RATES } from './catalog';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { recording } from './recording';
import { lookUpByReference, undoByReference } from './undo';

const AuthorizeSchema = z.object({
  amountMinor: z.number().int().nonnegative(),
  currency: z.string(),
  paymentToken: z.string().min(1),
});

const CaptureSchema = z.object({ reference: z.string().min(1), amountMinor: z.number().int().nonnegative().optional() });

export function paymentsRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('authorize', 'POST', '/authorizations', ({ body, sagaId, key }) => {
      const parsed = AuthorizeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { amountMinor, currency, paymentToken } = parsed.data;
      if (RATES[currency] === undefined) return problem(422, 'UnsupportedCurrency', `currency ${currency} is not supported`);
      if (paymentToken === PAYMENT_TOKENS.declined) return problem(402, 'PaymentDeclined', 'the card issuer declined the payment');
      const auth = service.save({
        id: service.newId('auth'),
        kind: 'authorization',
        sagaId,
        status: 'AUTHORIZED',
        reference: key,
        amountMinor,
        currency,
        // Only a masked hint of the token is kept, as a real processor would.
        tokenHint: paymentToken.slice(-4),
      });
      return ok({ authorizationId: auth.id, status: auth.status, amountMinor, currency }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('capture', 'POST', '/captures', ({ body, sagaId, key }) => {
      const partial = CaptureSchema.safeParse(body);
      if (!partial.success) return problem(400, 'InvalidRequest', partial.error.message);
      const authorization = service.byReference(partial.data.reference);
      const amountMinor = partial.data.amountMinor ?? (authorization?.amountMinor as number | undefined);
      if (authorization && amountMinor !== undefined && amountMinor > (authorization.amountMinor as number)) {
        return problem(422, 'OverCapture', `cannot capture ${amountMinor} of an authorization of ${authorization.amountMinor as number}`);
      }
      const reply = undoByReference(service, body, { from: ['AUTHORIZED'], to: 'CAPTURED', idField: 'authorizationId' });
      // A partial capture releases the rest of the authorization, as card processors do.
      const captured = service.byReference(partial.data.reference);
      if (reply.status < 300 && captured && captured.capturedMinor === undefined) service.save({ ...captured, capturedMinor: amountMinor });
      // A capture is idempotent on the authorization here; in recording mode each one under a new key is
      // kept as the money movement a less careful processor would have made (no reference: look-ups skip it).
      if (recording() && reply.status < 300) service.save({ id: service.newId('cap'), kind: 'capture', sagaId, status: 'RECORDED', reference: null, captureKey: key, authorizationId: (reply.body as Record<string, unknown>).authorizationId, amountMinor });
      return reply;
    });
    router.write('void', 'POST', '/voids', ({ body }) =>
      undoByReference(service, body, { from: ['AUTHORIZED'], to: 'VOIDED', idField: 'authorizationId', tombstoneOp: 'authorize' }),
    );
  };
}
