import { type FormEvent, useState } from 'react';
import { decodeClaims, getSignOutReason, setToken } from '../../lib/session';

export function SignInPage() {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const reason = getSignOutReason();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (!decodeClaims(token)) {
      setProblem('That is not a JWT with a subject (three base64url parts separated by dots).');
      return;
    }
    setToken(token);
  };
  return (
    <main className="signin">
      <h1>Sign in to the registry</h1>
      {reason && (
        <p className="state error" role="alert">
          Signed out: {reason}
        </p>
      )}
      <p>
        Open the <code>Web UI:</code> address the service printed at start, or paste a token (<code>npm run token -- --sub &lt;user&gt;</code> mints one).
      </p>
      <form onSubmit={onSubmit}>
        <label htmlFor="token">Token</label>
        <textarea id="token" rows={5} value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} autoComplete="off" />
        {problem && (
          <p className="state error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
