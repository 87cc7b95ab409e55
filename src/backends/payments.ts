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
      const reply = undoByReference(service, body, { from: ['AUTHORIZED'], to: 'CAPTURED', idField: 'authorizationId' });
      // A capture is idempotent on the authorization here; in recording mode each one under a new key is
      // kept as the money movement a less careful processor would have made (no reference: look-ups skip it).
      if (recording() && reply.status < 300) service.save({ id: service.newId('cap'), kind: 'capture', sagaId, status: 'RECORDED', reference: null, captureKey: key, authorizationId: (reply.body as Record<string, unknown>).authorizationId });
      return reply;
    });
    router.write('void', 'POST', '/voids', ({ body }) =>
      undoByReference(service, body, { from: ['AUTHORIZED'], to: 'VOIDED', idField: 'authorizationId', tombstoneOp: 'authorize' }),
    );
  };
}
