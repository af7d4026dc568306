import { describe, expect, it } from '@jest/globals';
import { MessageCodec, UndecodableMessageError } from './message-codec.js';

class ReserveCommand {
  constructor(
    public readonly sagaId: string,
    public readonly items: { sku: string; quantity: number }[],
  ) {}
}
class OtherReserveCommand {}

describe('MessageCodec', () => {
  it('rebuilds an instance of the class, with its fields, from its name and JSON', () => {
    const codec = new MessageCodec().add(ReserveCommand);
    const { type, body } = codec.encode(new ReserveCommand('s1', [{ sku: 'A', quantity: 2 }]));
    expect(type).toBe('ReserveCommand');
    const back = codec.decode(type, body);
    expect(back).toBeInstanceOf(ReserveCommand);
    expect(back).toEqual(new ReserveCommand('s1', [{ sku: 'A', quantity: 2 }]));
  });

  it('refuses two classes under one name, and what it cannot read', () => {
    const codec = new MessageCodec().add(ReserveCommand);
    expect(() => codec.add(OtherReserveCommand, 'ReserveCommand')).toThrow(/two message classes are named "ReserveCommand"/);
    expect(() => codec.encode(new OtherReserveCommand())).toThrow(/not a registered message class/);
    expect(() => codec.decode('Nope', '{}')).toThrow(UndecodableMessageError);
    expect(() => codec.decode(undefined, '{}')).toThrow(UndecodableMessageError);
    expect(() => codec.decode('ReserveCommand', '{"sagaId":')).toThrow(/is not JSON/);
    expect(() => codec.decode('ReserveCommand', '[1]')).toThrow(/not a JSON object/);
  });
});
