/// SavedPlan.swift: a dry run's changes saved to a file (`roster run --dry-run --plan-out
/// PLAN`), to be applied exactly, at most once (`roster apply PLAN`): what ran, where, with
/// which seed, and every change with a salted digest of its full arguments.
import Bindings
import Crypto
import Foundation
import Journal
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
    public var changes: [Change]

    /// One planned change.
    public struct Change: Codable, Sendable, Equatable {
        public var vendor: String
        public var operation: String
        public var effect: String
        /// As the plan shows them, passwords redacted.
        public var arguments: JSONValue
        /// sha256 of the plan's id and the change with every argument in full.
        public var sha256: String

        /// `encore.deactivate_user id=1002`
        public var summary: String {
            let text = VendorCallRecord.argumentText(Self.arguments(arguments))
            return "\(vendor).\(operation)" + (text.isEmpty ? "" : " " + text)
        }

        static func arguments(_ value: JSONValue) -> [VendorArgument] {
            guard case .object(let fields) = value else { return [] }
            return fields.keys.sorted().map { VendorArgument($0, fields[$0]!) }
        }
    }

    /// The plan of dry run `run`, whose planned changes are `plan` (with fingerprints).
    public init(run: JournalRun, plan: [VendorCallRecord]) {
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
        let id = self.id
        changes = plan.map { call in
            let arguments = Dictionary(call.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            return Change(vendor: call.vendor.rawValue, operation: call.operation, effect: call.effect, arguments: .object(arguments),
                          sha256: Self.salted(call.fingerprint ?? "", id: id))
        }
    }

    static func salted(_ fingerprint: String, id: String) -> String {
        SHA256.hash(data: Data((id + "\n" + fingerprint).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `call` is the plan's change `index`.
    func matches(_ call: VendorCallRecord, at index: Int) -> Bool {
        index < changes.count && changes[index].sha256 == Self.salted(call.fingerprint ?? "", id: id)
            && changes[index].vendor == call.vendor.rawValue && changes[index].operation == call.operation
    }

    /// Why `call`, the script's change number `index + 1`, is not the plan's; nil if it is.
    func staleness(_ call: VendorCallRecord, at index: Int) -> String? {
        guard !matches(call, at: index) else { return nil }
        guard index < changes.count else {
            return "plan is stale: it has \(changes.count) change\(changes.count == 1 ? "" : "s"), the script now wants more: change \(index + 1) would be `\(call.summary)`"
        }
        let planned = changes[index].summary
        let wanted = call.summary == planned ? "`\(call.summary)` with other values in its redacted arguments" : "`\(call.summary)`"
        return "plan is stale: change \(index + 1) was planned as `\(planned)`, the script now wants \(wanted)"
    }

    /// Why `plan` (the script's changes now) is not this plan; nil if it is, change for change.
    public func staleness(of plan: [VendorCallRecord]) -> String? {
        for (index, call) in plan.enumerated() {
            if let stale = staleness(call, at: index) { return stale }
        }
        guard plan.count == changes.count else {
            return "plan is stale: it has \(changes.count) changes, the script now wants \(plan.count): change \(plan.count + 1) (`\(changes[plan.count].summary)`) is no longer wanted"
        }
        return nil
    }

    /// The plan as `roster plan show` prints it.
    public var text: String {
        var lines = ["plan \(id): \(changes.count) change\(changes.count == 1 ? "" : "s") by \(script) (run \(run)), tenant \(tenant)"
            + (config.map { " (\($0))" } ?? "") + ", made \(created_at)"]
        for (index, change) in changes.enumerated() {
            lines.append("  \(index + 1). [\(change.effect)] \(change.summary)")
        }
        return lines.joined(separator: "\n")
    }

    /// The plan as saved: sorted keys, one change per line is not needed; pretty for reading.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Reads a plan file: one line naming the file on any problem.
    public static func read(_ path: String) throws(PlanError) -> SavedPlan {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlanError("cannot read the plan '\(path)': no such file or not readable") }
        do {
            let plan = try JSONDecoder().decode(SavedPlan.self, from: data)
            guard plan.roster_plan == 1 else { throw PlanError("the plan '\(path)' is of format \(plan.roster_plan); this roster reads format 1") }
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

/// Checks, during an apply, that each change is the plan's next one.
public final class PlanApplication: PlanCheck {
    public let plan: SavedPlan
    private let next = Mutex(0)

    public init(_ plan: SavedPlan) { self.plan = plan }

    public func check(_ change: VendorCallRecord) -> String? {
        next.withLock { next in
            defer { next += 1 }
            return plan.staleness(change, at: next)
        }
    }
}
