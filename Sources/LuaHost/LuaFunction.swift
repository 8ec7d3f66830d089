/// LuaFunction.swift: the one declaration from which a Lua function is registered, its
/// arguments checked, and its documentation derived.

/// What calling a Lua function does to a vendor; a dry run skips `write` and
/// `destructive` calls, and the journal records them. `roster docs` shows it.
public enum LuaEffect: String, Sendable, CaseIterable {
    /// Reads a vendor's data and changes nothing.
    case read
    /// Changes a vendor's data.
    case write
    /// Removes or revokes at a vendor: `--yes` (or a confirmation) before it is sent.
    case destructive
    /// Reaches no vendor: works on its arguments alone (`csv.parse`, a metamethod).
    case none
    /// Reaches no vendor itself, and does what the functions it is given do (`parallel.map`).
    case ofItsFunctions = "as its functions"

    /// Whether a call can change a vendor's data: a dry run plans it instead of sending it.
    public var changes: Bool { self == .write || self == .destructive }

    /// The effect as `roster docs` explains it.
    public var explained: String {
        switch self {
        case .read: "read (changes nothing)"
        case .write, .destructive: "\(rawValue) (planned, not sent, under --dry-run)"
        case .none: "none (reaches no vendor)"
        case .ofItsFunctions: "that of the functions it is given (it reaches no vendor itself)"
        }
    }
}

/// A type an argument may have.
public enum LuaType: String, Sendable, CaseIterable {
    /// An integer, or a float with an integral value (`3.0`).
    case integer
    /// Any number.
    case number
    case string
    case boolean
    case table
    case function
    /// Anything, nil included.
    case any
}

/// One declared parameter.
public struct LuaParameter: Sendable {
    public var name: String
    /// The accepted types: `[.integer, .string]` reads "integer or string".
    public var types: [LuaType]
    public var doc: String
    /// Whether nil (or no value) is accepted.
    public var optional: Bool
    /// Whether this last parameter takes every remaining argument.
    public var variadic: Bool
    /// The declared form of the value (an option table's fields), when declared; the
    /// caller checks it with `LuaForm.check` where it reads the value.
    public var form: LuaForm?
    /// Never recorded as given (a password).
    public var redacted: Bool
    /// Sent as one segment of a URL's path (a user's name in the application): text there
    /// cannot be empty, "." or "..", which a URL reads as no name or as a step along its path
    /// (`users/` is the list of users). Checked by whoever sends it.
    public var urlPathSegment = false

    public init(_ name: String, _ types: LuaType..., optional: Bool = false, variadic: Bool = false, doc: String) {
        self.name = name
        self.types = types
        self.doc = doc
        self.optional = optional || variadic
        self.variadic = variadic
        self.form = nil
        self.redacted = false
    }

    /// A parameter whose value has a declared form: a shaped table, a list, a choice.
    public init(_ name: String, form: LuaForm, optional: Bool = false, redacted: Bool = false, doc: String) {
        self.name = name
        self.types = form.luaTypes
        self.doc = doc
        self.optional = optional
        self.variadic = false
        self.form = form
        self.redacted = redacted
    }

    /// This parameter, sent as one segment of a URL's path (`urlPathSegment`).
    public func inURLPath() -> LuaParameter {
        var parameter = self
        parameter.urlPathSegment = true
        return parameter
    }

    /// The type as docs and stubs write it.
    public var typeText: String { form?.typeText ?? types.map(\.rawValue).joined(separator: "|") }
}

/// What a Lua function returns, for documentation.
public struct LuaResult: Sendable {
    public var type: String
    public var doc: String
    /// The declared form, when the result is declared (not free text).
    public var form: LuaForm?

    public init(_ type: String, doc: String) {
        self.type = type
        self.doc = doc
    }

    public init(_ form: LuaForm, doc: String) {
        self.type = form.typeText
        self.doc = doc
        self.form = form
    }
}

/// Async work a binding starts; its value is handed back to the script when it completes.
public typealias LuaOperation = @Sendable () async throws -> LuaAnswer

/// A Swift function exposed to Lua, declared once.
public struct LuaFunction: Sendable {
    /// How the function runs.
    public enum Body: Sendable {
        /// Runs and returns at once.
        case sync(@Sendable (LuaCall) throws -> LuaValue)
        /// Checks its arguments and returns async work; the calling coroutine yields until
        /// the work completes (no thread waits meanwhile).
        case async(@Sendable (LuaCall) throws -> LuaOperation)
        /// Host internals that push their own results (e.g. a loaded chunk) or suspend
        /// on the scheduler; returns the number of results.
        case host(@Sendable (LuaCall) throws -> HostOutcome)
    }

    public var name: String
    public var summary: String
    public var parameters: [LuaParameter]
    public var result: LuaResult?
    public var effect: LuaEffect
    public var body: Body
    /// Lines `roster docs` shows after the effect (how a vendor change is undone).
    public var notes: [String] = []

    public init(
        _ name: String, _ summary: String, effect: LuaEffect = .none,
        parameters: [LuaParameter] = [], result: LuaResult? = nil,
        _ body: @escaping @Sendable (LuaCall) throws -> LuaValue
    ) {
        self.init(name, summary, effect: effect, parameters: parameters, result: result, body: .sync(body))
    }

    public init(
        _ name: String, _ summary: String, effect: LuaEffect = .none,
        parameters: [LuaParameter] = [], result: LuaResult? = nil, body: Body
    ) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.result = result
        self.effect = effect
        self.body = body
    }

    /// Whether calling it may wait for I/O.
    public var isAsync: Bool {
        if case .async = body { return true }
        return false
    }
}

/// What a host-internal body asks of the trampoline.
public enum HostOutcome: Sendable {
    /// This many values were pushed as results.
    case results(Int32)
    /// Yield to the scheduler, which resumes the caller later.
    case suspend
}

/// A Lua module: a global table of declared functions.
public struct LuaModule: Sendable {
    public var name: String
    public var summary: String
    public var functions: [LuaFunction]
    /// Metatables the module's values use (its error objects), registered with it.
    public var metatables: [LuaMetatable]

    public init(_ name: String, _ summary: String, functions: [LuaFunction], metatables: [LuaMetatable] = []) {
        self.name = name
        self.summary = summary
        self.functions = functions
        self.metatables = metatables
    }

    /// The function declared as `name`.
    public func function(named name: String) -> LuaFunction? {
        functions.first { $0.name == name }
    }
}

/// A named metatable whose metamethods are declared functions (`__tostring`). Tables pushed
/// with `LuaTable.metatable == name` get it; scripts cannot read or change it.
public struct LuaMetatable: Sendable {
    public var name: String
    public var metamethods: [LuaFunction]

    public init(_ name: String, metamethods: [LuaFunction]) {
        self.name = name
        self.metamethods = metamethods
    }
}
