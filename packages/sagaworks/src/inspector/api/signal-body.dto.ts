import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, ValidateIf } from 'class-validator';

/** A signal's payload, serialised, is at most this long: a decision and a note, not a document. */
export const MAX_SIGNAL_PAYLOAD_CHARS = 4_096;
/** A signal's name is at most this long (a definition's names are short; anything longer names nothing). */
export const MAX_SIGNAL_NAME_LENGTH = 100;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** The body of `POST /sagas/:id/signals/:name`. */
export class SignalBodyDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { decision: 'approve', reason: 'customer known to us' },
    description: `What the wait's \`decide\` receives (a JSON object, at most ${MAX_SIGNAL_PAYLOAD_CHARS} characters); \`by\` is added from X-Operator when absent`,
  })
  // Absent is fine; null is not an object and is refused, as an array or a string is.
  @ValidateIf((body: SignalBodyDto) => body.payload !== undefined)
  @ValidateBy({
    name: 'isSignalPayload',
    validator: {
      validate: (value: unknown) => isPlainObject(value) && JSON.stringify(value).length <= MAX_SIGNAL_PAYLOAD_CHARS,
      defaultMessage: () => `payload must be a JSON object of at most ${MAX_SIGNAL_PAYLOAD_CHARS} characters`,
    },
  })
  payload?: Record<string, unknown>;
}
