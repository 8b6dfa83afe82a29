/** What a record key (PK) may be: it names the record in paths, logs, alerts and approval requests. */
export const PK_MAX_LENGTH = 256;

/**
 * Printable characters only: no '/' (paths), no whitespace or separators, no control or format characters
 * (bidirectional overrides and isolates, zero-width characters, byte order marks), no unassigned or private-use
 * code points and no lone surrogates (`\p{C}` covers Cc, Cf, Cs, Co and Cn). A key that displays as something
 * else in an approval request could make someone approve the wrong block.
 */
const PRINTABLE_KEY = /^[^\p{C}\p{Z}\s/]+$/u;

export function isPrintableKey(value: string): boolean {
  return value.length > 0 && value.length <= PK_MAX_LENGTH && PRINTABLE_KEY.test(value);
}
