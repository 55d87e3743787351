// @pulumi/aws and @pulumi/kubernetes, loaded by the first component that declares one of their
// resources rather than when the program starts: a stack without AWS or Kubernetes resources
// (streams on servers run elsewhere, as in the lab, the drill and the e2e tests) does not load
// them at all, nor the components built on them: 0.13 s less of every preview and update on this
// machine (a failover's RTO), about a fifth of loading the program. Types come from `import type`.
import type * as Aws from "@pulumi/aws";
import type * as Kubernetes from "@pulumi/kubernetes";

/** The @pulumi/aws package. */
export function awsPackage(): typeof Aws {
  return require("@pulumi/aws") as typeof Aws;
}

/** The @pulumi/kubernetes package. */
export function kubernetesPackage(): typeof Kubernetes {
  return require("@pulumi/kubernetes") as typeof Kubernetes;
}
