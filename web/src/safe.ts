// What may become a link: only absolute http(s) URLs. Everything else (javascript:, data:,
// relative or malformed text) is shown as text. Pure.

export function safeHref(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.href;
}
