/// Repl.swift: the read-eval-print loop: lines in, multi-line chunks, session commands,
/// values shown for people, errors as one line, Ctrl-C stopping the running statement.
import Bindings
import Dispatch
import Engine
import Foundation
import LuaHost
import Synchronization
import Vendors

/// One REPL session over a vendor connection.
final class Repl {
    /// The tenant statements reach (`:tenant` switches it).
    private var connection: VendorConnection
    private let session: LuaSession
    private var vendorSession: VendorSession
    /// Every password the session's calls passed: the history keeps none of them.
    private let passedSecrets = PassedSecrets()
    /// What the history hides: the passwords passed, and the tenant's credentials should
    /// one be typed.
    private var secretsTyped: SecretScrubber { SecretScrubber(passedSecrets.all + vendorSession.tenant.secretValues) }
    private let input: any ReplInput
    private var recordedCalls = 0
    /// What a destructive call meets (nil: it goes, `--yes`): a question on a terminal, a
    /// refusal for piped statements.
    private let destructiveCheck: VendorSession.DestructiveCheck?
    /// The running statement's answers to the questions destructive calls ask.
    private let confirmedForStatement: StatementConfirmation

    /// The running statement's answers: `a` given, or Ctrl-C pressed (at a question, it is a no).
    final class StatementConfirmation: Sendable {
        let all = Atomic<Bool>(false)
        let interrupted = Atomic<Bool>(false)

        func reset() {
            all.store(false, ordering: .relaxed)
            interrupted.store(false, ordering: .relaxed)
        }
    }
    /// Destructive calls refused by sessions already replaced (`:tenant`, `:dry-run`).
    private var earlierRefusals = 0

    /// Ctrl-C's handler while a terminal session runs.
    private var interrupts: InterruptHandler?
    /// Why piped input was given up before its end (a statement past a script's size).
    private(set) var refusal: String?

    /// Destructive calls refused in this REPL for want of confirmation.
    var destructiveCallsRefused: Int { earlierRefusals + vendorSession.destructiveCallsRefused }

    /// What a destructive call meets in a REPL that reads piped statements, without `--yes`:
    /// a run's script would need `--yes` too, and nobody is there to confirm it.
    static let unconfirmedRefusal = "a destructive change needs confirming, and the REPL's input is not a terminal: "
        + "start it with --yes to send such changes (:dry-run on plans them); nothing was sent"
    /// Where the session's changes are journaled (one run per session).
    let journal: RunJournal?

    /// Rate budgets shared with every Roster process through the journal.
    static func http(_ journal: RunJournal?, _ connection: VendorConnection) -> VendorHTTP {
        journal.map { connection.http.sharing(SharedRateLedger($0.store)) } ?? connection.http
    }

    /// A destructive call typed at the terminal: asked about first, unless the statement's
    /// earlier one was answered `a`. Nil lets it go.
    private static func ask(_ call: String, tenant: String, statement: StatementConfirmation) -> String? {
        if statement.all.load(ordering: .relaxed) { return nil }
        FileHandle.standardError.write(text: "Send \(call) (destructive) to tenant '\(tenant)'? [y/N/a: all in this statement] ")
        switch answerLine(unless: statement)?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "y", "yes": return nil
        case "a", "all":
            statement.all.store(true, ordering: .relaxed)
            return nil
        default: return "not confirmed; nothing was sent"
        }
    }

    /// One line from the terminal, read a byte at a time: the line editor reads the terminal
    /// directly, so a buffered read would swallow what was typed after the answer.
    /// Nil once `interrupted` is set (Ctrl-C at the question): checked between short waits.
    private static func answerLine(unless statement: StatementConfirmation) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        while true {
            if statement.interrupted.load(ordering: .relaxed) {
                FileHandle.standardError.write(text: "\n")
                return nil
            }
            // Nothing yet, or a signal came (Ctrl-C: checked at the top): wait again.
            guard poll(&input, 1, 100) > 0 else { continue }
            guard read(STDIN_FILENO, &byte, 1) == 1 else { break }
            if byte == 3 { statement.interrupted.store(true, ordering: .relaxed); continue } // Ctrl-C, read as a key
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    static let prompt = "roster> "
    static let continuation = "   ...> "

    /// `confirmed` (`--yes`): destructive calls are sent as they come. Otherwise each is asked
    /// about on a terminal (`a` lets the rest of the statement's go), and refused from piped
    /// statements.
    init(connection: VendorConnection, limits: LuaLimits, dryRun: Bool, interactive: Bool, confirmed: Bool, journal: RunJournal?) throws {
        self.connection = connection
        self.journal = journal
        let statement = StatementConfirmation()
        confirmedForStatement = statement
        let check: VendorSession.DestructiveCheck?
        if confirmed {
            check = nil
        } else if interactive {
            check = { call, tenant in Self.ask(call, tenant: tenant, statement: statement) }
        } else {
            check = { _, _ in Self.unconfirmedRefusal }
        }
        destructiveCheck = check
        vendorSession = VendorSession(tenant: connection.tenant, dryRun: dryRun, http: Self.http(journal, connection), journal: dryRun ? nil : journal,
                                      destructiveCheck: destructiveCheck, passedSecrets: passedSecrets)
        let environment = RunEnvironment(session: vendorSession)
        session = try LuaSession(
            limits: limits, modules: environment.modules, functions: environment.functions, metatables: environment.metatables,
            globals: environment.globals,
            output: StandardOutput(), directory: FileManager.default.currentDirectoryPath,
            printer: PrettyPrinter.source)
        let session = self.session
        input = interactive
            ? TerminalInput(historyFile: TerminalInput.defaultHistoryFile()) { session.completions(for: $0) }
            : PipedInput()
    }

    /// Reads and evaluates until the end of input or `:quit`; returns how many entries failed.
    func loop() async -> Int {
        var failures = 0
        if input.isInteractive {
            say("Roster REPL (Lua 5.4): tenant \(connection.tenant.name)\(connection.emulator != nil ? " on the built-in emulator" : "")"
                  + (vendorSession.dryRun ? ", dry run on" : "") + ". help() for the modules, :help for commands, Ctrl-D to leave.")
        }
        interrupts = input.isInteractive ? InterruptHandler(session, confirmation: confirmedForStatement) : nil
        defer { interrupts?.stop() }
        var chunk = ""
        var open = OpenStatementScanner()
        var compiledWhole = true
        while let line = input.readLine(prompt: chunk.isEmpty ? Self.prompt : Self.continuation) {
            if chunk.isEmpty {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed.hasPrefix(":") {
                    input.remember(trimmed, hiding: secretsTyped)
                    switch command(trimmed) {
                    case .quit: return failures
                    case .failed: failures += 1
                    case .done: break
                    }
                    continue
                }
            }
            chunk += chunk.isEmpty ? line : "\n" + line
            open.scan(line)
            if chunk.utf8.count > UserFile.Limit.script {
                // A string or a block left open would gather the rest of the input.
                let first = chunk.prefix { $0 != "\n" }.prefix(60)
                refusal = "a statement passed \(UserFile.Limit.script >> 20) MB, more than a script may (is a string or a block left open "
                    + "after '\(first)'?); nothing after it was read"
                chunk = ""
                break
            }
            // A long statement still certainly open is not compiled again at each line.
            compiledWhole = chunk.utf8.count < Self.compiledAtEveryLine || !open.isCertainlyOpen
            guard compiledWhole, await evaluate(chunk, failures: &failures) else { continue }
            chunk = ""
            open = OpenStatementScanner()
        }
        refusal = refusal ?? input.refusal
        if let refusal { Diagnostics.error("roster: " + refusal) }
        // A statement last left uncompiled is compiled once more: the scanner only skips.
        var unfinished = !chunk.isEmpty
        if unfinished, !compiledWhole { unfinished = !(await evaluate(chunk, failures: &failures)) }
        if unfinished {
            // The input ended inside a chunk: say so rather than drop it silently.
            failures += 1
            Diagnostics.error("roster: the input ended inside an unfinished chunk: \(chunk.split(separator: "\n").first ?? "")")
        }
        if input.isInteractive { say("") }
        return failures
    }

    /// Statements shorter than this are compiled at every line, as lua.c does; a longer one
    /// only when `OpenStatementScanner` finds nothing open in it.
    static let compiledAtEveryLine = 16 << 10

    /// Runs `chunk` unless it is unfinished (false); a failure is counted and shown.
    private func evaluate(_ chunk: String, failures: inout Int) async -> Bool {
        confirmedForStatement.reset()
        let interrupts = self.interrupts
        interrupts?.running = true
        let evaluation = await session.evaluate(chunk)
        interrupts?.running = false
        if evaluation == .incomplete { return false }
        input.remember(chunk, hiding: secretsTyped)
        showPlannedChanges()
        if case .failed(let outcome) = evaluation {
            failures += 1
            Diagnostics.error(message(for: outcome))
            if let advice = credentialAdvice(after: outcome) { Diagnostics.error("roster: " + advice) }
        }
        return true
    }

    private func message(for outcome: LuaRunOutcome) -> String {
        switch outcome {
        case .scriptError, .limit(.interrupted, _): outcome.message ?? ""
        case .success, .limit, .hostError: outcome.message.map { "roster: " + $0 } ?? ""
        }
    }

    /// What to check when the entry ended on a vendor refusing the tenant's credentials.
    private func credentialAdvice(after outcome: LuaRunOutcome) -> String? {
        guard case .scriptError(let message, _) = outcome, let failure = vendorSession.failure(ending: message) else { return nil }
        return connection.credentialAdvice(failure)
    }

    /// Under a dry run, the changes the last entry planned.
    private func showPlannedChanges() {
        let calls = vendorSession.calls
        defer { recordedCalls = calls.count }
        for call in calls.dropFirst(recordedCalls) where call.outcome == .planned {
            say("(dry run) planned, not sent: \(call.summary)")
        }
    }

    enum CommandResult { case done, quit, failed }

    /// The session commands, as `:help` and a mistyped one's did-you-mean name them.
    static let commands = ["dry-run", "tenant", "help", "quit"]

    private func command(_ text: String) -> CommandResult {
        let words = text.dropFirst().split(separator: " ").map(String.init)
        // Each command takes one word at most: more is a mistake, not something to ignore.
        if words.count > 2 || (words.count == 2 && ["quit", "q", "exit", "help", "h"].contains(words[0])) {
            let takes = ["quit", "q", "exit", "help", "h"].contains(words[0]) ? "no argument" : words[0] == "dry-run" ? "on or off" : "one name"
            Diagnostics.error("roster: :\(words[0]) takes \(takes); got '\(QuotedText.shown(words.dropFirst().joined(separator: " ")))'")
            return .failed
        }
        switch (words.first ?? "", words.dropFirst().first) {
        case ("quit", _), ("q", _), ("exit", _):
            return .quit
        case ("help", _), ("h", _):
            say("""
                :dry-run on|off   plan writes instead of sending them (now \(vendorSession.dryRun ? "on" : "off"))
                :tenant NAME      switch to another tenant of the configuration (now \(vendorSession.tenant.name))
                :help             this list
                :quit             leave (or Ctrl-D)
                help(x)           documentation of a module or function; help() lists the modules
                Tab completes names and fields; Ctrl-C stops the running statement.
                """)
            return .done
        case ("dry-run", "on"?), ("dry-run", "off"?):
            replaceVendorSession(tenant: vendorSession.tenant, dryRun: words[1] == "on")
            say("dry run \(vendorSession.dryRun ? "on: writes are planned, not sent" : "off: writes are sent")")
            return .done
        case ("dry-run", _):
            Diagnostics.error("roster: :dry-run takes on or off (now \(vendorSession.dryRun ? "on" : "off"))")
            return .failed
        case ("tenant", let name?):
            do {
                guard let switched = try connection.switching(toTenant: name, instruction: "use :tenant") else {
                    Diagnostics.error("roster: :tenant needs a roster.toml; this session uses the built-in emulator")
                    return .failed
                }
                connection = switched
                replaceVendorSession(tenant: switched.tenant, dryRun: vendorSession.dryRun)
                say("tenant \(switched.tenant.name): " + switched.tenant.vendors.map(\.rawValue).joined(separator: ", "))
                return .done
            } catch {
                Diagnostics.error("roster: \(error)")
                return .failed
            }
        case ("tenant", nil):
            let names = (try? connection.tenantNames()) ?? []
            say("tenant \(vendorSession.tenant.name)" + (names.count > 1 ? "; :tenant NAME switches to another: " + names.joined(separator: ", ") : ""))
            return .done
        case (let name, _):
            // A command's start (`:qu`) names it, as a typo near it does.
            let near = Self.commands.filter { !name.isEmpty && $0.hasPrefix(name) } + NearNames.near(name, in: Self.commands, within: max(1, NearNames.limit(for: name)))
            Diagnostics.error("roster: unknown command :\(name)" + (near.first.map { "; did you mean :\($0)?" } ?? "; :help lists the commands"))
            return .failed
        }
    }

    private func replaceVendorSession(tenant: Tenant, dryRun: Bool) {
        earlierRefusals += vendorSession.destructiveCallsRefused
        vendorSession = VendorSession(tenant: tenant, dryRun: dryRun, http: Self.http(journal, connection), journal: dryRun ? nil : journal,
                                      destructiveCheck: destructiveCheck, passedSecrets: passedSecrets)
        recordedCalls = 0
        session.install(VendorRegistry.standard.luaModules(for: vendorSession))
        setRosterGlobal()
    }

    private func setRosterGlobal() {
        session.install([RunEnvironment.rosterMetatable(vendorSession)])
        session.setGlobals(["roster": RunEnvironment.roster(vendorSession)])
    }
}

/// Writes a line to stdout unbuffered, like the script's own `print`, so the two keep
/// their order.
func say(_ text: String) {
    FileHandle.standardOutput.write(text: text + "\n")
}

/// Ctrl-C while a statement runs stops it; at the prompt it is ignored.
final class InterruptHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var isRunning = false

    var running: Bool {
        get { lock.withLock { isRunning } }
        set { lock.withLock { isRunning = newValue } }
    }

    init(_ session: LuaSession, confirmation: Repl.StatementConfirmation) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard self?.running == true else { return }
            confirmation.interrupted.store(true, ordering: .relaxed) // a question waiting is answered no
            session.interrupt()
        }
        source.resume()
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
