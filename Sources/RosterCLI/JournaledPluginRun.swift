/// JournaledPluginRun.swift: a plugin workflow's run made runnable again from the journal,
/// for `roster resume` and for `roster apply` of a plugin's plan.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost

/// A plugin run as the journal keeps it: the plugin's folder and workflow, its parameters as
/// given, and the text and modules it started with. Run again in the plugin's sandbox (its
/// manifest's permissions, its settings and sealed secrets), never as a plain script.
enum JournaledPluginRun {
    /// The runner and script that run `run`'s workflow again through `connection`: `text`
    /// (the journaled workflow, or the installed one for a queued run's first start) with
    /// `modules`, under `manifest` (the plugin installed in the run's folder).
    static func runner(_ run: NewRun, manifest: PluginManifest, text: [UInt8], modules: [QueuedFile]?, connection: VendorConnection,
                       limits: LuaLimits, startedBy runID: Int64) throws -> (VendorScriptRunner, LuaScript) {
        guard let workflowName = run.workflow, let workflow = manifest.workflow(named: workflowName) else {
            throw ConfigurationError(file: manifest.file, key: "workflows", problem: "no workflow '\(run.workflow ?? "")' any more",
                                     fix: "restore the plugin as it was when run \(runID) started")
        }
        let parameters = try workflow.parameters(from: run.arguments, plugin: manifest.name)
        let script = try manifest.script(workflow)
        let sealed = SealedSecrets()
        let settings = try manifest.settingsTable(connection.pluginSettings[manifest.name], tenant: connection.tenant.name, sealing: sealed)
        return (manifest.runner(workflow, parameters: parameters, settings: settings, sealedSecrets: sealed, tenant: connection.tenant,
                                limits: limits, http: connection.http),
                LuaScript(name: script.name, source: text, directory: script.directory).keeping(modules))
    }

    /// The plugin installed where `run` found it, as it is now, held to what a plugin run is:
    /// in an installed folder, signed by a publisher `trusted` names (by any when it is nil:
    /// `PluginCatalog.trustedPublishers`) and unmodified (refused with exit 4 otherwise, as
    /// `roster plugin run` refuses it); its manifest's permissions and settings are what the
    /// journaled text runs under.
    static func installedManifest(of run: NewRun, trusted: [TrustedPublisher]?) throws -> PluginManifest {
        let folder = URL(fileURLWithPath: run.script)
        let manifest = try PluginManifest.load(folder: folder)
        try PluginCatalog(folder: folder.deletingLastPathComponent()).requireRunnable(manifest.name, trusted: trusted)
        return manifest
    }

    /// The plugin `run` (a plugin's dry run, whose plan is to be applied) ran, as installed
    /// now: a plan runs only under the version it was made with. Throws the exit of a
    /// plugin that may not run there (`installedManifest`).
    static func installedForPlan(of run: NewRun, trusted: [TrustedPublisher]?) throws -> Result<PluginManifest, PluginDrift> {
        let name = run.plugin ?? "?"
        let manifest: PluginManifest
        do {
            manifest = try installedManifest(of: run, trusted: trusted)
        } catch let refused as ExitCode {
            throw refused
        } catch {
            return .failure(.missing("plugin \(name) is not installed as it was (\(run.script)): \(error)"))
        }
        guard manifest.version.description == run.pluginVersion else {
            return .failure(.upgraded("plugin \(name) is version \(manifest.version) now, and the plan was made with version \(run.pluginVersion ?? "?")"))
        }
        return .success(manifest)
    }

    /// Why a plugin's plan cannot run under the plugin installed now.
    enum PluginDrift: Error {
        /// Not there, or not readable: a usage error (exit 2).
        case missing(String)
        /// Another version: the plan is stale (exit 6).
        case upgraded(String)
    }
}
