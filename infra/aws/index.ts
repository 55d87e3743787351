export { BackupBucket } from "./backupBucket";
export type { BackupBucketArgs } from "./backupBucket";
export { BackupRole } from "./backupRole";
export type { BackupRoleArgs } from "./backupRole";
export { backupBucketName, s3BucketNameProblem } from "./names";
export {
  backupLifecycleRules,
  backupRolePolicy,
  backupRoleTrustPolicy,
  encryptionRule,
  tlsOnlyBucketPolicy,
} from "./policies";
export type { PolicyDocument, PolicyStatement } from "./policies";
export { awsProviderArgs } from "./provider";
