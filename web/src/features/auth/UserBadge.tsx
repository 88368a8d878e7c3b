import { clearToken, decodeClaims, getToken } from '../../lib/session';

/** Who is signed in, from the token's claims (display only: the API decides what is allowed). */
export function UserBadge({ adminRole = 'admin' }: { adminRole?: string }) {
  const token = getToken();
  const claims = token ? decodeClaims(token) : null;
  if (!claims) return null;
  const admin = claims.roles.includes(adminRole);
  return (
    <div className="user" aria-label="Signed in user">
      <span>
        Signed in as <strong data-testid="user-sub">{claims.sub}</strong>
        {admin && <span className="badge">admin</span>}
        {claims.groups.length > 0 && <span className="groups"> · groups: {claims.groups.join(', ')}</span>}
      </span>
      <button type="button" onClick={() => clearToken()}>
        Sign out
      </button>
    </div>
  );
}
