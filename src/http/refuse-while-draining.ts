import type { INestApplication } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { GracefulShutdown } from '../reliability';

/**
 * Express middleware: once shutdown has begun, new requests get 503 with `Connection: close`, so clients and load
 * balancers retry on another instance (with the same Idempotency-Key) instead of starting work that shutdown
 * would cut off. Requests already in progress are not affected. Apps without the reliability module (a service run apart) pass through.
 */
export function refuseWhileDraining(app: INestApplication): (req: Request, res: Response, next: NextFunction) => void {
  let shutdown: GracefulShutdown | null | undefined;
  return (_req, res, next) => {
    if (shutdown === undefined) {
      try {
        // Through ModuleRef: the app's own get() reports a missing provider as a fatal start-up error.
        shutdown = app.get(ModuleRef).get(GracefulShutdown, { strict: false });
      } catch {
        shutdown = null;
      }
    }
    if (!shutdown?.draining) return next();
    res.setHeader('Connection', 'close');
    res.status(503).json({ statusCode: 503, error: 'Service Unavailable', message: 'The service is shutting down; retry later' });
  };
}
