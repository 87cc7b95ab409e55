/**
 * A Temporal client whose every gRPC call is counted, for the apps an API test builds: what a route
 * costs Temporal is then a number the test reads.
 */
import { InterceptingCall } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../../src/codec';
import type { Stack } from './stack';

export interface CountedTemporal {
  client: Client;
  connection: Connection;
  /** Temporal calls made on this connection so far; a test sets it to 0 before what it measures. */
  calls: number;
}

export async function countedTemporal(stack: Stack): Promise<CountedTemporal> {
  let calls = 0;
  const connection = await Connection.connect({
    address: stack.launched.temporalAddress,
    interceptors: [
      (options, nextCall) => {
        calls += 1;
        return new InterceptingCall(nextCall(options));
      },
    ],
  });
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFrom(stack.config.codecKeys) });
  return {
    client,
    connection,
    get calls() {
      return calls;
    },
    set calls(value: number) {
      calls = value;
    },
  };
}
