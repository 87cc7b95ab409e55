import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from '../../src/api/admission';
import { HttpProblem } from '../../src/api/problems';

describe('admission control', () => {
  it('gives a client its place back when the count of all running sagas fails, so a blip never lowers its bound', async () => {
    let failAll = true;
    // The client's own count answers; the count of every saga fails while Temporal's visibility is away.
    const count = async (query: string) => {
      if (failAll && !query.includes('"c-1"')) throw new HttpProblem(503, 'temporal-unavailable', 'Temporal is unavailable', 'visibility away');
      return 0;
    };
    let now = 0;
    const admission = new Admission(count, { perClient: 1, total: 100 }, () => now);
    for (let blip = 0; blip < 3; blip += 1) {
      await assert.rejects(admission.reserve('c-1'), /visibility away/);
      now += 60_000;
    }
    failAll = false;
    const place = await admission.reserve('c-1');
    assert.ok(!(place instanceof HttpProblem), `refused after three failed counts: ${place instanceof HttpProblem ? place.detail : ''}`);
  });
});
