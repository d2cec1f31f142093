/** The application's access token, and where replicas share it. */

export interface AccessToken {
  value: string;
  refreshToken: string | undefined;
  expiresAt: number;
}

/**
 * The token the replicas of one application share: a login voids every earlier token of the application, so only one
 * replica at a time may renew it, and the others take what it got.
 */
export interface TokenVault {
  /** The shared token, if there is one. */
  read(): Promise<AccessToken | undefined>;
  /** One replica at a time: the shared token when `usable` accepts it, else what `renew` gets, which is then shared. */
  renew(usable: (token: AccessToken) => boolean, renew: (current: AccessToken | undefined) => Promise<AccessToken>): Promise<AccessToken>;
}
