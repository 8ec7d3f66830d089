/// Parallel.swift: `parallel.map` and `parallel.all`, concurrency inside one script.
///
/// Each item runs in a coroutine of its own, which the scheduler resumes like the script's
/// body; a child waiting on I/O lets the others run. Results keep the items' order; the
/// first failure cancels the children still running and is raised naming its item. Each
/// child draws `math.random` from a stream of its own, derived from its parent's and its
/// item, so what it draws does not depend on the order the vendors answered in: a resumed
/// run, or the apply of a plan, draws what the first attempt drew.
import CLua
import CRosterLua

/// A fan-out started by one coroutine (its parent), which waits until the group is done.
final class ParallelGroup {
    enum Kind {
        /// `fn(item, index)` for each item of a list.
        case map
        /// Each function of a list, called with no arguments.
        case all
    }

    /// What the binding asks for; the scheduler makes the group when the parent has yielded.
    struct Request {
        let kind: Kind
        let name: String
        let listReference: Int32
        let functionReference: Int32
        let count: Int
        let concurrency: Int
    }

    let kind: Kind
    let name: String
    let count: Int
    let concurrency: Int
    private var listReference: Int32
    private var functionReference: Int32
    private(set) var resultsReference: Int32
    /// Weak: the parent owns the group it waits on.
    weak var parent: Coroutine?
    /// Where its children's `math.random` streams come from; nil when the state's generator
    /// cannot be reached (the children then share their parent's).
    var randomBase: RandomStream?
    var children: [Int: Coroutine] = [:]
    var nextItem = 1
    var running = 0

    init(_ request: Request, parent: Coroutine, results: Int32) {
        kind = request.kind
        name = request.name
        count = request.count
        concurrency = request.concurrency
        listReference = request.listReference
        functionReference = request.functionReference
        resultsReference = results
        self.parent = parent
    }

    /// Pushes the function and arguments for `item` onto a child thread; returns the
    /// argument count.
    func pushCall(item: Int, onto thread: OpaquePointer) -> Int32 {
        lua_checkstack(thread, 4)
        switch kind {
        case .map:
            lua_rawgeti(thread, LuaState.registryIndex, lua_Integer(functionReference))
            lua_rawgeti(thread, LuaState.registryIndex, lua_Integer(listReference))
            lua_rawgeti(thread, -1, lua_Integer(item)) // [fn, list, item]
            lua_rotate(thread, -2, 1)
            roster_pop(thread, 1)                      // [fn, item]
            lua_pushinteger(thread, lua_Integer(item)) // [fn, item, index]
            return 2
        case .all:
            lua_rawgeti(thread, LuaState.registryIndex, lua_Integer(listReference))
            lua_rawgeti(thread, -1, lua_Integer(item)) // [list, fn]
            lua_rotate(thread, -2, 1)
            roster_pop(thread, 1)                      // [fn]
            return 0
        }
    }

    /// Drops the registry references (idempotent).
    func release(_ L: OpaquePointer) {
        for reference in [listReference, functionReference, resultsReference] where reference > 0 {
            luaL_unref(L, LuaState.registryIndex, reference)
        }
        listReference = 0
        functionReference = 0
        resultsReference = 0
    }
}

/// A `math.random` generator's state (lmathlib's four xoshiro256** words), as the scheduler
/// keeps it for a coroutine that is not running.
struct RandomStream {
    var words: (UInt64, UInt64, UInt64, UInt64)

    /// The state's stream now; nil when its math library keeps it in another form.
    static func read(_ state: OpaquePointer) -> RandomStream? {
        var stream = RandomStream(words: (0, 0, 0, 0))
        let found = withUnsafeMutableBytes(of: &stream.words) {
            roster_random_get(state, $0.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
        return found != 0 ? stream : nil
    }

    func write(_ state: OpaquePointer) {
        var words = self.words
        _ = withUnsafeBytes(of: &words) {
            roster_random_set(state, $0.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
    }

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The base of the `serial`-th group a coroutine whose stream is `parent` starts.
    init(forGroup serial: Int, of parent: RandomStream) {
        self.init(mixing: UInt64(truncatingIfNeeded: serial), into: parent)
    }

    /// The stream of item `item` of a group with base `base`.
    init(forItem item: Int, of base: RandomStream) {
        self.init(mixing: UInt64(truncatingIfNeeded: item), into: base)
    }

    /// Four splitmix64 outputs from a seed that depends on every word of `stream` and on
    /// `value` (never all zero, which xoshiro cannot leave).
    private init(mixing value: UInt64, into stream: RandomStream) {
        let (a, b, c, d) = stream.words
        var seed = a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F)
            ^ (d &* 0x1656_67B1_9E37_79F9) ^ (value &* 0xD6E8_FEB8_6659_FD93)
        func next() -> UInt64 {
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        words = (next(), next(), next(), next() | 1)
    }
}

enum Parallel {
    /// Children running at once when the options give no `concurrency`.
    static let defaultConcurrency = 8

    static let module = LuaModule("parallel", "Run work concurrently inside one script.", functions: [
        LuaFunction(
            "map", "Calls fn(item, index) for each item of list, several at once; returns the results in the list's order.",
            effect: .ofItsFunctions,
            parameters: [
                LuaParameter("list", .table, doc: "a sequence of items"),
                LuaParameter("fn", .function, doc: "called as fn(item, index); its first result is kept"),
                LuaParameter("options", .table, optional: true, doc: "{concurrency = n}: at most n calls at once (default 8)"),
            ],
            result: LuaResult("table", doc: "the results, in the order of the items"),
            body: .host { call in try start(call, kind: .map) }
        ),
        LuaFunction(
            "all", "Calls each function of fns, several at once; returns their results in order.",
            effect: .ofItsFunctions,
            parameters: [
                LuaParameter("fns", .table, doc: "a sequence of functions taking no arguments"),
                LuaParameter("options", .table, optional: true, doc: "{concurrency = n}: at most n calls at once (default 8)"),
            ],
            result: LuaResult("table", doc: "each function's first result, in order"),
            body: .host { call in try start(call, kind: .all) }
        ),
    ])

    private static func start(_ call: LuaCall, kind: ParallelGroup.Kind) throws -> HostOutcome {
        let L = call.L
        let optionsIndex: Int32 = kind == .map ? 3 : 2
        let concurrency: Int
        switch try call.option(optionsIndex, "concurrency") {
        case .nil: concurrency = defaultConcurrency
        case let value:
            guard let count = value.integerValue, count >= 1 else {
                // The number itself when it is one (0, -2, 2.5): its type alone says nothing.
                let given: String
                switch value {
                case .integer(let number): given = String(number)
                case .number(let number): given = "\(number)"
                default: given = value.typeName
                }
                throw LuaError("options.concurrency must be a positive integer, got \(given)")
            }
            concurrency = Int(clamping: count)
        }
        let count = Int(lua_rawlen(L, 1))
        if kind == .all {
            for item in 0..<count {
                lua_rawgeti(L, 1, lua_Integer(item + 1))
                defer { roster_pop(L, 1) }
                guard lua_type(L, -1) == LUA_TFUNCTION else {
                    let type = LuaState.typeName(L, at: -1)
                    throw LuaError("item #\(item + 1) is \("aeiou".contains(type.prefix(1)) ? "an" : "a") \(type), not a function")
                }
            }
        }
        guard lua_isyieldable(L) != 0, let run = call.run else {
            throw LuaError("cannot run in parallel here (inside a metamethod, a sort comparator or a gsub callback)")
        }
        lua_pushvalue(L, 1)
        let list = luaL_ref(L, LuaState.registryIndex)
        var function: Int32 = 0
        if kind == .map {
            lua_pushvalue(L, 2)
            function = luaL_ref(L, LuaState.registryIndex)
        }
        run.suspend(.group(.init(
            kind: kind, name: call.name, listReference: list, functionReference: function,
            count: count, concurrency: concurrency)))
        return .suspend
    }
}
