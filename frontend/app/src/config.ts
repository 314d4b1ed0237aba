// Server-side settings the page needs, written by Django into index.html as JSON (not a script).
export interface AppConfig {
  bugzillaUrl: string;
}

export function readConfig(doc: Document = document): AppConfig {
  const text = doc.getElementById("th-config")?.textContent;
  const parsed = text ? (JSON.parse(text) as Partial<AppConfig>) : {};
  return { bugzillaUrl: (parsed.bugzillaUrl ?? "https://bugzilla.mozilla.org").replace(/\/$/, "") };
}
