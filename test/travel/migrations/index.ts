import { sagaMigrations } from 'sagaworks';
import { CreateTravelTables1765000000000 } from './1765000000000-create-travel-tables';
import { CreateLoyaltyTables1765000000100 } from './1765000000100-create-loyalty-tables';

/** The travel app's schema: the saga module's tables, the three services' tables, and the loyalty program's. */
export const travelMigrations = [...sagaMigrations, CreateTravelTables1765000000000, CreateLoyaltyTables1765000000100];
