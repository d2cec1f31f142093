import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DEFAULT_BUCKETS, MAX_BUCKETS, MAX_GROUP_BY } from '../domain/fleet-analytics.js';
import type * as domain from '../domain/fleet-analytics.js';
import { DeviceFilter, VersionCount } from './devices.type.js';
import { DeviceField, PackageType } from './enums.js';
import { UpgradePackage } from './packages.type.js';
import { MaxText } from './rules.js';

@ArgsType()
export class FleetAggregateArgs {
  @Field(() => DeviceFilter, { nullable: true }) filter?: DeviceFilter;

  @Field(() => [DeviceField], { description: `1 to ${MAX_GROUP_BY} fields, each once: a bucket is one combination of their values.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_GROUP_BY)
  @ArrayUnique()
  groupBy!: DeviceField[];

  @Field(() => Int, { defaultValue: DEFAULT_BUCKETS, description: `The buckets with the most devices, 1 to ${MAX_BUCKETS}.` })
  @Min(1)
  @Max(MAX_BUCKETS)
  first: number = DEFAULT_BUCKETS;
}

@ObjectType()
export class FleetBucket implements domain.FleetBucket {
  @Field(() => [String], { nullable: 'items', description: "the groupBy fields' values, in their order; null where devices report none" })
  values!: (string | null)[];
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'Devices counted per bucket of field values, from the mirror.' })
export class FleetAggregate implements domain.FleetAggregate {
  @Field(() => [DeviceField]) groupBy!: DeviceField[];
  @Field(() => Int, { description: 'devices the filter matched' }) total!: number;
  @Field(() => Int, { description: 'buckets in all (buckets lists the first of them)' }) bucketCount!: number;
  @Field(() => [FleetBucket], { description: 'most devices first' }) buckets!: FleetBucket[];
}

@InputType({ description: 'A product as packages name it; fields not given are not compared.' })
export class ProductInput implements domain.ProductInput {
  @Field(() => String, { nullable: true }) @MaxText(256, undefined, 'deviceType') deviceType?: string;
  @Field(() => String, { nullable: true }) @MaxText(256, undefined, 'model') model?: string;
  @Field(() => String, { nullable: true }) @MaxText(256, undefined, 'manufacturerName') manufacturerName?: string;
}

@ArgsType()
export class ComplianceArgs {
  @Field(() => ID, { nullable: true, description: "Exactly one of packageId and product: the package's product and type." })
  @MaxText(256, undefined, 'packageId')
  packageId?: string;

  @Field(() => ProductInput, { nullable: true }) @IsOptional() product?: ProductInput;

  @Field(() => PackageType, { nullable: true, description: 'With product: firmware (default) or software versions.' }) type?: PackageType;
}

@ObjectType({ description: "How many of a product's devices run each version, and the share on its newest package's version (from the mirror)." })
export class Compliance implements domain.Compliance {
  @Field(() => String, { nullable: true }) deviceType?: string;
  @Field(() => String, { nullable: true }) model?: string;
  @Field(() => String, { nullable: true }) manufacturerName?: string;
  @Field(() => PackageType) packageType!: PackageType;
  @Field(() => Int, { description: "the product's devices" }) total!: number;
  @Field(() => [VersionCount], { description: 'newest version first (versions not compared part by part after them)' }) versions!: VersionCount[];
  @Field(() => UpgradePackage, { nullable: true, description: "the product's package with the highest version of this type" }) newestPackage?: UpgradePackage;
  @Field(() => Int, { description: "devices running the newest package's version" }) onNewest!: number;
  @Field(() => Float, { nullable: true, description: 'onNewest / total, 0 to 1 (null without a package or a device)' }) share!: number | null;
}
