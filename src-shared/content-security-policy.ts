/**
 * The Content-Security-Policy of every page the engine serves to the window; the desktop shell
 * enforces it too. Scripts and connections only from the engine itself; images also from https map
 * tile servers; inline styles allowed because map libraries position tiles with style attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
