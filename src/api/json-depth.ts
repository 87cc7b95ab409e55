import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { HttpProblem } from './problems';

/** No request sagaway reads nests past a few levels; deeper JSON is refused before it is parsed. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text opens more than `max` arrays or objects inside each other (brackets within strings do
 * not count). One pass over the text: a body nested 20,000 deep cost the parser, the text check and
 * validation tens of milliseconds each, for fields no route reads.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** A JSON body parser that refuses deep nesting with a 400 before handing the text to `parse`. */
export function depthGuarded(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  return (request, body, done) => {
    if (nestedDeeperThan(body, MAX_JSON_DEPTH)) {
      done(new HttpProblem(400, 'validation', 'The request is not valid', `body: nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    return parse(request, body, done);
  };
}

/** Replaces the scope's JSON parser with the default one behind the depth check. */
export function refuseDeepJson(app: FastifyInstance): void {
  const parse = depthGuarded(app.getDefaultJsonParser('error', 'error'));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
}
