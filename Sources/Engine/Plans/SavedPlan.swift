/// SavedPlan.swift: a dry run's changes saved to a file (`roster run --dry-run --plan-out
/// PLAN`), to be applied exactly, at most once (`roster apply PLAN`): what ran, where, with
/// which seed, and every change with a salted digest of its full arguments.
import Bindings
import Crypto
import Foundation
import Journal
import LuaHost
import Synchronization
import Vendors

/// A plan as saved: no secret in it (arguments as the plan shows them, redacted; full
/// arguments only as a salted digest).
public struct SavedPlan: Codable, Sendable, Equatable {
    /// The format's version.
    public var roster_plan = 1
    public var id: String
    public var created_at: String
    /// The dry run that made it (its script snapshot is in the journal).
    public var run: Int64
    public var script: String
    public var script_sha256: String
    public var arguments: [String: String]
    public var inputs: [JournalInput]
    public var tenant: String
    public var config: String?
    /// `math.random`'s seed: the apply draws the same numbers.
    public var seed: Int64
    /// The Unix time the dry run's `os.time()` answered: the apply's answers it too, so a
    /// date in a change is the one reviewed (nil in a plan saved before it was kept).
    public var clock: Int64?
    /// A plan row by row (`--each`): the CSV and how its rows run.
    public var each: EachSource?
    /// Each row planned, and a digest of its fields: an apply reads the CSV again, and a
    /// row that changed makes the plan stale.
    public var rows: [PlannedRow]?
    public var changes: [Change]
    /// Where each vendor of its changes was reached, and as which account, when it was made
    /// (`VendorSettings.target`: base URL, public account ids, where the secret is read; no
    /// secret). An apply sends only there (nil in a plan saved before they were kept).
    public var targets: [String: String]?
    /// The plugin workflow that made it (nil for a script's plan): an apply runs it in the
    /// plugin's sandbox, and only while that version of the plugin is installed.
    public var plugin: PlannedPlugin?

    /// The plugin workflow of a plugin's plan.
    public struct PlannedPlugin: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var workflow: String
    }

    /// A row of a plan row by row.
    public struct PlannedRow: Codable, Sendable, Equatable {
        public var number: Int
        public var sha256: String
    }

    /// One planned change.
    public struct Change: Codable, Sendable, Equatable {
        public var vendor: String
        public var operation: String
        public var effect: String
        /// As the plan shows them, passwords redacted.
        public var arguments: JSONValue
        /// sha256 of the plan's id and the change with every argument in full.
        public var sha256: String
        /// The row that makes it, in a plan row by row.
        public var row: Int?

        /// `encore.update_user id=1001 fields={first_name="Ada"}`: as the dry run showed it,
        /// which is also how a stale plan's message names a change the script now wants.
        public var summary: String {
            let text = VendorCallRecord.argumentText(arguments(ordered: VendorRegistry.standard))
            return "\(vendor).\(operation)" + (text.isEmpty ? "" : " " + text)
        }

        /// The arguments in the order the operation declares its parameters (the plan keeps
        /// them as a JSON object, whose keys have no order); any it does not declare after
        /// them, sorted.
        func arguments(ordered registry: VendorRegistry) -> [VendorArgument] {
            guard case .object(let fields) = arguments else { return [] }
            let declared = registry.unit(named: vendor)?.module.operations.first { $0.name == operation }?.parameters.map(\.name) ?? []
            let names = declared.filter { fields[$0] != nil } + fields.keys.filter { !declared.contains($0) }.sorted()
            return names.map { VendorArgument($0, fields[$0]!) }
        }
    }

    /// The plan of dry run `run`, whose planned changes are `plan` (with fingerprints).
    public init(run: JournalRun, plan: [VendorCallRecord]) {
        self.init(run: run, rows: [(nil, plan)])
    }

    /// The plan of dry run `run` row by row: each row of the CSV and the changes it plans.
    public init(run: JournalRun, rows: [TableRow], plans: [Int: [VendorCallRecord]]) {
        self.init(run: run, rows: rows.map { ($0.number, plans[$0.number] ?? []) })
        self.rows = rows.map { PlannedRow(number: $0.number, sha256: $0.sha256) }
        each = run.run.each
    }

    private init(run: JournalRun, rows: [(Int?, [VendorCallRecord])]) {
        id = UUID().uuidString.lowercased()
        created_at = ISO8601DateFormatter().string(from: Date())
        self.run = run.id
        script = run.run.script
        script_sha256 = run.scriptSHA256
        arguments = run.run.arguments
        inputs = run.run.inputs
        tenant = run.run.tenant
        config = run.run.configFile
        seed = run.run.seed
        clock = run.run.clock
        plugin = run.run.workflow.map { PlannedPlugin(name: run.run.plugin ?? "", version: run.run.pluginVersion ?? "", workflow: $0) }
        let id = self.id
        changes = rows.flatMap { row, plan in
            plan.map { call in
                let arguments = Dictionary(call.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                return Change(vendor: call.vendor.rawValue, operation: call.operation, effect: call.effect, arguments: .object(arguments),
                              sha256: Self.salted(call.fingerprint ?? "", id: id), row: row)
            }
        }
    }

    /// Keeps where the vendors of its changes are reached now (`VendorConnection.targets`).
    public mutating func aim(at now: [Vendor: String]) {
        let vendors = Set(changes.map(\.vendor))
        targets = Dictionary(uniqueKeysWithValues: now.filter { vendors.contains($0.key.rawValue) }.map { ($0.key.rawValue, $0.value) })
    }

    /// Why the plan cannot be applied through `connection` (its configuration re-pointed a
    /// vendor since the plan was made: another URL, account or secret), or nil.
    public func retargeted(_ connection: VendorConnection) -> String? {
        connection.moved(from: targets).map { "it was made against \($0.vendor) at \($0.made); tenant '\(tenant)' now reaches \($0.vendor) at \($0.now)" }
    }

    static func salted(_ fingerprint: String, id: String) -> String {
        SHA256.hash(data: Data((id + "\n" + fingerprint).utf8)).hexText
    }

    /// The changes of row `number` (of the whole plan, for a single script's).
    func changes(ofRow number: Int?) -> [Change] {
        number == nil ? changes : changes.filter { $0.row == number }
    }

    /// Why `plan` (the script's changes now, or row `row`'s) is not this plan's; nil if it
    /// is, change for change (in any order: see `PlannedChanges`).
    public func staleness(of plan: [VendorCallRecord], row: Int? = nil) -> String? {
        var planned = PlannedChanges(self, row: row)
        for call in plan {
            if let stale = planned.take(call) { return stale }
        }
        return planned.leftover()
    }

    /// Why the CSV, read again, is not the one planned (a row changed, added or removed);
    /// nil if every row is as it was.
    public func staleness(of table: RowTable) -> String? {
        let planned = rows ?? []
        let now = Dictionary(table.rows.map { ($0.number, $0.sha256) }) { first, _ in first }
        let name = each?.name ?? "the CSV"
        for row in planned where now[row.number] != row.sha256 {
            return "plan is stale: row \(row.number) of \(name) " + (now[row.number] == nil ? "is gone" : "changed") + " since the plan was made"
        }
        if let added = table.rows.first(where: { row in !planned.contains { $0.number == row.number } }) {
            return "plan is stale: row \(added.number) of \(name) was added since the plan was made"
        }
        return nil
    }

    /// The plan as `roster plan show` prints it.
    public var text: String {
        let maker = plugin.map { "plugin \($0.name) \($0.version), workflow \($0.workflow)" } ?? script
        var lines = ["plan \(id): \(changes.count) change\(changes.count == 1 ? "" : "s") by \(maker) (run \(run)), tenant \(tenant)"
            + (config.map { " (\($0))" } ?? "") + ", made \(created_at)"]
        for (vendor, target) in (targets ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("  \(vendor): \(target)") }
        if let each { lines.append("  row by row over \(each.name) (\(rows?.count ?? 0) rows)") }
        var row: Int?
        for (index, change) in changes.enumerated() {
            if let number = change.row, number != row { lines.append("  row \(number):"); row = number }
            lines.append("  \(change.row == nil ? "" : "  ")\(index + 1). [\(change.effect)] \(change.summary)")
        }
        // Each line as one: a file edited to hold a line break shows it, not a line of its own.
        return lines.map { QuotedText.shown($0, limit: .max) }.joined(separator: "\n")
    }

    /// The plan as saved: sorted keys, one change per line is not needed; pretty for reading.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// What in `edited` is not as in this plan, in a few words: the first change that
    /// differs, else the first field (an edited plan file is not applied).
    public func difference(from edited: SavedPlan) -> String? {
        guard self != edited else { return nil }
        for index in 0..<max(changes.count, edited.changes.count) where changes[safe: index] != edited.changes[safe: index] {
            let made = changes[safe: index]?.summary ?? "nothing", now = edited.changes[safe: index]?.summary ?? "nothing"
            // The file's text, quoted on one line: an edit may have put anything there.
            let shown = QuotedText.shown(now, limit: 300)
            return made == now ? "change \(index + 1) (\(shown)) differs in its details" : "change \(index + 1) reads \(shown), made as \(made)"
        }
        if arguments != edited.arguments { return "its --arg values differ" }
        if plugin != edited.plugin { return "its plugin or workflow differs" }
        if tenant != edited.tenant || config != edited.config { return "its tenant or configuration differs" }
        if targets != edited.targets { return "the vendor accounts it was made against differ" }
        if each != edited.each { return "its --each rows or options differ" }
        if inputs != edited.inputs { return "its --input files differ" }
        return "its details differ"
    }

    /// Why the plan read from `file` is not the one `store` kept when it was made (`plan.json
    /// is not plan ID as it was made: ...`), or nil when it is (perhaps formatted anew). The
    /// copy holds a plan to what was reviewed and to being applied once: a file whose id was
    /// edited names no copy, and is applied by nothing.
    public func refusal(file: String, keptIn store: any JournalStore) throws(JournalError) -> String? {
        guard let kept = try store.savedPlan(id: id) else {
            return "\(file) is not a plan as roster saved it: the journal \(store.path) keeps no plan \(id) of run \(run) (was its id edited?)"
        }
        guard let original = try? JSONDecoder().decode(SavedPlan.self, from: Data(kept.utf8)) else {
            return "\(file) is not a plan as roster saved it: the journal's copy of plan \(id) cannot be read"
        }
        return original.difference(from: self).map { "\(file) is not plan \(id) as it was made: \($0)" }
    }

    /// Reads a plan file: one line naming the file on any problem.
    public static func read(_ path: String) throws(PlanError) -> SavedPlan {
        let data: Data
        do { data = try UserFile.contents(path, atMost: UserFile.Limit.plan) } catch { throw PlanError("cannot read the plan '\(path)': \(error)") }
        do {
            let plan = try JSONDecoder().decode(SavedPlan.self, from: data)
            guard plan.roster_plan == 1 else { throw PlanError("the plan '\(path)' is of format \(plan.roster_plan); this roster reads format 1") }
            // Messages name a plan by its id: one roster made, never text that breaks a line.
            guard UUID(uuidString: plan.id)?.uuidString.lowercased() == plan.id else {
                throw PlanError("the plan '\(path)' has an id roster does not make (\(QuotedText.shown(plan.id))); its file was edited (make a new plan)")
            }
            return plan
        } catch let error as PlanError {
            throw error
        } catch {
            throw PlanError("'\(path)' is not a Roster plan (roster run --dry-run --plan-out PLAN writes one)")
        }
    }
}

/// A plan that cannot be read or used: one line.
public struct PlanError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The changes of a plan (of one of its rows, for a plan row by row) still to be made, as an
/// apply or its rehearsal makes them. They are matched in any order, each at most once: the
/// same script on the same state wants the same changes, but not always in the same order
/// (a `pairs` loop over names visits them in an order that differs from process to process,
/// and parallel reads answer in the order they come).
struct PlannedChanges {
    private let plan: SavedPlan
    private let row: Int?
    private let changes: [SavedPlan.Change]
    private var taken: [Bool]
    /// The changes not made yet, by digest, in the plan's order: a bulk plan's thousands of
    /// changes are each found at once, whatever order they come in.
    private var waiting: [String: [Int]] = [:]

    init(_ plan: SavedPlan, row: Int?) {
        self.plan = plan
        self.row = row
        changes = plan.changes(ofRow: row)
        taken = Array(repeating: false, count: changes.count)
        for (index, change) in changes.enumerated() { waiting[change.sha256, default: []].append(index) }
    }

    private var place: String { row.map { "row \($0): " } ?? "" }

    /// Takes `call` from the changes still to be made; nil when it was one of them, else why
    /// the plan is stale.
    mutating func take(_ call: VendorCallRecord) -> String? {
        let digest = SavedPlan.salted(call.fingerprint ?? "", id: plan.id)
        if var candidates = waiting[digest],
           let position = candidates.firstIndex(where: { changes[$0].vendor == call.vendor.rawValue && changes[$0].operation == call.operation }) {
            taken[candidates.remove(at: position)] = true
            waiting[digest] = candidates
            return nil
        }
        let summary = call.summary
        let alike = changes.indices.filter { changes[$0].summary == summary }
        if alike.isEmpty {
            return "plan is stale: \(place)the script now wants `\(summary)`, which the plan does not hold"
        }
        if alike.allSatisfy({ taken[$0] }) {
            return "plan is stale: \(place)the script now wants `\(summary)` once more than the plan holds it (\(alike.count) time\(alike.count == 1 ? "" : "s"))"
        }
        return "plan is stale: \(place)the script now wants `\(summary)` with other values in its redacted arguments than planned"
    }

    /// Why the plan is stale for a change the script no longer wants; nil when each was made.
    func leftover() -> String? {
        guard let index = taken.firstIndex(of: false) else { return nil }
        return "plan is stale: \(place)change \(index + 1) was planned as `\(changes[index].summary)`, and the script no longer wants it"
    }
}

/// Checks, during an apply, that each change is one the plan holds and has not made yet (of
/// its row's, in a plan row by row).
public final class PlanApplication: PlanCheck {
    public let plan: SavedPlan
    private let row: Int?
    private let planned: Mutex<PlannedChanges>

    public convenience init(_ plan: SavedPlan) { self.init(plan, row: nil) }

    private init(_ plan: SavedPlan, row: Int?) {
        self.plan = plan
        self.row = row
        planned = Mutex(PlannedChanges(plan, row: row))
    }

    public func check(_ change: VendorCallRecord) -> String? {
        planned.withLock { $0.take(change) }
    }

    public func row(_ number: Int) -> any PlanCheck { PlanApplication(plan, row: number) }
}

extension Array {
    /// The element at `index`, or nil past the end.
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
