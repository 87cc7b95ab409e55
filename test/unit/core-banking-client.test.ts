import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createCoreBankingClient } from '../../src/activities/core-banking-client';

/** The next answer the fake core system gives: status, content type and body. */
let answer: { status: number; type: string; body: string } = { status: 200, type: 'text/xml', body: '' };
let server: Server;
let url = '';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/corebanking`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = () => createCoreBankingClient(url, 2_000).postTransfer('saga-1:holdFunds', [{ account: 'DE89370400440532013000', minor: -100, currency: 'EUR' }], { sagaId: 'saga-1', step: 'postTransfer', key: 'saga-1:postTransfer' });
const problem = (status: number, code: string) => ({ status, type: 'application/problem+json', body: JSON.stringify({ type: `urn:sagaway:backend:${code}`, title: code, status, code, detail: code }) });
const definite = (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable;

describe('the core banking client: which answers are final', () => {
  it('a 409 "request in progress" from the idempotency layer is no answer: retried, never a refusal', async () => {
    answer = problem(409, 'RequestInProgress');
    await assert.rejects(post(), (err) => !definite(err) && /409 RequestInProgress/.test((err as Error).message));
  });

  it('a SOAP Client fault and any other non-SOAP 4xx stay final', async () => {
    answer = { status: 500, type: 'text/xml', body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client.InvalidState</faultcode><faultstring>hold is RELEASED</faultstring></soap:Fault></soap:Body></soap:Envelope>' };
    await assert.rejects(post(), definite);
    answer = problem(409, 'UndoneFirst');
    await assert.rejects(post(), definite);
  });
});
