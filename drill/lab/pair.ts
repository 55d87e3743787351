// The lab's two regions: the default pair of Pulumi.yaml (us-east-1 and eu-central-1), named in
// its stacks, servers and domains. The drill takes another pair with --regions; the lab keeps one
// fixed pair so its state file, ports and stack names stay the same from one `lab up` to the next.
import { DEFAULT_REGION_PAIR, type DefaultRegion } from "../../infra/config/regions";

export const labRegions = DEFAULT_REGION_PAIR;
export type LabRegion = DefaultRegion;
