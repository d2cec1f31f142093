/** Parsers of single variables' values: each answers undefined for a value it does not take. */

export interface RateLimit {
  calls: number;
  windowSeconds: number;
}

export function parseIntegerIn(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

export function parseBoolean(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : undefined;
}

export function parsePort(value: string): number | undefined {
  return parseIntegerIn(value, 0, 65_535);
}

export function parseRateLimit(value: string): RateLimit | undefined {
  const match = /^(\d+)\/(\d+)s$/.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  const calls = parseIntegerIn(match[1], 1, Number.MAX_SAFE_INTEGER);
  const windowSeconds = parseIntegerIn(match[2], 1, Number.MAX_SAFE_INTEGER);
  return calls === undefined || windowSeconds === undefined ? undefined : { calls, windowSeconds };
}

/** Each entry as a browser sends it in `Origin` (lower-case host, no default port), so matching is exact. */
export function parseOrigins(value: string): string[] | undefined {
  const origins: string[] = [];
  for (const entry of value.split(',')) {
    let url: URL;
    try {
      url = new URL(entry.trim());
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
    if (!/^https?:\/\/[^/]+\/?$/i.test(entry.trim())) return undefined;
    if (!origins.includes(url.origin)) origins.push(url.origin);
  }
  return origins;
}

/** Normalised to no trailing slash; a path prefix (reverse proxy) is kept. */
export function parsePlatformUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  return url.href.replace(/\/+$/, '');
}
