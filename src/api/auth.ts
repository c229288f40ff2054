import { createHash, randomBytes } from "node:crypto";
import type { Store } from "../store/types.js";

/** Projects and API keys live in a reserved project of their own. */
const SYSTEM = "_system";
const KEY_DOC = "api-key";
const PROJECT_DOC = "project";

export interface ApiKeyRecord {
  project: string;
  name: string;
  /** First characters of the key, to recognise it in listings; the key itself is never stored. */
  prefix: string;
  createdAt: number;
}

/** SHA-256 of a key: what is stored and looked up. Keys are 256 random bits, so a fast hash is enough. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new random API key: `jrn_` + 43 base64url characters. */
export function generateKey(): string {
  return `jrn_${randomBytes(32).toString("base64url")}`;
}

/** API keys, stored hashed: one project per key; resolving a key yields its project or nothing. */
export class ApiKeys {
  private readonly cache = new Map<string, string>();

  constructor(private readonly store: Store) {}

  /** Creates a project (if new) and a key for it; the plain key is returned once and never stored. */
  async create(project: string, name = "default", key = generateKey()): Promise<string> {
    const now = Date.now();
    if (!(await this.store.getDocument(SYSTEM, PROJECT_DOC, project))) {
      await this.store.putDocument(SYSTEM, PROJECT_DOC, project, { id: project, createdAt: now });
    }
    const record: ApiKeyRecord = { project, name, prefix: key.slice(0, 8), createdAt: now };
    await this.store.putDocument(SYSTEM, KEY_DOC, hashKey(key), record as never);
    return key;
  }

  async projects(): Promise<string[]> {
    return (await this.store.listDocuments(SYSTEM, PROJECT_DOC)).map((doc) => doc.id);
  }

  async hasAnyKey(): Promise<boolean> {
    return (await this.store.listDocuments(SYSTEM, KEY_DOC)).length > 0;
  }

  /** The project a key belongs to, or undefined. */
  async resolve(key: string): Promise<string | undefined> {
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const doc = await this.store.getDocument(SYSTEM, KEY_DOC, hash);
    if (!doc) return undefined;
    const record = doc as unknown as ApiKeyRecord;
    // Lookup is by the key's hash, so timing reveals nothing an attacker can steer towards a key.
    this.cache.set(hash, record.project);
    return record.project;
  }
}
