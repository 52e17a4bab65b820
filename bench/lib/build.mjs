/** The server build a bench runs: built on demand, checked for staleness, identified by commit. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const builtBin = path.join(root, 'packages/cli/dist/bin.js');
const PACKAGES = ['protocol', 'server', 'cli'];

/** Newest modification time of the files under `dir` that `keep` accepts. */
function newestMtime(dir, keep = () => true) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && keep(entry.name)) newest = Math.max(newest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}
const compiled = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts');

/** Runs `npm run build` when dist is missing; warns when a package's src is newer than its dist. */
export function ensureBuilt() {
  const missing = PACKAGES.some((p) => !existsSync(path.join(root, 'packages', p, 'dist')));
  if (missing || !existsSync(builtBin)) {
    console.error('bench: dist missing, running npm run build');
    const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2], timeout: 300_000 });
    if (result.status !== 0) throw new Error(`npm run build failed (status ${result.status})`);
    return;
  }
  for (const p of PACKAGES) {
    const dir = path.join(root, 'packages', p);
    if (newestMtime(path.join(dir, 'src'), compiled) > newestMtime(path.join(dir, 'dist'))) {
      console.error(`bench: warning: packages/${p}/src is newer than its dist; run npm run build to measure the current code`);
    }
  }
}

/** `git describe --always --dirty` of the checkout holding `file`, or null. */
export function revision(file = builtBin) {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: path.dirname(file), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
