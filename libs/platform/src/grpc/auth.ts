// Bearer-token authentication for every gRPC call but health (probes carry no token, and health
// tells nothing). A server interceptor: a call without `authorization: Bearer <token>` ends with
// UNAUTHENTICATED before any handler runs. The comparison is constant-time.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

const HEALTH = '/grpc.health.v1.Health/';
const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenInterceptor(token: string): grpc.ServerInterceptor {
  const expected = digest(`Bearer ${token}`);
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const got = metadata.get('authorization')[0];
            if (method.path.startsWith(HEALTH) || (typeof got === 'string' && timingSafeEqual(digest(got), expected)))
              mdNext(metadata);
            else
              call.sendStatus({
                code: grpc.status.UNAUTHENTICATED,
                details: got ? 'invalid token' : 'this server requires a token (authorization: Bearer <token>)',
                metadata: new grpc.Metadata(),
              });
          },
        }),
    });
}
