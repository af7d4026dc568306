import { ReleaseInventoryHandler } from './release-inventory.handler';
import { ReserveInventoryHandler } from './reserve-inventory.handler';

export const CommandHandlers = [ReserveInventoryHandler, ReleaseInventoryHandler];
