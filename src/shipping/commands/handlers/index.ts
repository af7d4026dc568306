import { CancelShipmentHandler } from './cancel-shipment.handler';
import { CreateShipmentHandler } from './create-shipment.handler';

export const CommandHandlers = [CreateShipmentHandler, CancelShipmentHandler];
