import { generateKeyPairSync, randomBytes } from "node:crypto";

/** A Google service-account key file made up for tests, with the public half for the fake token endpoint. */
export interface TestServiceAccount {
  /** The key file's fields, as a user would paste them into a provider config. */
  account: {
    type: "service_account";
    project_id: string;
    private_key_id: string;
    private_key: string;
    client_email: string;
    client_id: string;
    token_uri: string;
  };
  /** SPKI PEM of the key, which Google would publish for this account. */
  publicKey: string;
}

/** Generates a fresh RSA key pair and a service account around it (never commit keys). */
export function createTestServiceAccount(
  options: { projectId?: string; tokenUri?: string } = {},
): TestServiceAccount {
  const projectId = options.projectId ?? "journeys-test";
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    account: {
      type: "service_account",
      project_id: projectId,
      private_key_id: randomBytes(20).toString("hex"),
      private_key: privateKey,
      client_email: `journeys@${projectId}.iam.gserviceaccount.com`,
      client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE())),
      token_uri: options.tokenUri ?? "https://oauth2.googleapis.com/token",
    },
    publicKey,
  };
}
