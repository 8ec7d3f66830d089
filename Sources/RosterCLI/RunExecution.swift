/// RunExecution.swift: running a script (or a plugin's workflow) as `roster run` does —
/// the confirmation on a terminal, the dry-run plan, `--json`, messages and exit code.
import ArgumentParser
import Engine
import Foundation
import LuaHost
import Vendors

/// How a run is carried out and reported.
struct RunExecution {
    var dryRun: Bool
    var yes: Bool
    var json: Bool
    var verbose: Bool

    /// Runs `script` with `runner`, closes `connection`, reports; throws the exit code
    /// when it is not 0.
    func perform(_ runner: ScriptRunner, _ script: LuaScript, arguments: [String: String], inputs: [ScriptInput],
                 connection: VendorConnection) async throws {
        if !dryRun, !yes, !json, Terminal.isInteractive {
            guard await confirmDestructiveChanges(runner, script, arguments, inputs) else {
                await connection.close()
                Diagnostics.error("roster: nothing was changed (not confirmed)")
                throw ExitCode(ExitStatus.scriptError)
            }
        }
        let output: any LuaOutput = json ? CollectingOutput() : StandardOutput()
        let result = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output)
        await connection.close()

        if json {
            RunReport(result: result, script: script.name, output: (output as? CollectingOutput)?.text ?? "").print()
        } else {
            report(result.outcome)
            if dryRun { Swift.print(RunReport.planText(result.plan), terminator: "") }
        }
        if result.outcome.exitCode != 0 { throw ExitCode(result.outcome.exitCode) }
    }

    private func report(_ outcome: LuaRunOutcome) {
        switch outcome {
        case .success: break
        case .scriptError(let message, let traceback): Diagnostics.error(verbose ? traceback : message)
        case .limit(_, let message): Diagnostics.error("roster: \(message)")
        case .hostError(let message): Diagnostics.error("roster: \(message)")
        }
    }

    /// On a terminal, a run that would make more than one change, one of them destructive,
    /// is planned first (a dry run, its output hidden) and applied only once confirmed.
    private func confirmDestructiveChanges(_ runner: ScriptRunner, _ script: LuaScript, _ arguments: [String: String],
                                           _ inputs: [ScriptInput]) async -> Bool {
        let rehearsal = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: true, output: CollectingOutput())
        let plan = rehearsal.plan
        guard plan.count > 1, plan.contains(where: { $0.effect == LuaEffect.destructive.rawValue }) else { return true }
        var text = RunReport.planText(plan)
        if rehearsal.outcome != .success {
            text += "(the rehearsal stopped early, so the run may change more: \(rehearsal.outcome.summary))\n"
        }
        Diagnostics.error(text.trimmingCharacters(in: .newlines))
        return Terminal.ask("Apply these \(plan.count) changes, some destructive? [y/N] ")
    }
}
