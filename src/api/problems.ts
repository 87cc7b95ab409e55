import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** An error the API answers on purpose, as RFC 9457 problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export class TemporalUnavailable extends HttpProblem {
  constructor(cause: string) {
    super(503, 'temporal-unavailable', 'Temporal is unavailable', 'the orchestrator cannot reach Temporal right now; retry shortly', { cause: shorten(cause) }, { 'retry-after': '5' });
  }
}

export function problemType(slug: string): string {
  return `urn:sagaway:problem:${slug}`;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: HttpProblem) {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: problemType(problem.slug),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: request.url.split('?')[0],
      ...problem.extra,
    });
}

/** The one error handler: every failure becomes problem+json, and a 5xx never shows internals. */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, request, toProblem(error, request));
}

function toProblem(error: FastifyError, request: FastifyRequest): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      field: [error.validationContext, ...pathOf(v.instancePath)].filter(Boolean).join('.'),
      message: v.message ?? 'invalid',
    }));
    const first = errors[0];
    return new HttpProblem(400, 'validation', 'The request is not valid', first ? `${first.field}: ${first.message}` : 'invalid request', { errors });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'body-too-large', 'The request body is too large', `the body exceeds ${request.routeOptions.bodyLimit ?? 0} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, 'validation', 'The request is not valid', 'body: the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpProblem(400, 'malformed-json', 'The body is not valid JSON', 'body: could not be parsed as JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError) return new HttpProblem(400, 'malformed-json', 'The body is not valid JSON', 'body: could not be parsed as JSON');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new HttpProblem(status, 'bad-request', 'The request cannot be served', shorten(error.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return new HttpProblem(500, 'internal', 'Internal error', 'something went wrong on our side; the request id is in the logs', { requestId: request.id });
}

function pathOf(instancePath: string): string[] {
  return instancePath.split('/').filter(Boolean);
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
