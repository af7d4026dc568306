import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

/** Errors one answer reports at most; the rest are counted in a last entry. */
export const MAX_REPORTED_ERRORS = 20;
/** Characters of one message at most: a message may quote the input (an unknown property's name, a SKU). */
export const MAX_MESSAGE_LENGTH = 200;

function shorten(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

/**
 * At most {@link MAX_REPORTED_ERRORS} messages, each at most {@link MAX_MESSAGE_LENGTH} characters, and when some
 * were left out a last entry `...and N more`. So an answer stays a few kilobytes whatever the body held.
 */
export function capMessages(messages: readonly string[]): string[] {
  const kept = messages.slice(0, MAX_REPORTED_ERRORS).map(shorten);
  const more = messages.length - kept.length;
  return more > 0 ? [...kept, `...and ${more} more`] : kept;
}

/**
 * The messages of class-validator errors, in the form Nest's ValidationPipe gives them (`items.0.quantity must
 * not be less than 1`), with the cap of {@link capMessages}. An explicit stack, not recursion, and messages past
 * the cap are counted, not built.
 */
export function validationMessages(errors: readonly ValidationError[]): string[] {
  const kept: string[] = [];
  let more = 0;
  const stack: Array<{ error: ValidationError; path: string }> = [...errors].reverse().map((error) => ({ error, path: '' }));
  while (stack.length > 0) {
    const { error, path } = stack.pop()!;
    for (const message of Object.values(error.constraints ?? {})) {
      if (kept.length < MAX_REPORTED_ERRORS) kept.push(shorten(path ? `${path}.${message}` : message));
      else more++;
    }
    const childPath = path ? `${path}.${error.property}` : error.property;
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ error: children[i], path: childPath });
  }
  return more > 0 ? [...kept, `...and ${more} more`] : kept;
}

/** The global ValidationPipe's `exceptionFactory`: a 400 naming each bad field, capped. */
export function validationException(errors: ValidationError[]): BadRequestException {
  return new BadRequestException(validationMessages(errors));
}
