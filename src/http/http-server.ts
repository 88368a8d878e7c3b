import http, { type RequestListener, type Server } from 'node:http';

/**
 * Node's request and response classes with every property that Express, body-parser and this
 * service add to them declared up front. Added later, one by one on every request, each property
 * gives the object a new hidden class, and the property accesses of Node's and Express's code
 * (shared by every request) keep missing V8's caches.
 */
export class ShapedRequest extends http.IncomingMessage {
  // This service (src/http/principal.ts).
  id: string | undefined = undefined;
  principal: unknown = undefined;
  bodyBytes: number | undefined = undefined;
  // body-parser.
  body: unknown = undefined;
  _body: boolean | undefined = undefined;
  // Express and its router.
  res: unknown = undefined;
  next: unknown = undefined;
  baseUrl: string | undefined = undefined;
  originalUrl: string | undefined = undefined;
  _parsedUrl: unknown = undefined;
  _parsedOriginalUrl: unknown = undefined;
  params: unknown = undefined;
  route: unknown = undefined;
}

export class ShapedResponse<Req extends http.IncomingMessage = ShapedRequest> extends http.ServerResponse<Req> {
  // Express.
  locals: unknown = undefined;
}

/** The HTTP server for the app, on the classes above (main.ts and the tests). */
export function createHttpServer(app: RequestListener<typeof ShapedRequest, typeof ShapedResponse>): Server<typeof ShapedRequest, typeof ShapedResponse> {
  return http.createServer({ IncomingMessage: ShapedRequest, ServerResponse: ShapedResponse }, app);
}
