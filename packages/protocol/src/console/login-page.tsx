import { Alert, ConsolePage } from './layout.tsx';

/** The login form: one token field (the API token of the role), a login CSRF token, the target page. */
export function LoginPage(p: {
  appName: string;
  basePath: string;
  loginCsrf: string;
  error: string | null;
  next: string | null;
}) {
  return (
    <ConsolePage appName={p.appName} basePath={p.basePath} title="Log in" nav={[]}>
      {p.error ? <Alert kind="error">{p.error}</Alert> : null}
      <section class="card">
        <form class="stack" method="post" action={`${p.basePath}/login`} data-testid="login-form">
          <input type="hidden" name="_login_csrf" value={p.loginCsrf} />
          {p.next ? <input type="hidden" name="next" value={p.next} /> : null}
          <label>
            API token
            <span class="hint">
              The same role-scoped bearer token the API takes. The console keeps only a signed
              session cookie, never the token.
            </span>
            <input type="password" name="token" autocomplete="off" required />
          </label>
          <button type="submit">Log in</button>
        </form>
      </section>
    </ConsolePage>
  );
}
