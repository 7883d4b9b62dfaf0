declare module 'sodium-universal' {
  /** libsodium, as Hypercore uses it (only the functions peerbee calls). Outputs are written into `out`. */
  const sodium: {
    crypto_stream_KEYBYTES: number
    crypto_stream_NONCEBYTES: number
    crypto_generichash_BYTES: number
    crypto_box_PUBLICKEYBYTES: number
    crypto_box_SECRETKEYBYTES: number
    crypto_box_SEALBYTES: number
    crypto_secretbox_KEYBYTES: number
    crypto_secretbox_NONCEBYTES: number
    crypto_secretbox_MACBYTES: number

    /** XSalsa20: `out` = `message` XOR the key stream of (nonce, key); `out` may be `message`. */
    crypto_stream_xor(out: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
    /** BLAKE2b of `input` (16 to 64 bytes out, the size of `out`), keyed when `key` is given. */
    crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    crypto_generichash_batch(out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array): void
    randombytes_buf(out: Uint8Array): void
    /** An anonymous box to `publicKey` (X25519): only its secret key opens it. */
    crypto_box_seal(out: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void
    crypto_box_seal_open(out: Uint8Array, box: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): boolean
    crypto_sign_ed25519_pk_to_curve25519(out: Uint8Array, ed25519PublicKey: Uint8Array): void
    crypto_sign_ed25519_sk_to_curve25519(out: Uint8Array, ed25519SecretKey: Uint8Array): void
    crypto_secretbox_easy(out: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
    crypto_secretbox_open_easy(out: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean
  }
  export = sodium
}
