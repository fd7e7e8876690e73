// @ts-check
/** A Stryker ignorer: statements that only tell (log lines, latency metrics, trace marks) are not mutated. Their text
 *  and figures move no money, and a mutant in them survives every money test by design, which would hide the
 *  mutants that matter in the score. What logs must never carry (secrets) is tested by the redaction tests, not here. */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** Objects whose method calls and fields only tell: the logger and the latency metrics. */
const TELLING_OBJECTS = new Set(['log', 'logger', 'metrics']);
/** Functions that only mark the trace of an order request (core/telemetry). */
const TELLING_FUNCTIONS = new Set(['markOrderRequest', 'forgetOrderRequest']);

/** The names along a member chain (`input.metrics.record` → input, metrics, record). */
function chainNames(node) {
  const names = [];
  let current = node;
  while (current) {
    if (current.type === 'Identifier') { names.push(current.name); break; }
    if (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') {
      if (current.property.type === 'Identifier') names.push(current.property.name);
      current = current.object;
    } else if (current.type === 'CallExpression' || current.type === 'OptionalCallExpression') {
      current = current.callee;
    } else break;
  }
  return names;
}

/** True when an expression calls or assigns into something that only tells. */
function tells(expression) {
  if (!expression) return false;
  if (expression.type === 'CallExpression' || expression.type === 'OptionalCallExpression') {
    const names = chainNames(expression.callee);
    return names.some((name) => TELLING_OBJECTS.has(name)) || (names.length === 1 && TELLING_FUNCTIONS.has(names[0]));
  }
  if (expression.type === 'AssignmentExpression') {
    return chainNames(expression.left).some((name) => TELLING_OBJECTS.has(name)) || tells(expression.right);
  }
  return false;
}

/** True when a statement does nothing but tell: a telling call, a block or an `if` of nothing else. */
function onlyTells(statement) {
  if (!statement) return false;
  if (statement.type === 'ExpressionStatement') return tells(statement.expression);
  if (statement.type === 'BlockStatement') return statement.body.length > 0 && statement.body.every(onlyTells);
  if (statement.type === 'IfStatement') return onlyTells(statement.consequent) && (statement.alternate === null || onlyTells(statement.alternate));
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'telemetry', {
    /** @param {import('@babel/core').NodePath} path */
    shouldIgnore(path) {
      const node = path.node;
      const telling = path.isStatement()
        ? onlyTells(node)
        // `logFailure: ({ event }) => log.warn(...)`, `.catch((e) => log.error(...))`
        : (path.isArrowFunctionExpression() || path.isFunctionExpression())
          && (node.body.type === 'BlockStatement' ? onlyTells(node.body) : tells(node.body));
      return telling ? 'Log lines, latency metrics and trace marks move no money (scripts/stryker-telemetry-ignorer.mjs).' : undefined;
    },
  }),
];
