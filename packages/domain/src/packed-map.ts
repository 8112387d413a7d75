/**
 * `array.map(f)` with a result of one hidden class, whichever tier runs it. The result of
 * `Array.prototype.map` is a packed array while the calling function is interpreted and a holey one
 * once TurboFan has inlined the call, so every optimised function that read such an array (its
 * `length`, an item) was thrown away the first time the other kind came by ("wrong map"), then ran
 * slow code until it was compiled again: on the write path the handler's decision, the in-memory
 * store's append and the seal were each compiled two or three times in a 2,000-licence run (about
 * 100 ms more of TurboFan's thread, with slow code running meanwhile). Built by `push` onto an
 * empty literal, the array is packed in every tier.
 *
 * @example
 * packedMap([1, 2], (n) => n * 2) // [2, 4]
 */
export const packedMap = <A, B>(items: ReadonlyArray<A>, f: (item: A, index: number) => B): B[] => {
  const out: B[] = []
  for (let index = 0; index < items.length; index++) out.push(f(items[index] as A, index))
  return out
}
