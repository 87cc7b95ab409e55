/**
 * docs/configuration.md is what scripts/config-doc.ts makes of src/config.ts today: a variable added,
 * renamed or given a new default without `npm run config-doc` fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { DOC, render } from '../../scripts/config-doc';

it('docs/configuration.md is up to date with src/config.ts (run npm run config-doc)', () => {
  const generated = render();
  assert.equal(readFileSync(DOC, 'utf8'), generated);
  // A page over no variables would pass the comparison too.
  const rows = generated.split('\n').filter((line) => line.startsWith('| `SAGAWAY_'));
  assert.ok(rows.length >= 50, `only ${rows.length} variables documented`);
  assert.match(generated, /\| `SAGAWAY_API_KEYS` \| a public development value \|[^\n]*must be set/);
  assert.match(generated, /\| `SAGAWAY_LOCAL_PIVOT` \|[^\n]*refused: development only/);
});
