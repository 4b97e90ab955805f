/** API keys, by the hash of the key. */

export interface ApiKeyRecord {
  tenant: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyStore {
  /** Keys are stored only as their SHA-256: a table dump does not leak usable keys. */
  putApiKey(keyHash: string, record: ApiKeyRecord): Promise<void>;
  getApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
}
