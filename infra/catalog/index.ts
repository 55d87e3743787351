export { defaultCatalog, defaultCatalogFor, defaultConsumers, defaultStreams } from "./defaults";
export { CatalogModes, consumerEntryFields, streamEntrySchema } from "./entries";
export type {
  Catalog,
  CatalogConsumer,
  CatalogInput,
  CatalogMode,
  CatalogStream,
  ConsumerEntryInput,
  Replication,
  ReplicationInput,
  StreamEntryInput,
} from "./entries";
export { deepMerge, mergeEntries } from "./merge";
export { resolveCatalog } from "./resolve";
export { subjectCovers } from "./subjects";
