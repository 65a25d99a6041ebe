/**
 * Reading Linux `perf script` output of the bench's workerd and sorting each
 * sample into one part of the thread's work (load/perf-breakdown.ts).
 */

/** Work a sample belongs to wherever it sits in the stack: creating an object, collecting garbage. */
const ENCLOSING_PARTS: [string, RegExp][] = [
  ["Durable Object created or closed (its SQLite file)", /worker_new_actor|Actor::Impl::Impl|SqliteDatabase::init|sqlite3BtreeClose|Actor::~Actor/],
  ["garbage collection", /Scavenger|MarkCompact|CollectGarbage|cppgc::internal::(Marker|Sweeper)|PerformGarbageCollection/],
];

/** Runtime parts, matched against native frame names from the leaf up (first match wins). */
const RUNTIME_PARTS: [string, RegExp][] = [
  ["Durable Object SQLite", /sqlite3|SqliteDatabase|SqlStorage|ActorSqlite|SqliteKv|SqliteMetadata/],
  ["JSON (V8)", /Json(Parse|Stringif)|JsonParser|JsonStringifier/],
  ["RPC arguments (V8 serializer)", /ValueSerializer|ValueDeserializer|jsg::Serializer|jsg::Deserializer/],
  ["compiling JavaScript", /Compiler::|Parser::|BytecodeGenerator|maglev::|compiler::/],
  ["AsyncLocalStorage", /AsyncContextFrame|AsyncLocalStorage/],
  ["HTTP (workerd)", /kj::HttpClient|Http[A-Z][a-zA-Z]*::|HttpHeaders|HttpService/],
  ["RPC plumbing (capnp)", /capnp::|JsRpc|rpc::/],
  ["event loop and promises (kj)", /kj::_::|kj::EventLoop|kj::TaskSet|kj::Promise/],
  ["memory allocator", /tcmalloc|TCMalloc|\bmalloc\b|\bfree\b/],
  ["kernel (syscalls)", /\[kernel|\[k\]/],
];

/** `perf script` output as one array of frame names per sample, leaf first. */
export function samplesOf(script: string): string[][] {
  const samples: string[][] = [];
  let current: string[] = [];
  for (const line of script.split("\n")) {
    if (line.trim() === "") {
      if (current.length > 0) samples.push(current);
      current = [];
    } else if (/^\s/.test(line)) {
      // "\t    7f12ab34 symbol+0x1f (dso)"
      const frame = line.trim().replace(/^[0-9a-f]+ /, "");
      current.push(frame.replace(/\+0x[0-9a-f]+/, ""));
    }
  }
  if (current.length > 0) samples.push(current);
  return samples;
}

/** The one part of workerd's work a sample (frames leaf first) is counted in. */
export function categoryOf(stack: string[]): string {
  const enclosing = ENCLOSING_PARTS.find(([, pattern]) => stack.some((frame) => pattern.test(frame)));
  if (enclosing) return enclosing[0];
  for (const frame of stack.slice(0, 25)) {
    if (frame.startsWith("JS:") || frame.startsWith("Builtins_")) return "JavaScript (edgeshop, libraries, V8 builtins)";
    if (frame.startsWith("[unknown]")) return "JavaScript (unsymbolised: start serve:bench with --perf-map)";
    const part = RUNTIME_PARTS.find(([, pattern]) => pattern.test(frame));
    if (part) return part[0];
  }
  return "other native code";
}

