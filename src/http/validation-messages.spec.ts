import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from 'class-validator';
import { capMessages, MAX_MESSAGE_LENGTH, MAX_REPORTED_ERRORS, validationMessages } from './validation-messages';

const error = (property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError => ({
  property,
  constraints,
  children,
});

describe('validationMessages', () => {
  it("names nested fields by path, as Nest's ValidationPipe does, parents before children", () => {
    const errors = [
      error('customerId', { isNotBlank: 'customerId must not be blank' }),
      error('items', { arrayMaxSize: 'items must contain no more than 50 elements' }, [
        error('0', undefined, [error('quantity', { min: 'quantity must not be less than 1' })]),
      ]),
    ];
    expect(validationMessages(errors)).toEqual([
      'customerId must not be blank',
      'items must contain no more than 50 elements',
      'items.0.quantity must not be less than 1',
    ]);
  });

  it('reports at most 20 errors and counts the rest in a last entry', () => {
    const items = Array.from({ length: 2500 }, (_, i) =>
      error(String(i), undefined, [error('sku', { isString: 'sku must be a string', isNotBlank: 'sku must not be blank' })]),
    );
    const messages = validationMessages([error('items', undefined, items)]);
    expect(messages).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(messages[0]).toBe('items.0.sku must be a string');
    expect(messages.at(-1)).toBe(`...and ${5000 - MAX_REPORTED_ERRORS} more`);
  });

  it('shortens a message that quotes a long input', () => {
    const [message] = validationMessages([error('x'.repeat(10_000), { whitelist: `property ${'x'.repeat(10_000)} should not exist` })]);
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 1);
  });
});

describe('capMessages', () => {
  it('keeps short lists as they are and caps long ones', () => {
    expect(capMessages(['a', 'b'])).toEqual(['a', 'b']);
    const capped = capMessages(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(capped).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(capped.at(-1)).toBe('...and 30 more');
  });
});
