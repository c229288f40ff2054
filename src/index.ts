/** Journeys as a library: the pure core, the embedded engine, the HTTP server and the client. */
export { advance, type AdvanceContext } from "./core/advance.js";
export { buildCatalog, type Catalog } from "./core/catalog.js";
export type { Effect, AdvanceResult } from "./core/effect.js";
export type { Input } from "./core/input.js";
export type * from "./core/model.js";
export type * from "./core/state.js";
export { simulate } from "./core/simulate.js";
export { parseJourney } from "./core/schema.js";
export { validateJourney } from "./core/validate.js";
export { Engine } from "./runtime/engine.js";
export { buildServer } from "./api/server.js";
export { ApiKeys } from "./api/auth.js";
export { openSqlite } from "./store/sqlite/open.js";
export { JourneysClient, JourneysApiError } from "./client/index.js";
