export { BackupJob } from "./backupJob";
export type { BackupJobArgs } from "./backupJob";
export {
  BACKUP_NAME,
  BACKUP_SCRIPT_CONFIGMAP,
  backupCronJob,
  backupLabels,
  backupScriptConfigMap,
  backupServiceAccount,
} from "./objects";
export type { BackupCredentials, BackupObjectsInput } from "./objects";
export { BackupEnv, backupStreams, renderBackupScript } from "./script";
export type { BackupScriptInput } from "./script";
