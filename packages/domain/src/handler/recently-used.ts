/**
 * A map that keeps at most `capacity` entries, the least recently used leaving first: the bound of
 * every in-process cache that must not grow with the number of streams or holders it has seen (the
 * handler's stream states, a verifier's device keys). Capacity below 1 keeps nothing.
 *
 * @example
 * const kept = recentlyUsed<string, number>(2)
 * kept.set('a', 1); kept.set('b', 2); kept.get('a'); kept.set('c', 3) // 'b' leaves
 */
export interface RecentlyUsed<K, V> {
  /** The entry, now the most recently used. */
  readonly get: (key: K) => V | undefined
  /** The entry, its place left as it is. */
  readonly peek: (key: K) => V | undefined
  /** Keeps the entry as the most recently used; past capacity the least recently used leaves. */
  readonly set: (key: K, value: V) => void
  readonly delete: (key: K) => void
  readonly size: () => number
}

export const recentlyUsed = <K, V>(capacity: number): RecentlyUsed<K, V> => {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<K, V>()
  return {
    get: (key) => {
      const value = entries.get(key)
      if (value !== undefined) {
        entries.delete(key)
        entries.set(key, value)
      }
      return value
    },
    peek: (key) => entries.get(key),
    set: (key, value) => {
      if (capacity < 1) return
      entries.delete(key)
      entries.set(key, value)
      if (entries.size > capacity) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
    },
    delete: (key) => {
      entries.delete(key)
    },
    size: () => entries.size,
  }
}
