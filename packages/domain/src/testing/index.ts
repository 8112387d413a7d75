// @elicence/domain/testing: what embedders reuse in their own tests — fast-check arbitraries, the
// given/when/then specification, and the EventStore conformance suite. Needs vitest and fast-check.
export {}
