import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  ForbiddenException,
  type HttpException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Response } from 'express';
import { TooManyTokenFailuresException } from '../api/token-failure-limiter.js';
import { html } from './html.js';
import { renderPage } from './inspector-layout.js';
import { mountOf, page } from './page-response.js';

const WHY: Record<number, string> = {
  401: 'These pages show sagas and their data. Enter the read token (or the admin token) at the top right.',
  403: 'That token is wrong. Enter the read token (or the admin token) at the top right.',
  429: 'Too many wrong tokens from this address. Wait a minute, then enter the token again.',
};

/** The page a refused request gets: why, and the token form (the inspector's script reloads once it is filled). */
export function renderTokenRequiredPage(status: number, base: string): string {
  return renderPage({
    title: 'Token required',
    nav: null,
    chrome: { base, links: [] },
    body: html`<section data-token-required="${status}">
  <h1>Token required</h1>
  <p>${WHY[status] ?? WHY[401]}</p>
</section>`,
  });
}

/**
 * A browser navigating to a page refused by `InspectorPageGuard` gets a page, not JSON: the status stays 401,
 * 403 or 429 (with its `Retry-After`), and the page holds the token form.
 */
@Catch(UnauthorizedException, ForbiddenException, TooManyTokenFailuresException)
export class TokenRequiredPageFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    page(res);
    res
      .status(exception.getStatus())
      .send(renderTokenRequiredPage(exception.getStatus(), mountOf(res, /\/(definitions|waiting|sagas\/[^/]*)$/)));
  }
}
