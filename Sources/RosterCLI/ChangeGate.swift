/// ChangeGate.swift: what a run must pass before it sends anything, judged on its
/// rehearsal's plan — the tenant's `max_changes` (or `--max-changes`), and confirmation of a
/// destructive change or of more than `confirm_over` changes: asked on a terminal (whatever
/// `--json` or `--output`), required as `--yes` without one. A single script's run and a run
/// row by row pass the same gate.
import ArgumentParser
import Bindings
import Engine
import Foundation
import LuaHost
import Vendors

/// The rules a run's plan is held to before anything is sent.
struct ChangeGate {
    var dryRun: Bool
    var yes: Bool
    /// `--max-changes`: this run may plan this many changes, whatever the tenant's `max_changes`.
    var maxChanges: Int?
    /// Whether the command takes `--dry-run` (`run`, `plugin run`, `undo`), which a refusal
    /// then suggests; `resume` does not.
    var offersDryRun = true

    /// Whether the run must be rehearsed (a dry run, its output hidden) to pass the gate: an
    /// attempt of a run not yet admitted (`RunJournal.admitted`) that may need confirming or
    /// is held to a limit. A resume of a run refused at the gate, or stopped or killed
    /// before it got past, passes it again: `roster resume` is no way around it.
    func needsRehearsal(_ tenant: Tenant, journal: RunJournal) -> Bool {
        !dryRun && !journal.admitted && (!yes || (maxChanges ?? tenant.maxChanges) != nil)
    }

    /// Lets the run go on with `plan`, or closes `connection`, ends the journal's run and
    /// throws the exit code, having sent nothing. `stopped`: why the rehearsal ended early,
    /// if it did (the run may change more); `rows`: how many rows the plan is for;
    /// `advice`: said with the question or the refusal (what to check, when a vendor refused
    /// the credentials in the rehearsal); `refused`: told the exit code and the message before a refusal is
    /// thrown (`--json` reports it).
    func admit(_ plan: [VendorCallRecord], stopped: String?, advice: String? = nil, rows: Int? = nil, connection: VendorConnection,
               journal: RunJournal, refused: (_ status: Int32, _ message: String) -> Void = { _, _ in }) async throws {
        let tenant = connection.tenant
        func refuse(_ outcome: String, _ status: Int32, _ message: String, advising: Bool = false) async throws -> Never {
            await connection.close()
            journal.end(outcome: outcome, exitCode: status, error: message)
            refused(status, message)
            Diagnostics.error("roster: " + message)
            if advising, let advice { Diagnostics.error("roster: " + advice) }
            throw ExitCode(status)
        }
        if let tooMany = tooMany(plan.count, tenant: tenant) {
            try await refuse("refused: too many changes", ExitStatus.usage, tooMany)
        }
        guard !yes, let what = Self.needsConfirming(plan, tenant: tenant) else { return }
        // A rehearsal that stopped on an error (a misspelt field at line 9, say) is said
        // either way: a run told only "add --yes" would make the changes before it and then
        // stop at the same line.
        let early = stopped.map { "the rehearsal stopped early, so the run may change more or stop there too: \($0)" }
        guard Terminal.isInteractive else {
            try await refuse("refused: not confirmed", ExitStatus.usage,
                             "the run plans \(what) and there is no terminal to confirm: add --yes"
                                + (offersDryRun ? " (check the plan first with --dry-run)" : "") + "; nothing was sent"
                                + (early.map { "; " + $0 } ?? ""), advising: true)
        }
        var text = RunSupervisor.target(connection, dryRun: false) + "\n" + (plan.count <= 40 ? Self.groupedPlan(plan) : Self.planSummary(plan))
        if let early { text += "(\(early))\n" }
        if let advice { text += "roster: \(advice)\n" }
        Diagnostics.error(text.trimmingCharacters(in: .newlines))
        let over = rows.map { " over \($0) row\($0 == 1 ? "" : "s")" } ?? ""
        guard Terminal.ask("Apply these \(what)\(over) to tenant '\(tenant.name)'? [y/N] ") else {
            try await refuse("refused: not confirmed", ExitStatus.scriptError, "nothing was changed (not confirmed)")
        }
    }

    /// Why a run planning `count` changes is refused, when it plans more than `--max-changes`
    /// or the tenant's `max_changes` allow; nil when it may go on.
    func tooMany(_ count: Int, tenant: Tenant) -> String? {
        guard let limit = maxChanges ?? tenant.maxChanges, count > limit else { return nil }
        return "the run plans \(count) changes, more than "
            + (maxChanges != nil ? "--max-changes \(limit)" : "max_changes = \(limit) for tenant '\(tenant.name)'")
            + "; nothing was sent (" + (offersDryRun ? "check the plan with --dry-run, then " : "")
            + "raise the limit for this run with --max-changes \(count))"
    }

    /// `3 changes, 2 destructive affecting 4 people` when `plan` must be confirmed (a
    /// destructive change, or more than the tenant's `confirm_over`); nil when it need not.
    static func needsConfirming(_ plan: [VendorCallRecord], tenant: Tenant) -> String? {
        let destructive = plan.filter { $0.effect == LuaEffect.destructive.rawValue }
        guard !destructive.isEmpty || plan.count > tenant.confirmOver else { return nil }
        let people = destructive.reduce(0) { $0 + $1.people }
        return "\(plan.count) change\(plan.count == 1 ? "" : "s")"
            + (destructive.isEmpty ? "" : ", \(destructive.count) destructive affecting \(people) \(people == 1 ? "person" : "people")")
    }

    /// The plan by vendor, destructive changes marked with `!` and their people counted.
    static func groupedPlan(_ plan: [VendorCallRecord]) -> String {
        var vendors: [String] = []
        for change in plan where !vendors.contains(change.vendor.rawValue) { vendors.append(change.vendor.rawValue) }
        var text = "Plan (! destructive):\n"
        for vendor in vendors {
            let changes = plan.filter { $0.vendor.rawValue == vendor }
            text += "  \(vendor): \(changes.count) change\(changes.count == 1 ? "" : "s")\n"
            for change in changes {
                let destructive = change.effect == LuaEffect.destructive.rawValue
                text += "    \(destructive ? "!" : " ") \(change.summary)" + (destructive && change.people > 1 ? "  (\(change.people) people)" : "") + "\n"
            }
        }
        return text
    }

    /// `12 × encore.deactivate_user (destructive)` per operation, for a long plan.
    static func planSummary(_ plan: [VendorCallRecord]) -> String {
        var counts: [(String, String, Int)] = []
        for call in plan {
            let name = call.vendor.rawValue + "." + call.operation
            if let index = counts.firstIndex(where: { $0.0 == name }) { counts[index].2 += 1 } else { counts.append((name, call.effect, 1)) }
        }
        return "Plan:\n" + counts.map { "  \($0.2) × \($0.0) (\($0.1))\n" }.joined()
    }
}
