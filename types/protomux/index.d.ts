declare module 'protomux' {
  namespace Protomux {
    interface State {
      start: number
      end: number
      buffer: Uint8Array
    }

    /** A compact-encoding codec. */
    interface Encoding<T> {
      preencode(state: State, value: T): void
      encode(state: State, value: T): void
      decode(state: State): T
    }

    interface Message<T> {
      send(value: T): boolean
    }

    interface MessageOptions<T> {
      encoding: Encoding<T>
      onmessage: (value: T, channel: Channel) => void
    }

    interface ChannelOptions {
      protocol: string
      id?: Uint8Array | null
      unique?: boolean
      messages?: Array<MessageOptions<Uint8Array>>
      onopen?: () => void
      onclose?: (isRemote: boolean) => void
    }

    interface Channel {
      readonly protocol: string
      readonly id: Uint8Array | null
      /** True once both ends opened the channel. */
      readonly opened: boolean
      readonly closed: boolean
      readonly messages: Array<Message<Uint8Array>>
      open(handshake?: unknown): void
      close(): void
      fullyOpened(): Promise<boolean>
    }
  }

  /** Many channels over one stream (only what peerbee uses). */
  class Protomux implements Iterable<Protomux.Channel> {
    static from(stream: unknown): Protomux
    static isProtomux(value: unknown): value is Protomux
    readonly isProtomux: true;
    /** Channels opened locally and not yet closed. */
    [Symbol.iterator](): Iterator<Protomux.Channel>
    createChannel(opts: Protomux.ChannelOptions): Protomux.Channel | null
    /** Called when the remote opens a channel this side has not created yet. */
    pair(opts: { protocol: string; id?: Uint8Array | null }, notify: (id: Uint8Array | null) => void): void
    unpair(opts: { protocol: string; id?: Uint8Array | null }): void
    opened(opts: { protocol: string; id?: Uint8Array | null }): boolean
  }

  export = Protomux
}
