import type { ReactNode } from 'react';
import { errorMessage } from '../lib/api';

export const Loading = ({ what }: { what: string }) => (
  <p className="state" role="status">
    Loading {what}…
  </p>
);

export const ErrorState = ({ error }: { error: unknown }) => (
  <p className="state error" role="alert">
    {errorMessage(error)}
  </p>
);

export const Empty = ({ children }: { children: ReactNode }) => <p className="state">{children}</p>;
