import { applyDecorators } from '@nestjs/common';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * C0 controls (NUL among them), DEL and C1 controls. PostgreSQL refuses NUL in text and jsonb, and none of them
 * belongs in a name, an address or a reference.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Whitespace, as String.prototype.trim sees it, and the zero-width characters that look like nothing. */
const BLANK = /^[\s\u200b-\u200d\u2060]*$/;

// Each check passes anything that is not a string: @IsString() reports those, once.
const isString = (value: unknown): value is string => typeof value === 'string';

/** `<field> must not contain control characters` (NUL, tabs, newlines, DEL, C1). */
export function HasNoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoControlCharacters',
      validator: {
        validate: (value: unknown) => !isString(value) || !CONTROL_CHARACTER.test(value),
        defaultMessage: (args) => `${args?.property} must not contain control characters`,
      },
    },
    options,
  );
}

/** `<field> must be well-formed Unicode`: no lone surrogate (`\ud800`), which no UTF-8 database can store. */
export function IsWellFormedUnicode(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWellFormedUnicode',
      validator: {
        validate: (value: unknown) => !isString(value) || !LONE_SURROGATE.test(value),
        defaultMessage: (args) => `${args?.property} must be well-formed Unicode`,
      },
    },
    options,
  );
}

/** `<field> must not be blank`: empty, whitespace-only and zero-width-only strings are refused. */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotBlank',
      validator: {
        validate: (value: unknown) => !isString(value) || !BLANK.test(value),
        defaultMessage: (args) => `${args?.property} must not be blank`,
      },
    },
    options,
  );
}

/** Text a person typed and the database will store: not blank, no control characters, well-formed Unicode. */
export function IsCleanText(): PropertyDecorator {
  return applyDecorators(IsNotBlank(), HasNoControlCharacters(), IsWellFormedUnicode());
}
