export { leafnodeUrl, localTopology, routeUrl } from "./local";
export type { Credentials, LocalServerOptions } from "./local";
export { MIN_LAME_DUCK_SECONDS, renderNatsConf } from "./render";
export { NatsAccounts, confString, env, isEnvRef } from "./topology";
export type {
  ClusterSettings,
  ConfValue,
  EnvRef,
  JetStreamSettings,
  LeafnodeDial,
  LeafnodeListen,
  LeafnodeSettings,
  Listener,
  NatsAccount,
  NatsTopology,
  NatsUser,
  TlsFiles,
} from "./topology";
