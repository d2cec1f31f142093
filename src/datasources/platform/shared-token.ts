/**
 * The access token the replicas of one application share through the store: a login voids every earlier token of
 * the application, so replicas that each logged in would keep voiding each other's. The token is sealed (AES-256-GCM)
 * with a key derived from the application's secret: whoever reads the store without the secret learns nothing usable,
 * and whoever has the secret could log in anyway.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedToken } from '../../domain/platform-session.js';
import type { AccessToken, TokenVault } from './tokens.js';

/** Where the sealed token lives (the store's token repository). */
export interface TokenLedger {
  read(app: string): Promise<SealedToken | undefined>;
  exclusive(app: string, work: (current: SealedToken | undefined) => Promise<SealedToken | undefined>): Promise<void>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SharedToken implements TokenVault {
  readonly #key: Buffer;

  constructor(
    private readonly ledger: TokenLedger,
    private readonly appId: string,
    secret: string,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, appId, 'northbound-gateway platform token', 32));
  }

  async read(): Promise<AccessToken | undefined> {
    const stored = await this.ledger.read(this.appId);
    return stored && this.#open(stored);
  }

  async renew(usable: (token: AccessToken) => boolean, renew: (current: AccessToken | undefined) => Promise<AccessToken>): Promise<AccessToken> {
    let result: AccessToken | undefined;
    await this.ledger.exclusive(this.appId, async (stored) => {
      const current = stored && this.#open(stored);
      if (current && usable(current)) {
        result = current;
        return undefined;
      }
      result = await renew(current);
      return this.#seal(result);
    });
    return result as AccessToken;
  }

  #seal(token: AccessToken): SealedToken {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const plain = JSON.stringify({ value: token.value, refreshToken: token.refreshToken });
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { sealed: sealed.toString('base64'), expiresAt: token.expiresAt };
  }

  /** Undefined when it does not open (sealed under another secret: the application's secret was changed). */
  #open(stored: SealedToken): AccessToken | undefined {
    try {
      const bytes = Buffer.from(stored.sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      const { value, refreshToken } = JSON.parse(plain) as { value: string; refreshToken?: string };
      return { value, refreshToken, expiresAt: stored.expiresAt };
    } catch {
      return undefined;
    }
  }
}
