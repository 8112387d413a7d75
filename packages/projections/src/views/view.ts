/**
 * A view in the fmodel sense: an initial state and a pure `evolve`. Read models, as-of replays and
 * the auditor all fold the same views, so a rebuilt read model can only equal the maintained one.
 *
 * @example
 * const view = foldView(eLicenceView, events) // ELicenceView | null
 */
export interface View<S, E> {
  readonly initialState: S
  readonly evolve: (state: S, event: E) => S
}

/** Folds events through a view from its initial state (or from `from`). */
export const foldView = <S, E>(view: View<S, E>, events: Iterable<E>, from: S = view.initialState): S => {
  let state = from
  for (const event of events) state = view.evolve(state, event)
  return state
}
