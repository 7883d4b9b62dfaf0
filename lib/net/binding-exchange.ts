import Protomux from 'protomux'
import { decodeBindings, encodeBindings, type PeerBinding } from './peer-binding.js'
import { rawEncoding } from './pairing-wire.js'

/**
 * The peers protocol: one Protomux channel per connection (id: the db's discovery key), over
 * which peers pass on the bindings of members' swarm keys they know, so a peer that admits
 * only members learns who they are from any member it meets.
 *
 *   BINDINGS [binding]   on open: this peer's own and those of current members it keeps;
 *                        later: each binding it learns
 *
 * A binding names a writer key, which is a read capability of that writer's log: the channel
 * is attached only on connections where the root log's channel opened, that is to peers that
 * proved they hold the db key.
 */
const PROTOCOL = 'peerbee/peers'

export interface BindingExchangeHost {
  discoveryKey: Uint8Array
  /** What to send a peer as its channel opens. */
  known(): PeerBinding[]
  /** Bindings a peer sent; the host checks them. */
  received(bindings: PeerBinding[]): void
}

export class BindingExchange {
  private readonly host: BindingExchangeHost
  private readonly channels = new Map<Protomux, Protomux.Channel>()
  private closed = false

  constructor(host: BindingExchangeHost) {
    this.host = host
  }

  /** Opens the channel on a connection whose remote holds the db key (once; both ends do it). */
  attach(mux: Protomux): void {
    if (this.closed || this.channels.has(mux)) return
    const channel = mux.createChannel({
      protocol: PROTOCOL,
      id: this.host.discoveryKey,
      messages: [
        {
          encoding: rawEncoding,
          onmessage: (bytes) => {
            // What does not decode is dropped; what does is checked by the host.
            const list = decodeBindings(bytes)
            if (list !== null) this.host.received(list)
          }
        }
      ],
      onopen: () => send(channel, this.host.known()),
      onclose: () => this.channels.delete(mux)
    })
    if (channel === null) return
    this.channels.set(mux, channel)
    channel.open()
  }

  /** Passes bindings on to every peer whose channel is open. */
  broadcast(list: PeerBinding[]): void {
    if (list.length === 0) return
    for (const channel of this.channels.values()) if (channel.opened) send(channel, list)
  }

  close(): void {
    this.closed = true
    for (const channel of this.channels.values()) channel.close()
    this.channels.clear()
  }
}

function send(channel: Protomux.Channel | null, list: PeerBinding[]): void {
  if (channel !== null && !channel.closed && list.length > 0) channel.messages[0]?.send(encodeBindings(list))
}
