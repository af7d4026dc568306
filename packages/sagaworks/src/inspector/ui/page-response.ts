import type { Response } from 'express';

/**
 * Scripts and styles come from this app only and nothing is inlined, so the pages can forbid everything else:
 * even a value that slipped past escaping could not run.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'";

/**
 * Where this page's inspector is mounted, read from the request itself, so a `RouterModule` prefix, a global
 * prefix or a proxy's path all work: every link on a page is relative to it.
 */
export const mountOf = (res: Response, suffix: RegExp): string => {
  const path = (res.req.originalUrl || res.req.url).split('?')[0].replace(/\/+$/, '');
  return path.replace(suffix, '') || '/';
};

/** The headers of every page. */
export const page = (res: Response): void => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
};
