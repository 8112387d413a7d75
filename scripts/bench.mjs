// Runs every package's benchmarks (packages/**/bench/*.bench.mjs, against the built dist/) one after
// another, so they never compete for the machine's two cores. Pass a substring to run only some.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const filter = process.argv[2] ?? ''

const findBenches = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'dist') return []
    if (statSync(path).isDirectory()) return findBenches(path)
    return path.includes('/bench/') && name.endsWith('.bench.mjs') ? [path] : []
  })

const benches = findBenches(join(root, 'packages'))
  .filter((path) => path.includes(filter))
  .sort()
let failed = 0
for (const bench of benches) {
  console.log(`\n── ${relative(root, bench)}`)
  const run = spawnSync(process.execPath, ['--expose-gc', bench], { stdio: 'inherit', cwd: root })
  if (run.status !== 0) failed++
}
if (failed > 0) {
  console.error(`${failed} benchmark file(s) failed`)
  process.exit(1)
}
