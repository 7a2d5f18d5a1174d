/** Text as an XML attribute value or element content (QGIS reads both through Qt's XML parser). */
export function xmlAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
