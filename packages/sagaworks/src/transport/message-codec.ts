/** A class of message (command or event) that crosses processes: its instances' own fields are JSON values. */
export type MessageClass = abstract new (...args: never[]) => object;

/** An unknown type name, or a body that is not a JSON object: the message can never be handled here. */
export class UndecodableMessageError extends Error {
  override readonly name = 'UndecodableMessageError';
}

/**
 * Names message classes for the wire, and turns instances into bytes and back. A message is sent as its class's
 * name and its own fields as JSON; it is rebuilt as an instance of the class registered under that name, without
 * calling its constructor (as a deserialiser must), so `instanceof` and the runtime's routing by class hold.
 */
export class MessageCodec {
  private readonly byName = new Map<string, MessageClass>();
  private readonly names = new Map<MessageClass, string>();

  /** Registers a class under `name` (its class name by default). The same name for two classes is refused. */
  add(type: MessageClass, name: string = type.name): this {
    const taken = this.byName.get(name);
    if (taken && taken !== type) throw new Error(`two message classes are named "${name}": give one a name of its own`);
    this.byName.set(name, type);
    this.names.set(type, name);
    return this;
  }

  has(type: MessageClass): boolean {
    return this.names.has(type);
  }

  /** The wire name of a message's class, if registered. */
  nameOf(message: object): string | undefined {
    return this.nameOfClass(message.constructor as MessageClass);
  }

  /** The wire name a class is registered under, if it is. */
  nameOfClass(type: MessageClass): string | undefined {
    return this.names.get(type);
  }

  encode(message: object): { type: string; body: Buffer } {
    const type = this.nameOf(message);
    if (!type) throw new Error(`${message.constructor.name} is not a registered message class`);
    return { type, body: Buffer.from(JSON.stringify(message)) };
  }

  decode(type: string | undefined, body: Buffer | string): object {
    const cls = type === undefined ? undefined : this.byName.get(type);
    if (!cls) throw new UndecodableMessageError(`no message class is registered as "${String(type)}"`);
    let fields: unknown;
    try {
      fields = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    } catch {
      throw new UndecodableMessageError(`the body of a ${type} is not JSON`);
    }
    if (!fields || typeof fields !== 'object' || Array.isArray(fields))
      throw new UndecodableMessageError(`the body of a ${type} is not a JSON object`);
    return Object.assign(Object.create(cls.prototype as object) as object, fields);
  }
}
