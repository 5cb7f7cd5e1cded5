import {noop} from './util.js';

// Replaces obj[name], a method, with make(original); with `setter`, the setter of the accessor obj[name] instead (the
// getter stays). Returns the undo, which puts the original back unless page code has replaced ours since.
export function patch(obj, name, make, setter) {
  var d = setter && Object.getOwnPropertyDescriptor(obj, name), orig = setter ? d && d.configurable && d.set : obj[name], ours;
  function get() { return setter ? Object.getOwnPropertyDescriptor(obj, name).set : obj[name] }
  function put(f) { if (setter) Object.defineProperty(obj, name, {configurable: true, enumerable: d.enumerable, get: d.get, set: f}); else obj[name] = f }
  if (typeof orig !== 'function') return noop;
  put(ours = make(orig));
  return function () { if (get() === ours) put(orig) };
}
