import { sagaMigrations } from 'sagaworks';
import { CreateTravelTables1765000000000 } from './1765000000000-create-travel-tables';

/** The travel app's schema: the saga module's tables, then the three services' tables. */
export const travelMigrations = [...sagaMigrations, CreateTravelTables1765000000000];
