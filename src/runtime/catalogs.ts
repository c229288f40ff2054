import { buildCatalog, type Catalog, type CatalogSource, type JourneyStatus } from "../core/catalog.js";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "../core/model.js";
import { createTemplateEngine, type TemplateEngine } from "../core/template.js";
import type { Store } from "../store/types.js";

/** A journey's record: its draft and where its lifecycle stands. */
export interface JourneyRecord {
  id: string;
  draft: JourneyDefinition;
  /** `draft` until first published. */
  status: "draft" | JourneyStatus;
  /** Latest published version (0 when never published). */
  version: number;
  createdAt: number;
  updatedAt: number;
  publishedAt?: number;
}

export interface JourneyVersionRecord {
  id: string;
  version: number;
  definition: JourneyDefinition;
  publishedAt: number;
}

export const DOC = {
  journey: "journey",
  version: "journey-version",
  template: "template",
  segment: "segment",
} as const;

export function versionDocId(journeyId: string, version: number): string {
  return `${journeyId}@${version}`;
}

/**
 * The compiled Catalog of each project, built from the store's documents and rebuilt when a
 * journey, template or segment changes. The executor reads it on every input.
 */
export class ProjectCatalogs {
  private readonly cache = new Map<string, Catalog>();
  private readonly engine: TemplateEngine = createTemplateEngine();

  constructor(
    private readonly store: Store,
    /** Which events the history summary records (see Catalog.history). */
    private readonly history: "all" | "referenced" = "referenced",
  ) {}

  /** The project's catalog, loading it on first use. */
  async get(project: string): Promise<Catalog> {
    const cached = this.cache.get(project);
    if (cached) return cached;
    const catalog = await this.load(project);
    this.cache.set(project, catalog);
    return catalog;
  }

  /** Projects whose catalog is loaded (every project that received input since start). */
  projects(): string[] {
    return [...this.cache.keys()];
  }

  /** Cached catalog only (the executor's hot path); undefined when not loaded yet. */
  peek(project: string): Catalog | undefined {
    return this.cache.get(project);
  }

  /** Rebuilds a project's catalog after a change. */
  async reload(project: string): Promise<Catalog> {
    const catalog = await this.load(project);
    this.cache.set(project, catalog);
    return catalog;
  }

  private async load(project: string): Promise<Catalog> {
    const source = await this.source(project);
    // Published versions were validated on publish; issues here (e.g. a template deleted since)
    // surface as skipped sends, not as a failure to run the project.
    return buildCatalog(source, this.engine).catalog;
  }

  /** The published journeys, segments and templates of a project. */
  async source(project: string): Promise<CatalogSource> {
    const [journeyDocs, segmentDocs, templateDocs] = await Promise.all([
      this.store.listDocuments(project, DOC.journey),
      this.store.listDocuments(project, DOC.segment),
      this.store.listDocuments(project, DOC.template),
    ]);
    const journeys: CatalogSource["journeys"][number][] = [];
    for (const { body } of journeyDocs) {
      const record = body as unknown as JourneyRecord;
      if (record.version === 0 || record.status === "draft") continue;
      const doc = await this.store.getDocument(project, DOC.version, versionDocId(record.id, record.version));
      if (!doc) continue;
      const version = doc as unknown as JourneyVersionRecord;
      journeys.push({ definition: version.definition, version: version.version, status: record.status });
    }
    return {
      history: this.history,
      journeys,
      segments: segmentDocs.map((doc) => doc.body as unknown as SegmentDefinition),
      templates: templateDocs.map((doc) => doc.body as unknown as TemplateDefinition),
    };
  }
}
