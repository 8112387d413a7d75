/**
 * A bound on how deeply untrusted JSON may nest, checked before anything recursive touches it.
 * `JSON.parse` itself copes with any depth, but what runs after it — io-ts' error reporting,
 * `JSON.stringify`, canonical JSON for hashes — recurses once per level, and a 64 KiB body of
 * `[[[[…` is 32,000 levels: enough to overflow the stack, which a transport would report as a 5xx
 * and a CLI as a crash. Every command, event and view of DESIGN §2–5 nests fewer than ten levels,
 * so the limit refuses nothing real. The check recurses at most `limit` levels before it stops, so it
 * cannot overflow either; only a value that fails is walked again, with paths, for the message.
 *
 * @example
 * jsonDepthProblem({ data: [[[]]] })          // undefined
 * jsonDepthProblem(deeplyNested)              // 'nested deeper than 64 levels (at data.0.0.0…)'
 */

/** Levels of objects and arrays a command, stored event or history line may nest. */
export const maxJsonDepth = 64

/** Segments of the path shown in the message; the rest is elided. */
const shownSegments = 6

/** Undefined when `value` nests at most `limit` levels; otherwise a message naming the limit and where. */
export const jsonDepthProblem = (value: unknown, limit: number = maxJsonDepth): string | undefined =>
  nestsDeeper(value, limit) ? whereTooDeep(value, limit) : undefined

/** Whether `value` holds objects or arrays more than `levels` deep: every command is checked, so no paths. */
const nestsDeeper = (value: unknown, levels: number): boolean => {
  if (typeof value !== 'object' || value === null) return false
  if (levels === 0) return true
  // Arrays by index and records by `Object.keys` (own enumerable members, as `Object.entries`
  // below): measured twice as fast once warm as `for…in` with an `Object.hasOwn` test per key.
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (nestsDeeper(value[index], levels - 1)) return true
    }
    return false
  }
  const record = value as Readonly<Record<string, unknown>>
  const keys = Object.keys(record)
  for (let index = 0; index < keys.length; index++) {
    if (nestsDeeper(record[keys[index] as string], levels - 1)) return true
  }
  return false
}

const whereTooDeep = (value: unknown, limit: number): string | undefined => {
  const pending: Array<{
    readonly value: unknown
    readonly depth: number
    readonly path: ReadonlyArray<string>
  }> = [{ value, depth: 0, path: [] }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue
    const depth = next.depth + 1
    if (depth > limit) {
      const shown = next.path.slice(0, shownSegments).join('.')
      const where = next.path.length > shownSegments ? `${shown}…` : shown === '' ? '(root)' : shown
      return `nested deeper than ${limit} levels of objects and arrays (the limit), at ${where}`
    }
    // Only the first few path segments are ever shown, so deeper paths are not built.
    for (const [key, member] of Object.entries(next.value)) {
      pending.push({
        value: member,
        depth,
        path: next.path.length < shownSegments + 1 ? [...next.path, key] : next.path,
      })
    }
  }
  return undefined
}
