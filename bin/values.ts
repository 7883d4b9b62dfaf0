import { compareNumber, parse } from 'lossless-json'

/** Text starting like a JSON object, array or string is meant as JSON, so it must parse. */
const JSON_START = /^\s*[[{"]/
/** Numbers JSON cannot hold. */
const NON_FINITE = /^\s*[-+]?(?:Infinity|NaN)\s*$/

/** What a text stands for, or why it cannot be stored as the user meant it. */
export type Reading = { value: unknown } | { refused: string; syntax: boolean }

/** A number that a double would not hold exactly. */
class InexactNumber extends Error {}

/**
 * JSON text as exact values: a number is refused unless the double it becomes reads back as
 * the same number (`9007199254740993` would lose its last digit, `1e400` is not finite).
 */
export function readJson(text: string): Reading {
  try {
    return { value: parse(text, null, exactNumber) }
  } catch (err) {
    if (err instanceof InexactNumber) return { refused: err.message, syntax: false }
    return { refused: `not valid JSON (${(err as Error).message})`, syntax: true }
  }
}

function exactNumber(token: string): number {
  const n = Number(token)
  if (!Number.isFinite(n)) throw new InexactNumber(`${token} is too large for a number`)
  if (compareNumber(token, String(n)) !== 0)
    throw new InexactNumber(`${token} cannot be stored exactly as a number (it would read back as ${n})`)
  return n
}

/**
 * What a value typed by the user means: JSON if it parses as JSON, else the text itself as a
 * string. Text that looks like JSON but is not valid, and numbers that would not be stored
 * exactly, are refused: storing them as strings would surprise.
 */
export function readValue(text: string): Reading {
  const json = readJson(text)
  if ('value' in json || !json.syntax || JSON_START.test(text)) return json
  if (NON_FINITE.test(text)) return { refused: `${text.trim()} is not a finite number`, syntax: false }
  return { value: text }
}

/**
 * A value as plain output shows it, the inverse of {@link readValue}: a string that reads back
 * as itself prints as is, anything else as JSON. So `put k "$(get k)"` keeps the value.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    const reading = readValue(value)
    if ('value' in reading && reading.value === value) return value
  }
  return JSON.stringify(value)
}
