/* global self, caches, fetch, URL, Request, Response, __PETAL_CACHE__, __PETAL_SHELL__ */
// Petal's service worker (filled in by scripts/vite-plugins.ts at build time; not served from here).
// The shell is kept so the app opens offline; identifying needs the network, and the page says so.
const CACHE = __PETAL_CACHE__;
const SHELL = __PETAL_SHELL__;
const SHELL_SET = new Set(SHELL);

self.addEventListener('install', (event) => {
  // `reload` skips the HTTP cache: the shell must be this deploy's files, not older copies.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('petal-shell-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // The network first, so a deploy shows at once; the kept page when there is none.
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE).then((cache) => cache.match('/')).then((page) => page || new Response('Offline', { status: 503 })),
      ),
    );
    return;
  }
  // Hashed assets and the other shell files never change under their name within one deploy. Anything
  // else (the API above all) goes to the network untouched.
  if (SHELL_SET.has(url.pathname)) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.pathname).then((hit) => hit || fetch(request))));
  }
});
