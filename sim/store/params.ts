/** Reading the store's query parameters strictly: a missing, repeated or malformed parameter is `invalid_params`. */
import { StoreRefusal } from './refusal.js';

/** The single value of `name`, or invalid_params. */
export function textParam(query: URLSearchParams, name: string): string {
  const values = query.getAll(name);
  if (values.length !== 1 || values[0] === '') {
    throw new StoreRefusal('invalid_params', `query parameter ${name} must be given once`, { param: name });
  }
  return values[0]!;
}

/** An integer parameter (sign allowed, no decimals or exponents); range checks are the caller's business. */
export function integerParam(query: URLSearchParams, name: string): number {
  const text = textParam(query, name);
  const value = /^-?\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new StoreRefusal('invalid_params', `query parameter ${name} must be an integer`, { param: name, value: text });
  }
  return value;
}

/** A positive integer id parameter (collection, character, user). */
export function idParam(query: URLSearchParams, name: string): number {
  const value = integerParam(query, name);
  if (value <= 0) throw new StoreRefusal('invalid_params', `query parameter ${name} must be positive`, { param: name, value });
  return value;
}
