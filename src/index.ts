/** Journeys as a library: the pure core, the embedded engine, the HTTP server and the client. */

export { ApiKeys } from "./api/auth.js";
export { buildServer } from "./api/server.js";
export { limitHeapGrowth } from "./cli/heap-growth.js";
export { JourneysApiError, JourneysClient } from "./client/index.js";
export { type AdvanceContext, advance } from "./core/advance.js";
export { buildCatalog, type Catalog } from "./core/catalog.js";
export type { AdvanceResult, Effect } from "./core/effect.js";
export type { Input } from "./core/input.js";
export type * from "./core/model.js";
export { parseJourney } from "./core/schema.js";
export { simulate } from "./core/simulate.js";
export type * from "./core/state.js";
export { validateJourney } from "./core/validate.js";
export { Engine } from "./runtime/engine.js";
export { openSqlite } from "./store/sqlite/open.js";
