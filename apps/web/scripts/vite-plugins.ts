import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin, ResolvedConfig } from 'vite';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Text formats worth compressing; images (JPEG, PNG) are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt|md)$/;
/** Below this a compressed copy saves less than its own headers cost. */
const MIN_BYTES = 1024;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Writes `<file>.br` and `<file>.gz` beside every compressible file of the build, at the highest levels
 * (done once at build time, so the server only picks a file: @fastify/static's `preCompressed`). A copy
 * that would not be smaller is not written, and the server then sends the original.
 */
export function precompress(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'petal:precompress',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    async closeBundle() {
      const outDir = config.build.outDir;
      for (const file of await filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const raw = await readFile(file);
        if (raw.length < MIN_BYTES) continue;
        const [br, gzipped] = await Promise.all([
          brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
          gz(raw, { level: 9 }),
        ]);
        if (br.length < raw.length) await writeFile(`${file}.br`, br);
        if (gzipped.length < raw.length) await writeFile(`${file}.gz`, gzipped);
      }
    },
  };
}

/**
 * Emits `sw.js`: the service worker that keeps the app shell (the page, its hashed script and styles, the
 * icons, manifest and sample pictures) so Petal opens offline. The shell list and the cache name come
 * from this build, so a deploy replaces the old cache instead of serving stale files.
 */
export function serviceWorker(template: string): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'petal:service-worker',
    apply: 'build',
    // After inlineCss (listed before it in vite.config.ts): the shell is the bundle as it will be written.
    enforce: 'post',
    configResolved(resolved) {
      config = resolved;
    },
    async generateBundle(_options, bundle) {
      const emitted = Object.keys(bundle).filter((name) => !name.endsWith('.map'));
      const publicDir = config.publicDir;
      const copied = publicDir
        ? (await filesUnder(publicDir)).map((f) => relative(publicDir, f).split(sep).join('/')).filter((f) => !/(^|\/)\.|\.md$|^404\./.test(f))
        : [];
      const shell = ['/', ...[...emitted, ...copied].filter((f) => f !== 'index.html' && f !== 'sw.js').map((f) => `/${f}`)].sort();
      const version = createHash('sha256');
      for (const name of emitted) {
        const item = bundle[name]!;
        version.update(name).update(item.type === 'chunk' ? item.code : typeof item.source === 'string' ? item.source : Buffer.from(item.source));
      }
      for (const f of copied) version.update(f).update(String((await stat(join(publicDir, f))).size));
      const source = (await readFile(template, 'utf8'))
        .replace(/^\/\* global .*\*\/\n/, '') // the linter's note on the template, not needed in the output
        .replace('= __PETAL_CACHE__;', `= ${JSON.stringify(`petal-shell-${version.digest('hex').slice(0, 16)}`)};`)
        .replace('= __PETAL_SHELL__;', `= ${JSON.stringify(shell)};`);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/**
 * Puts the stylesheet into index.html as a <style> element: the page's first paint then waits for one
 * response instead of two (on a slow phone network each costs over half a second). The BFF allows exactly
 * this style by its hash in the page's CSP (static-ui.ts), so no other inline style is let in.
 */
export function inlineCss(): Plugin {
  return {
    name: 'petal:inline-css',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset' || typeof html.source !== 'string') return;
      html.source = html.source.replace(/<link rel="stylesheet"(?: crossorigin)? href="\/([^"]+\.css)">/g, (tag, file: string) => {
        const css = bundle[file];
        if (!css || css.type !== 'asset') return tag;
        const text = typeof css.source === 'string' ? css.source : Buffer.from(css.source).toString('utf8');
        delete bundle[file]; // nothing else refers to it now
        return `<style>${text}</style>`;
      });
    },
  };
}
