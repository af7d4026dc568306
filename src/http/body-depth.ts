import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** How deeply a JSON body may nest objects and arrays; an order body nests three levels. */
export const MAX_BODY_DEPTH = 32;

/**
 * Whether `value` nests objects or arrays deeper than `maxDepth` (a top-level object is depth 1). Walks with an
 * explicit stack, not recursion, so the check itself cannot overflow; it stops at the first node too deep.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * Express middleware, after the JSON parser: a body nested deeper than {@link MAX_BODY_DEPTH} is refused with 400
 * before validation sees it (class-transformer and class-validator recurse, and 10,000 levels overflow the stack).
 * The error goes through the app's exception filter, so the answer has the shape of every other 400.
 */
export function refuseDeepBodies(req: Request, _res: Response, next: NextFunction): void {
  if (nestsDeeperThan(req.body, MAX_BODY_DEPTH)) {
    return next(new BadRequestException([`body must not nest objects or arrays more than ${MAX_BODY_DEPTH} levels deep`]));
  }
  next();
}
