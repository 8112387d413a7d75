/** Streams are named `licence-<licenceNumber>`, one per driving licence (DESIGN §2). */
export const streamPrefix = 'licence-'

export const streamIdFor = (licenceNumber: string): string => `${streamPrefix}${licenceNumber}`

export const licenceNumberOfStream = (streamId: string): string | undefined =>
  streamId.startsWith(streamPrefix) ? streamId.slice(streamPrefix.length) : undefined
