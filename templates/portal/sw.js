// The portal's service worker (portal/pwa.py). It keeps «Мой полис» for offline use and nothing else.
// Pages: network first (always fresh when online), the saved copy only when the network fails; a
// redirect or an error (logged out) deletes the saved copy. Static files: only those the policy page
// saved for itself (static/js/my-policy.js), refreshed when online.
"use strict";
const CACHE = {{ cache_name }};
const OFFLINE_PAGES = {{ offline_pages }};
const STATIC_PREFIX = {{ static_prefix }};

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") event.waitUntil(caches.delete(CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = OFFLINE_PAGES.includes(url.pathname);
  const isStatic = url.pathname.startsWith(STATIC_PREFIX);
  if (!isPage && !isStatic) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = isPage ? url.pathname : request;
    try {
      const response = await fetch(request);
      if (isPage) {
        if (response.ok && !response.redirected) await cache.put(key, response.clone());
        else await cache.delete(key);
      } else if (response.ok && (await cache.match(key, { ignoreVary: true }))) {
        await cache.put(key, response.clone());
      }
      return response;
    } catch (error) {
      const saved = await cache.match(key, { ignoreVary: true, ignoreSearch: isPage });
      if (saved) return saved;
      throw error;
    }
  })());
});
