import { GetShipmentsHandler } from './get-shipments.handler';

export const QueryHandlers = [GetShipmentsHandler];
