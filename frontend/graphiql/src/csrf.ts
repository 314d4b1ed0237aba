// A signed-in session's mutations need the CSRF token (docs/sheriffing.md): Django's csrftoken
// cookie, read at each request, since signing in sets it after the page loaded.

export function csrfToken(cookies: string = document.cookie): string | undefined {
  const found = cookies.split("; ").find((c) => c.startsWith("csrftoken="));
  return found ? decodeURIComponent(found.slice("csrftoken=".length)) : undefined;
}

export const fetchWithCsrf: typeof fetch = (input, init = {}) => {
  const token = csrfToken();
  if (!token) return window.fetch(input, init);
  const headers = new Headers(init.headers);
  headers.set("X-CSRFToken", token);
  return window.fetch(input, { ...init, headers });
};
