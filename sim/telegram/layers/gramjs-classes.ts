/** The border between TL names and GramJS's classes, which the simulated Telegram's handlers are written against:
 *  `payments.starsStatus` ↔ `Api.payments.StarsStatus`, `first_name` ↔ `firstName`. A request decoded in any layer
 *  becomes the GramJS object of the same name, so one handler serves every layer. */
import { tlobjects } from 'telegram/tl/AllTLObjects.js';
import { variableSnakeToCamelCase } from 'telegram/tl/generationHelpers.js';

/** A GramJS TL class: constructed from its fields by name. */
export type GramClass = new (args: Record<string, unknown>) => object;

let byClassName: Map<string, GramClass> | undefined;

/** GramJS's class for a TL name, or undefined when GramJS's layer has none of that name. */
export function gramClassOf(tlName: string): GramClass | undefined {
  if (!byClassName) {
    byClassName = new Map();
    for (const cls of Object.values(tlobjects) as unknown as readonly (GramClass & { className?: unknown })[]) {
      if (typeof cls.className === 'string') byClassName.set(cls.className, cls);
    }
  }
  return byClassName.get(classNameOf(tlName));
}

/** GramJS's className for a TL name: the part after the namespace with its first letter raised. */
export function classNameOf(tlName: string): string {
  const dot = tlName.lastIndexOf('.');
  return tlName.slice(0, dot + 1) + tlName.charAt(dot + 1).toUpperCase() + tlName.slice(dot + 2);
}

/** The TL name of a GramJS className: the inverse of classNameOf. */
export function tlNameOf(className: string): string {
  const dot = className.lastIndexOf('.');
  return className.slice(0, dot + 1) + className.charAt(dot + 1).toLowerCase() + className.slice(dot + 2);
}

/** GramJS's property name for a TL argument name. */
export function fieldNameOf(tlArg: string): string {
  return variableSnakeToCamelCase(tlArg);
}
