/// CronScheduleTests.swift: schedules' cron expressions read as crontab(5) reads them.
import Engine
import Foundation
import Testing

@Suite struct CronScheduleTests {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func fieldsMatchTheirMinutes() throws {
        let nightly = try CronSchedule("0 2 * * *")
        #expect(nightly.matches(Self.date("2026-11-29T02:00:00Z"), in: Self.utc))
        #expect(!nightly.matches(Self.date("2026-11-29T02:01:00Z"), in: Self.utc))
        let steps = try CronSchedule("*/15 9-17 * * 1-5")
        #expect(steps.matches(Self.date("2026-11-30T09:45:00Z"), in: Self.utc)) // a Monday
        #expect(!steps.matches(Self.date("2026-11-29T09:45:00Z"), in: Self.utc)) // a Sunday
        #expect(!steps.matches(Self.date("2026-11-30T18:00:00Z"), in: Self.utc))
        // Sunday is 0 and 7; a restricted day of month or day of week: either matches.
        #expect(try CronSchedule("0 0 * * 7").matches(Self.date("2026-11-29T00:00:00Z"), in: Self.utc))
        let either = try CronSchedule("0 0 1 * 1")
        #expect(either.matches(Self.date("2026-12-01T00:00:00Z"), in: Self.utc)) // the 1st, a Tuesday
        #expect(either.matches(Self.date("2026-11-30T00:00:00Z"), in: Self.utc)) // a Monday
        #expect(!either.matches(Self.date("2026-12-02T00:00:00Z"), in: Self.utc))
    }

    @Test func ticksBetweenTwoInstants() throws {
        let hourly = try CronSchedule("30 * * * *")
        let ticks = hourly.ticks(after: Self.date("2026-11-29T00:30:00Z"), through: Self.date("2026-11-29T03:30:00Z"), in: Self.utc)
        #expect(ticks == ["01:30", "02:30", "03:30"].map { Self.date("2026-11-29T\($0):00Z") })
        // A time zone moves the ticks.
        var paris = Calendar(identifier: .gregorian)
        paris.timeZone = TimeZone(identifier: "Europe/Paris")!
        let early = try CronSchedule("0 2 * * *").ticks(after: Self.date("2026-11-28T12:00:00Z"), through: Self.date("2026-11-29T12:00:00Z"), in: paris)
        #expect(early == [Self.date("2026-11-29T01:00:00Z")])
    }

    @Test(arguments: [
        ("0 2 * *", "'0 2 * *' has 4 fields; cron takes five: minute hour day-of-month month day-of-week"),
        ("61 * * * *", "the minute field '61' goes outside 0-59"),
        ("* 5-3 * * *", "the hour field '5-3' has a range that is not low-high"),
        ("*/0 * * * *", "the minute field '*/0' has a step that is not a positive number"),
        ("* * * jan *", "the month field 'jan' is not a number, a range or *"),
    ])
    func mistakesSayWhichField(_ text: String, _ message: String) {
        #expect(throws: CronError.self) { try CronSchedule(text) }
        do {
            _ = try CronSchedule(text)
        } catch {
            #expect(error.description == message)
        }
    }
}
