import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { lookUpByReference } from './undo';

/**
 * The compliance service: screens the parties of a payment against a sanctions list. A name close enough
 * to a listed one is a potential match, with its score and list entry, for two officers to review.
 */
export const SANCTIONS_LIST: Array<{ entry: string; name: string; country: string }> = [
  { entry: 'EU-CFSP-2024/1187', name: 'Viktor Sanctionov', country: 'NL' },
  { entry: 'OFAC-SDN-36142', name: 'Blocked Trading LLC', country: 'AE' },
];

/** A match scores at least this (0..1) to be reported for review. */
export const MATCH_THRESHOLD = 0.8;

const PartySchema = z.object({ role: z.enum(['debtor', 'beneficiary']), name: z.string().min(1).max(140), country: z.string().length(2) });
const ScreeningSchema = z.object({ parties: z.array(PartySchema).min(1).max(4) });

const tokens = (name: string) => new Set(name.toLowerCase().normalize('NFKD').replace(/[^a-z ]/g, '').split(/\s+/).filter(Boolean));

/** Shared name tokens over all tokens (Jaccard), plus a little for the same country. */
function score(name: string, country: string, listed: (typeof SANCTIONS_LIST)[number]): number {
  const a = tokens(name);
  const b = tokens(listed.name);
  const shared = [...a].filter((t) => b.has(t)).length;
  const jaccard = shared / new Set([...a, ...b]).size;
  return Math.min(1, Math.round((jaccard + (country === listed.country ? 0.1 : 0)) * 100) / 100);
}

export function complianceRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('screen', 'POST', '/screenings', ({ body, sagaId, key }) => {
      const parsed = ScreeningSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const matches = parsed.data.parties.flatMap((party) =>
        SANCTIONS_LIST.map((listed) => ({ party: party.role, name: party.name, listEntry: listed.entry, score: score(party.name, party.country, listed) })).filter((m) => m.score >= MATCH_THRESHOLD),
      );
      const result = matches.length > 0 ? 'POTENTIAL_MATCH' : 'CLEAR';
      const screening = service.save({ id: service.newId('scr'), kind: 'screening', sagaId, status: result, reference: key, matches });
      return ok({ screeningId: screening.id, result, matches }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
  };
}
