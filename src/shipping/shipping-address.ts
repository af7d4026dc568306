/** Where an order ships to. */
export interface ShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2; `AQ` (Antarctica) cannot be shipped to. */
  country: string;
}
