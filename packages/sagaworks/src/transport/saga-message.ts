/** The saga a message belongs to: its `sagaId` field, the saga module's convention (none: not a saga's message). */
export function sagaIdOf(message: object): string | undefined {
  const id = (message as { sagaId?: unknown }).sagaId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
