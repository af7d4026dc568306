import { GetProductsHandler } from './get-products.handler';

export const QueryHandlers = [GetProductsHandler];
