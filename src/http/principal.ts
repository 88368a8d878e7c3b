import type { Request } from 'express';
import { RegistryError } from '../errors';

/** Who is calling, from the verified JWT. */
export interface Principal {
  subject: string;
  groups: readonly string[];
  isAdmin: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
      id?: string;
      /** Size of the JSON body as received (chunked bodies have no Content-Length). */
      bodyBytes?: number;
    }
  }
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new RegistryError('UNAUTHENTICATED', 'Authentication required.');
  return req.principal;
}
