import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ConsoleSession } from './session.ts';

export interface NavItem {
  href: string;
  label: string;
}

export interface ConsolePageProps {
  /** Shown in the header and the document title, e.g. "fedmark coordinator". */
  appName: string;
  /** Mount path of the console, e.g. "/console" (assets and logout live under it). */
  basePath: string;
  title: string;
  nav: readonly NavItem[];
  /** Path of the current page: its nav link gets aria-current="page". */
  current?: string;
  session?: ConsoleSession | null;
  /** Reload the page every N seconds (live progress without client JavaScript). */
  refreshSeconds?: number;
  children?: Child;
}

/** The frame of every console page: header with navigation, who is logged in, logout, content. */
export function ConsolePage(p: ConsolePageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {p.refreshSeconds ? <meta http-equiv="refresh" content={String(p.refreshSeconds)} /> : null}
        <title>{`${p.title} · ${p.appName}`}</title>
        <link rel="stylesheet" href={`${p.basePath}/assets/console.css`} />
        <link rel="icon" type="image/svg+xml" href={`${p.basePath}/assets/favicon.svg`} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href={p.basePath}>
            {p.appName}
          </a>
          <nav aria-label="main">
            {p.nav.map((n) => (
              <a href={n.href} aria-current={n.href === p.current ? 'page' : undefined}>
                {n.label}
              </a>
            ))}
          </nav>
          {p.session ? (
            <div class="who">
              <span>
                role <strong data-testid="session-role">{p.session.role}</strong>
              </span>
              <form class="inline" method="post" action={`${p.basePath}/logout`}>
                <CsrfField session={p.session} />
                <button class="link" type="submit">
                  Log out
                </button>
              </form>
            </div>
          ) : null}
        </header>
        <main>
          <h1>{p.title}</h1>
          {p.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden synchronizer token every state-changing form must carry (checked by the kit's csrf middleware). */
export function CsrfField(p: { session: ConsoleSession }) {
  return <input type="hidden" name="_csrf" value={p.session.csrf} />;
}

export function Alert(p: { kind: 'error' | 'info'; children?: Child }) {
  return (
    <div class={`alert ${p.kind}`} role={p.kind === 'error' ? 'alert' : 'status'}>
      {p.children}
    </div>
  );
}

export function Badge(p: { tone?: 'good' | 'bad' | 'warn'; testId?: string; children?: Child }) {
  return (
    <span class={p.tone ? `badge ${p.tone}` : 'badge'} data-testid={p.testId}>
      {p.children}
    </span>
  );
}

/** What a list shows when it has nothing yet ("No jobs yet."), never a bare empty table. */
export function Empty(p: { children?: Child }) {
  return <p class="empty">{p.children}</p>;
}

/** A term/value list for facts about one object (a job, a node, the log head). */
export function Facts(p: { items: readonly (readonly [string, Child])[] }) {
  return (
    <dl class="facts">
      {p.items.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

/** Sends a full HTML document (doctype + page). Every value inside JSX is escaped by hono/jsx. */
export function renderPage(c: Context, page: Child, status: ContentfulStatusCode = 200) {
  return c.html(
    <>
      {raw('<!doctype html>')}
      {page}
    </>,
    status
  );
}
