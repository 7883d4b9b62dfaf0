import b4a from 'b4a'

/** Bounds over raw index keys; `dataRange` builds them with one lower and one upper bound. */
export interface Bounds {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
}

/** Bounds with a direction, as a range read takes them. */
export interface ScanBounds extends Bounds {
  reverse: boolean
}

export function passesLower(key: Uint8Array, bounds: Bounds): boolean {
  if (bounds.gt && b4a.compare(key, bounds.gt) <= 0) return false
  if (bounds.gte && b4a.compare(key, bounds.gte) < 0) return false
  return true
}

export function passesUpper(key: Uint8Array, bounds: Bounds): boolean {
  if (bounds.lt && b4a.compare(key, bounds.lt) >= 0) return false
  if (bounds.lte && b4a.compare(key, bounds.lte) > 0) return false
  return true
}

export function inBounds(key: Uint8Array, bounds: Bounds): boolean {
  return passesLower(key, bounds) && passesUpper(key, bounds)
}
