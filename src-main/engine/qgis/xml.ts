const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text as an XML attribute value or element content, escaped as QGIS writes it. */
export function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] as string);
}
