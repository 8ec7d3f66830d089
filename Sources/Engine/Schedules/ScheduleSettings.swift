/// ScheduleSettings.swift: `[schedules.NAME]` in roster.toml — a script a worker queues on a
/// cron schedule (each tick once, whichever worker sees it first).
import Foundation

/// One schedule, as configured.
public struct ScheduleSettings: Sendable {
    public let name: String
    /// The script's path (relative paths are read from roster.toml's folder).
    public let script: String
    /// The tenant (nil: the default).
    public let tenant: String?
    public let cron: CronSchedule
    /// `args = { KEY = "VALUE" }`: the script's `args`.
    public let arguments: [String: String]
    /// The zone its cron is read in (`timezone = "Europe/Paris"`; default: the worker's).
    public let timeZone: TimeZone

    init(name: String, section: ConfigurationSection, tenants: [String]) throws(ConfigurationError) {
        self.name = name
        try section.requireOnly(["script", "tenant", "cron", "args", "timezone"])
        let path = try section.string("script", required: true, example: "nightly-review.lua")!
        script = path.hasPrefix("/") ? path : section.document.folder.appendingPathComponent(path).path
        tenant = try section.string("tenant", example: tenants.first ?? "acme")
        if let tenant, !tenants.contains(tenant) {
            throw section.document.error(at: section.path + ["tenant"], "no tenant named '\(tenant)'",
                                         fix: RosterConfiguration.fix(forTenant: tenant, among: tenants, "use one of: "))
        }
        let expression = try section.string("cron", required: true, example: "0 2 * * *")!
        do throws(CronError) {
            cron = try CronSchedule(expression)
        } catch {
            throw section.document.error(at: section.path + ["cron"], error.description, fix: "write cron = \"0 2 * * *\" (minute hour day month weekday)")
        }
        var arguments: [String: String] = [:]
        if let table = try section.table("args") {
            for (key, value) in table.fields {
                guard case .string(let text) = value else {
                    throw section.document.error(at: table.path + [key], "expected a string, got \(value.typeName)", fix: "write \(key) = \"...\"")
                }
                arguments[key] = text
            }
        }
        self.arguments = arguments
        if let zone = try section.string("timezone", example: "UTC") {
            guard let found = TimeZone(identifier: zone) else {
                throw section.document.error(at: section.path + ["timezone"], "'\(zone)' is not a time zone", fix: "write an IANA name such as \"UTC\" or \"Europe/Paris\"")
            }
            timeZone = found
        } else {
            timeZone = .current
        }
    }

    /// The calendar its cron is read in.
    public var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}
