import type { NextFunction, Request, Response } from 'express';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
/** What the JSON parser reads: `application/json`, with any parameters (`; charset=utf-8`). */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** A body is coming when the request is chunked or announces a non-zero length. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Express middleware: the API reads JSON only, so a POST, PUT or PATCH whose body is anything else (a form, text,
 * a missing type) is answered 415 before any parser sees it. Requests without a body pass.
 */
export function jsonBodiesOnly(req: Request, res: Response, next: NextFunction): void {
  if (!WITH_BODY.has(req.method) || !hasBody(req) || JSON_TYPE.test(req.headers['content-type'] ?? '')) return next();
  // Node discards the unread body once the answer is sent, and the request timeout bounds how long that takes.
  res.status(415).json({ statusCode: 415, error: 'Unsupported Media Type', message: 'Content-Type must be application/json' });
}
