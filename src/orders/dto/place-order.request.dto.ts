import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsCleanText } from '../../http/text-validators';

export class OrderItemDto {
  @ApiProperty({ example: 'SKU-001' })
  @IsString()
  @IsCleanText()
  @MaxLength(64)
  sku: string;

  @ApiProperty({ example: 1, minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;
}

export class ShippingAddressDto {
  @ApiProperty({ example: '1 Main St' })
  @IsString()
  @IsCleanText()
  @MaxLength(200)
  line1: string;

  @ApiProperty({ example: 'Springfield' })
  @IsString()
  @IsCleanText()
  @MaxLength(100)
  city: string;

  @ApiProperty({ example: '12345' })
  @IsString()
  @IsCleanText()
  @MaxLength(20)
  postalCode: string;

  @ApiProperty({ example: 'US', description: 'ISO 3166-1 alpha-2; "AQ" cannot be shipped to' })
  @IsString()
  @IsCleanText()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as "US"' })
  country: string;
}

export class PlaceOrderRequestDto {
  @ApiProperty({ example: 'cust-42' })
  @IsString()
  @IsCleanText()
  @MaxLength(100)
  customerId: string;

  @ApiProperty({ type: [OrderItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @ApiProperty({ example: 'tok_visa', description: 'tok_visa charges, tok_declined is declined, tok_timeout never answers' })
  @IsString()
  @IsCleanText()
  @MaxLength(100)
  paymentToken: string;

  @ApiProperty({ type: ShippingAddressDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress: ShippingAddressDto;
}
