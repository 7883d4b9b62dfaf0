/** Why a dial ended without a connection, as diagnostics group it. */
export type DialFailure = 'timeout' | 'holepunch' | 'not-found' | 'other'

/**
 * Groups HyperDHT's and dht-rpc's error codes: a peer whose announce outlived it
 * (`PEER_NOT_FOUND`), NATs that could not be punched through (`HOLEPUNCH_*`,
 * `CANNOT_HOLEPUNCH`, `REMOTE_NOT_HOLEPUNCHABLE`), and requests that got no answer.
 */
export function dialFailure(err: { code?: string }): DialFailure {
  const code = err.code ?? ''
  if (code === 'PEER_NOT_FOUND') return 'not-found'
  if (code.includes('HOLEPUNCH')) return 'holepunch'
  if (code.includes('TIMEOUT') || code === 'PEER_CONNECTION_FAILED') return 'timeout'
  return 'other'
}
